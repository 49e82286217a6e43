//! `dexcom-share-proxy healthcheck`: one GET of the service's `/health`, for a container
//! `HEALTHCHECK` in an image without shell tools (no curl, no wget). Plain HTTP/1.1 over a std
//! `TcpStream`: the probe runs beside the service, on its own loopback, so it needs no TLS and
//! no runtime.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// What the container's `HEALTHCHECK` asks by default.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080/health";

/// The most of an answer read: the status line is all that counts.
const MAX_HEAD: usize = 8 * 1024;

/// Why a probe got no status.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{0:?} is not a URL like http://127.0.0.1:8080/health (http only)")]
    Url(String),
    #[error("cannot resolve {0}")]
    Resolve(String),
    #[error("no answer within {0} ms")]
    Timeout(u128),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the answer is not HTTP")]
    NotHttp,
}

/// A parsed `http://host[:port][/path]`.
#[derive(Debug, PartialEq, Eq)]
pub struct HttpUrl {
    /// As written, brackets of an IPv6 address included (for the `Host` header).
    pub authority: String,
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl HttpUrl {
    pub fn parse(url: &str) -> Result<HttpUrl, ProbeError> {
        let bad = || ProbeError::Url(url.to_owned());
        let rest = url.strip_prefix("http://").ok_or_else(bad)?;
        let (authority, path) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, "/"),
        };
        if authority.is_empty() || authority.contains('@') || !path.is_ascii() {
            return Err(bad());
        }
        if path.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err(bad());
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => {
                (host, port.parse::<u16>().map_err(|_| bad())?)
            }
            _ => (authority, 80),
        };
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if host.is_empty() {
            return Err(bad());
        }
        Ok(HttpUrl {
            authority: authority.to_owned(),
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }
}

/// GETs `url` and returns the answer's status code, all within `timeout`.
pub fn probe(url: &str, timeout: Duration) -> Result<u16, ProbeError> {
    let deadline = Instant::now() + timeout;
    let url = HttpUrl::parse(url)?;
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(ProbeError::Timeout(timeout.as_millis()))
    };
    let addrs: Vec<SocketAddr> = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|_| ProbeError::Resolve(url.host.clone()))?
        .collect();
    let mut last = ProbeError::Resolve(url.host.clone());
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, left()?) {
            Ok(stream) => return exchange(stream, &url, &left, timeout),
            Err(e) => last = timed_out(e, timeout),
        }
    }
    Err(last)
}

fn exchange(
    mut stream: TcpStream,
    url: &HttpUrl,
    left: &dyn Fn() -> Result<Duration, ProbeError>,
    timeout: Duration,
) -> Result<u16, ProbeError> {
    stream.set_write_timeout(Some(left()?))?;
    // One write: a server that answers on the first bytes would otherwise see the rest
    // of the request after it closed, and the probe a broken pipe rather than its answer.
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: dexcom-share-proxy-healthcheck\r\n\
         Connection: close\r\n\r\n",
        url.path, url.authority
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| timed_out(e, timeout))?;
    let mut head = Vec::with_capacity(256);
    let mut chunk = [0u8; 1024];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < MAX_HEAD {
        stream.set_read_timeout(Some(left()?))?;
        let n = stream.read(&mut chunk).map_err(|e| timed_out(e, timeout))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..n]);
    }
    status(&head).ok_or(ProbeError::NotHttp)
}

/// The status code of an answer's first line: `HTTP/1.x NNN ...`.
fn status(head: &[u8]) -> Option<u16> {
    let line = head.split(|b| *b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    let version = parts.next()?;
    let code = parts.next()?;
    (version.starts_with("HTTP/1.") && code.len() == 3)
        .then(|| code.parse().ok())
        .flatten()
}

fn timed_out(error: std::io::Error, timeout: Duration) -> ProbeError {
    match error.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
            ProbeError::Timeout(timeout.as_millis())
        }
        _ => ProbeError::Io(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(authority: &str, host: &str, port: u16, path: &str) -> HttpUrl {
        HttpUrl {
            authority: authority.to_owned(),
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        }
    }

    #[test]
    fn http_urls_parse_into_host_port_and_path() {
        let cases = [
            (
                "http://127.0.0.1:8080/health",
                url("127.0.0.1:8080", "127.0.0.1", 8080, "/health"),
            ),
            ("http://localhost", url("localhost", "localhost", 80, "/")),
            (
                "http://[::1]:9000/health?x=1",
                url("[::1]:9000", "::1", 9000, "/health?x=1"),
            ),
            ("http://[::1]/", url("[::1]", "::1", 80, "/")),
        ];
        for (raw, want) in cases {
            assert_eq!(HttpUrl::parse(raw).expect(raw), want, "{raw}");
        }
    }

    #[test]
    fn other_urls_are_refused() {
        for raw in [
            "https://127.0.0.1/health",
            "127.0.0.1:8080/health",
            "http://",
            "http://:8080/",
            "http://host:99999/",
            "http://host:port/",
            "http://user:pw@host/",
            "http://host/a b",
            "http://host/a\r\nX: y",
        ] {
            assert!(HttpUrl::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn the_status_comes_from_the_first_line() {
        assert_eq!(status(b"HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(status(b"HTTP/1.0 503 Service Unavailable\r\nx"), Some(503));
        assert_eq!(status(b"HTTP/1.1 204\r\n"), Some(204));
        assert_eq!(status(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(status(b"HTTP/1.1 20 OK\r\n"), None);
        assert_eq!(status(b""), None);
    }
}
