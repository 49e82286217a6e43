//! The logger: env_logger (`RUST_LOG`, `info` by default), as text or as one JSON object per
//! line (`--log-format json`, for Loki and other collectors), except that trace records of the
//! HTTP crates are dropped whatever `RUST_LOG` says. At trace level awc logs the head of every
//! HTTP/2 request it sends, and the URL of a Share read carries the session ID
//! (`?sessionId=`); actix-http and h2 log request details at trace too. Our own modules log
//! no secret at any level, and the JSON format only re-encodes what the text format prints.

pub mod access_log;
mod json;

use log::{Level, Log, Metadata, Record};

/// Crates whose trace records may contain URLs or headers.
const NO_TRACE_FROM: &[&str] = &["awc", "actix_http", "h2"];

/// How log records are written to stderr.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// env_logger's human-readable lines.
    #[default]
    Text,
    /// One JSON object per line: `ts`, `level`, `target`, `message` (and the request's fields
    /// on access log lines).
    Json,
}

impl LogFormat {
    /// `text` or `json`, as in `[log] format`.
    pub fn parse(raw: &str) -> Option<LogFormat> {
        match raw {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// Installs the logger; a second call (tests) is a no-op.
pub fn init(format: LogFormat) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if format == LogFormat::Json {
        builder
            .format(json::write)
            .write_style(env_logger::WriteStyle::Never);
    }
    let logger = builder.build();
    let max_level = logger.filter();
    if log::set_boxed_logger(Box::new(Clamped(logger))).is_ok() {
        log::set_max_level(max_level);
    }
}

/// Writes the message that ends the process to stderr in `format`, whatever `RUST_LOG` says:
/// a collector reading JSON lines must see why the service stopped.
pub fn fatal(format: LogFormat, message: &str) {
    match format {
        LogFormat::Text => eprintln!("dexcom-share-proxy: {message}"),
        LogFormat::Json => eprintln!(
            "{}",
            json::line(
                chrono::Utc::now(),
                Level::Error,
                env!("CARGO_CRATE_NAME"),
                message
            )
        ),
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

    #[test]
    fn formats_parse_from_their_names_only() {
        assert_eq!(LogFormat::parse("json"), Some(LogFormat::Json));
        assert_eq!(LogFormat::parse("text"), Some(LogFormat::Text));
        assert_eq!(LogFormat::parse("JSON"), None);
        assert_eq!(LogFormat::parse("logfmt"), None);
        assert_eq!(LogFormat::Json.as_str(), "json");
    }
}
