//! The logger: env_logger (`RUST_LOG`, `info` by default), except that trace records of the
//! HTTP crates are dropped whatever `RUST_LOG` says. At trace level awc logs the head of every
//! HTTP/2 request it sends, and the URL of a Share read carries the session ID
//! (`?sessionId=`); actix-http and h2 log request details at trace too. Our own modules log
//! no secret at any level.

use log::{Level, Log, Metadata, Record};

/// Crates whose trace records may contain URLs or headers.
const NO_TRACE_FROM: &[&str] = &["awc", "actix_http", "h2"];

/// Installs the logger; a second call (tests) is a no-op.
pub fn init() {
    let logger =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).build();
    let max_level = logger.filter();
    if log::set_boxed_logger(Box::new(Clamped(logger))).is_ok() {
        log::set_max_level(max_level);
    }
}

struct Clamped(env_logger::Logger);

impl Log for Clamped {
    fn enabled(&self, metadata: &Metadata) -> bool {
        allowed(metadata) && self.0.enabled(metadata)
    }

    fn log(&self, record: &Record) {
        if allowed(record.metadata()) {
            self.0.log(record);
        }
    }

    fn flush(&self) {
        self.0.flush();
    }
}

fn allowed(metadata: &Metadata) -> bool {
    let target = metadata.target();
    metadata.level() < Level::Trace
        || !NO_TRACE_FROM.iter().any(|krate| {
            target == *krate
                || target
                    .strip_prefix(krate)
                    .is_some_and(|rest| rest.starts_with("::"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed_at(target: &str, level: Level) -> bool {
        allowed(&Metadata::builder().target(target).level(level).build())
    }

    #[test]
    fn only_trace_records_of_the_http_crates_are_dropped() {
        assert!(!allowed_at("awc::client::h2proto", Level::Trace));
        assert!(!allowed_at("awc", Level::Trace));
        assert!(!allowed_at("h2::codec", Level::Trace));
        assert!(!allowed_at("actix_http::h1::dispatcher", Level::Trace));
        assert!(allowed_at("awc::client", Level::Debug));
        assert!(allowed_at("awcx", Level::Trace));
        assert!(allowed_at("dexcom_share_proxy::session", Level::Trace));
    }
}
