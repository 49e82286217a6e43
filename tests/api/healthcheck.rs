//! `dexcom-share-proxy healthcheck`: the container's HEALTHCHECK, with no shell tools.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Output;
use std::time::{Duration, Instant};

use crate::process::{proxy, Logged};

fn healthcheck(args: &[&str]) -> Output {
    proxy()
        .arg("healthcheck")
        .args(args)
        .output()
        .expect("run the healthcheck")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A server on a free port that answers every connection with `answer` (`None`: never).
fn fake_server(answer: Option<&'static str>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address").to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut stream in listener.incoming().map_while(Result::ok) {
            let mut request = [0u8; 1024];
            let _ = stream.read(&mut request);
            match answer {
                Some(answer) => drop(stream.write_all(answer.as_bytes())),
                None => held.push(stream),
            }
        }
    });
    addr
}

#[test]
fn a_running_service_is_healthy() {
    let mut command = proxy();
    command.args(["--demo", "--listen", "127.0.0.1:0"]);
    let service = Logged::start(command);

    let output = healthcheck(&["--url", &format!("http://{}/health", service.addr)]);

    service.stop();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(stdout(&output).lines().count(), 1);
    assert!(stdout(&output).starts_with("healthy: "), "{output:?}");
}

#[test]
fn anything_but_a_200_within_the_timeout_is_unhealthy() {
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").to_string()
    };
    let failing = fake_server(Some(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n",
    ));
    let not_http = fake_server(Some("SSH-2.0-OpenSSH_9.2\r\n"));
    let cases = [
        (format!("http://{closed}/health"), "refused"),
        (format!("http://{failing}/health"), "answered 503"),
        (format!("http://{not_http}/health"), "not HTTP"),
        ("https://127.0.0.1:8080/health".to_owned(), "http only"),
    ];
    for (url, why) in cases {
        let output = healthcheck(&["--url", &url]);

        assert_eq!(output.status.code(), Some(1), "{url}: {output:?}");
        let line = stdout(&output);
        assert!(
            line.starts_with("unhealthy: ") && line.contains(why),
            "{url}: {line}"
        );
    }
}

#[test]
fn a_silent_service_is_unhealthy_after_the_timeout() {
    let silent = fake_server(None);
    let start = Instant::now();

    let output = healthcheck(&[
        "--url",
        &format!("http://{silent}/health"),
        "--timeout",
        "1",
    ]);

    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        stdout(&output).contains("no answer within 1000 ms"),
        "{output:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}
