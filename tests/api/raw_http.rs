//! HTTP/1.1 over a plain `TcpStream`, for tests of the binary that need to see the
//! connection itself: refused, cut, or ended.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Opens a connection and sends `GET path` with `Connection: close`.
pub fn send_get(addr: &str, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect to the proxy");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("set timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send request");
    stream
}

/// The whole answer to `GET path`, head and body, as the server sent it.
pub fn get(addr: &str, path: &str) -> String {
    let mut response = String::new();
    send_get(addr, path)
        .read_to_string(&mut response)
        .expect("read response");
    response
}

/// An event stream, read up to its first `status` event.
pub fn open_stream(addr: &str, path: &str) -> BufReader<TcpStream> {
    let mut stream = BufReader::new(send_get(addr, path));
    let mut line = String::new();
    loop {
        line.clear();
        let n = stream.read_line(&mut line).expect("read the stream");
        assert!(n > 0, "the stream ended before its first status event");
        if line.trim_end() == "event: status" {
            return stream;
        }
    }
}

/// Whether a new connection to `addr` is refused.
pub fn refused(addr: &str) -> bool {
    TcpStream::connect_timeout(
        &addr.parse().expect("a socket address"),
        Duration::from_secs(1),
    )
    .is_err()
}
