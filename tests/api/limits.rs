//! Request limits, sent as raw HTTP/1.1 so nothing client-side tidies the request up.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::helpers::{spawn_app, TestApp};

/// Sends `head_and_body` as is (`Connection: close` is added) and returns the whole answer.
async fn raw(app: &TestApp, request_line: &str, headers: &str, body: &str) -> String {
    let addr = app.address.trim_start_matches("http://").to_owned();
    let request =
        format!("{request_line}\r\nHost: {addr}\r\nConnection: close\r\n{headers}\r\n{body}");
    actix_web::rt::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(&addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("set timeout");
        stream.write_all(request.as_bytes()).expect("send");
        let mut answer = Vec::new();
        // The server may close after answering without reading everything: keep what came.
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .expect("raw request thread")
}

fn assert_problem(answer: &str, status: u16, code: &str) {
    assert!(
        answer.starts_with(&format!("HTTP/1.1 {status} ")),
        "{answer}"
    );
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(answer.contains(&format!("\"code\":\"{code}\"")), "{answer}");
}

#[actix_web::test]
async fn a_get_with_a_body_is_refused_before_anything_else_happens() {
    let app = spawn_app().await;

    let with_length = raw(
        &app,
        "GET /readings/latest HTTP/1.1",
        "Content-Length: 5\r\n",
        "hello",
    )
    .await;
    let chunked = raw(
        &app,
        "GET /health HTTP/1.1",
        "Transfer-Encoding: chunked\r\n",
        "5\r\nhello\r\n0\r\n\r\n",
    )
    .await;
    let empty = raw(&app, "GET /health HTTP/1.1", "Content-Length: 0\r\n", "").await;

    assert_problem(&with_length, 413, "body_not_allowed");
    assert_problem(&chunked, 413, "body_not_allowed");
    assert!(empty.starts_with("HTTP/1.1 200 "), "{empty}");
    assert_eq!(app.calls(), (0, 0, 0));
}

#[actix_web::test]
async fn urls_and_headers_beyond_the_limits_are_refused() {
    let app = spawn_app().await;
    let long_name = "a".repeat(9 * 1024);
    let many_headers: String = (0..20)
        .map(|i| format!("X-Pad-{i}: {}\r\n", "p".repeat(1000)))
        .collect();
    let huge_header = format!("X-Huge: {}\r\n", "h".repeat(200 * 1024));

    let long_url = raw(
        &app,
        &format!("GET /readings?account={long_name} HTTP/1.1"),
        "",
        "",
    )
    .await;
    let large_headers = raw(&app, "GET /health HTTP/1.1", &many_headers, "").await;
    let beyond_the_parser = raw(&app, "GET /health HTTP/1.1", &huge_header, "").await;

    assert_problem(&long_url, 414, "uri_too_long");
    assert_problem(&large_headers, 431, "headers_too_large");
    // actix-http refuses heads over 128 KiB itself, before any of our code runs.
    assert!(
        beyond_the_parser.starts_with("HTTP/1.1 431 ") || beyond_the_parser.is_empty(),
        "{beyond_the_parser}"
    );
    assert_eq!(app.calls(), (0, 0, 0));
}
