//! The access log's fields in JSON lines. actix-web's `Logger` writes one formatted string per
//! request; for JSON it writes the fields separated by tabs (see [`FIELDS_FORMAT`]), and the
//! JSON format splits them into keys. A tab cannot occur inside a field: addresses, methods
//! and versions have none, and the path is escaped by [`no_tabs`].

use serde::Serialize;

/// The target of actix-web's `Logger` records.
pub const TARGET: &str = "actix_web::middleware::logger";

/// The `Logger` format whose lines [`parse`] reads: peer address, method, path with the
/// query (credentials redacted), HTTP version, status, body bytes, milliseconds.
pub const FIELDS_FORMAT: &str = "%a\t%{method}xi\t%{path}xi\t%{version}xi\t%s\t%b\t%D";

/// One request, as the access log tells it.
#[derive(Debug, PartialEq, Serialize)]
pub struct AccessFields<'a> {
    pub peer: &'a str,
    pub method: &'a str,
    /// Path and query string, with credentials redacted.
    pub path: &'a str,
    pub version: &'a str,
    pub status: u16,
    pub bytes: u64,
    pub duration_ms: f64,
}

impl AccessFields<'_> {
    /// The line the text format prints for the same request.
    pub fn text(&self) -> String {
        format!(
            "{} \"{} {} {}\" {} {} {:.6}ms",
            self.peer,
            self.method,
            self.path,
            self.version,
            self.status,
            self.bytes,
            self.duration_ms
        )
    }
}

/// The fields of an access log record written with [`FIELDS_FORMAT`]; `None` for any other
/// record (which then keeps its message as it is).
pub fn parse<'a>(target: &str, message: &'a str) -> Option<AccessFields<'a>> {
    if target != TARGET {
        return None;
    }
    let mut fields = message.split('\t');
    let mut next = || fields.next();
    let parsed = AccessFields {
        peer: next()?,
        method: next()?,
        path: next()?,
        version: next()?,
        status: next()?.parse().ok()?,
        bytes: next()?.parse().ok()?,
        duration_ms: next()?.parse().ok().filter(|ms: &f64| ms.is_finite())?,
    };
    next().is_none().then_some(parsed)
}

/// A path as a field: a tab (which HTTP parsers reject anyway) would split it.
pub fn no_tabs(path: String) -> String {
    if path.contains('\t') {
        path.replace('\t', "%09")
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_complete_access_lines_are_split() {
        let line = "::1\tGET\t/readings\tHTTP/2.0\t304\t0\t1.5";
        assert_eq!(
            parse(TARGET, line),
            Some(AccessFields {
                peer: "::1",
                method: "GET",
                path: "/readings",
                version: "HTTP/2.0",
                status: 304,
                bytes: 0,
                duration_ms: 1.5,
            })
        );
        assert_eq!(parse("dexcom_share_proxy::feed", line), None);
        for broken in [
            "::1 GET /readings",
            "::1\tGET\t/readings\tHTTP/1.1\t200\t0",
            "::1\tGET\t/readings\tHTTP/1.1\t200\t0\t1.5\textra",
            "::1\tGET\t/readings\tHTTP/1.1\tok\t0\t1.5",
            "::1\tGET\t/readings\tHTTP/1.1\t200\t0\tNaN",
        ] {
            assert_eq!(parse(TARGET, broken), None, "{broken}");
        }
    }

    #[test]
    fn tabs_in_a_path_are_escaped() {
        assert_eq!(no_tabs("/a\tb".to_owned()), "/a%09b");
        assert_eq!(no_tabs("/readings".to_owned()), "/readings");
    }
}
