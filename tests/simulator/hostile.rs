//! The hostile-upstream faults: compression bombs and redirects, as a client sees them on the
//! wire (no decoding, no redirect followed).

use std::io::Read;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use dexcom_share_proxy::simulator::{
    BombEncoding, Endpoint, Fault, FaultKind, DEMO_ACCOUNT_ID, DEMO_PASSWORD,
};
use serde_json::json;

use crate::helpers::{spawn, TestSim, APP_ID};

const MIB: u64 = 1024 * 1024;

/// A client that shows answers as they are: no decoding, no redirects.
fn raw_client() -> awc::Client {
    awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .disable_redirects()
        .finish()
}

struct Raw {
    status: StatusCode,
    content_encoding: Option<String>,
    location: Option<String>,
    body: Vec<u8>,
}

async fn raw_login(t: &TestSim) -> Raw {
    let url = format!("{}General/LoginPublisherAccountById", t.base);
    let body =
        json!({"accountId": DEMO_ACCOUNT_ID, "password": DEMO_PASSWORD, "applicationId": APP_ID});
    let mut response = raw_client()
        .post(url)
        .no_decompress()
        .send_json(&body)
        .await
        .unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (content_encoding, location) = (header("content-encoding"), header("location"));
    let body = response.body().limit(64 * 1024 * 1024).await.unwrap();
    Raw {
        status: response.status(),
        content_encoding,
        location,
        body: body.to_vec(),
    }
}

/// Counts the bytes `decoded` yields, checking each is zero.
fn zeros_in(mut decoded: impl Read) -> u64 {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0;
    loop {
        let n = decoded.read(&mut buf).unwrap();
        if n == 0 {
            return total;
        }
        assert!(buf[..n].iter().all(|b| *b == 0));
        total += n as u64;
    }
}

#[actix_web::test]
async fn a_compression_bomb_is_a_small_encoded_answer_that_decodes_to_its_size() {
    let t = spawn().await;
    for (encoding, token, mib, max_wire) in [
        (BombEncoding::Gzip, "gzip", 64, 70 * 1024),
        (BombEncoding::Zstd, "zstd", 256, 16 * 1024),
    ] {
        let fault = json!({"endpoint": "login_by_id", "times": 1,
            "kind": {"kind": "compression_bomb", "encoding": token, "decoded_mb": mib}});
        let injected = t.control("POST", "faults", Some(fault)).await;
        assert_eq!(injected.status, StatusCode::NO_CONTENT);

        let bomb = raw_login(&t).await;

        assert_eq!(bomb.status, StatusCode::OK);
        assert_eq!(bomb.content_encoding.as_deref(), Some(token));
        assert!(bomb.body.len() < max_wire, "{token}: {}", bomb.body.len());
        let decoded = match encoding {
            BombEncoding::Gzip => zeros_in(flate2::read::GzDecoder::new(&bomb.body[..])),
            BombEncoding::Zstd => {
                zeros_in(zstd::stream::read::Decoder::new(&bomb.body[..]).unwrap())
            }
        };
        assert_eq!(decoded, mib * MIB, "{token}");
        let next = raw_login(&t).await;
        assert_eq!(next.content_encoding, None, "{token}: one time only");
    }
}

#[actix_web::test]
async fn the_same_bomb_is_built_once_and_served_fast_every_time() {
    let t = spawn().await;
    t.sim.control().inject(Fault {
        endpoint: Some(Endpoint::LoginById),
        kind: FaultKind::CompressionBomb {
            encoding: BombEncoding::Gzip,
            decoded_mb: 512,
        },
        times: Some(3),
    });
    let first = raw_login(&t).await;
    let started = Instant::now();
    for _ in 0..2 {
        assert_eq!(raw_login(&t).await.body, first.body);
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(t.sim.control().calls(Endpoint::LoginById), 3);
}

#[actix_web::test]
async fn a_redirect_answers_its_status_and_location_and_repeats_it_in_the_body() {
    let t = spawn().await;
    let location = "http://127.0.0.1:9/steal?from=share&x=\"y\"";
    for status in [301, 302, 303, 307, 308] {
        t.sim.control().inject(Fault {
            endpoint: Some(Endpoint::LoginById),
            kind: FaultKind::Redirect {
                status,
                location: location.to_owned(),
            },
            times: Some(1),
        });

        let answer = raw_login(&t).await;

        assert_eq!(answer.status.as_u16(), status);
        assert_eq!(answer.location.as_deref(), Some(location));
        let body = String::from_utf8(answer.body).unwrap();
        assert!(
            body.contains("http://127.0.0.1:9/steal?from=share&amp;x=&quot;y&quot;"),
            "{body}"
        );
        assert_eq!(raw_login(&t).await.location, None, "one time only");
    }
}

#[actix_web::test]
async fn hostile_faults_are_validated_when_injected() {
    let t = spawn().await;
    for kind in [
        json!({"kind": "compression_bomb", "encoding": "gzip", "decoded_mb": 0}),
        json!({"kind": "compression_bomb", "encoding": "gzip", "decoded_mb": 5000}),
        json!({"kind": "compression_bomb", "encoding": "deflate", "decoded_mb": 1}),
        json!({"kind": "redirect", "status": 300, "location": "/x"}),
        json!({"kind": "redirect", "status": 307, "location": ""}),
        json!({"kind": "redirect", "status": 307, "location": "/x\r\nSet-Cookie: a=b"}),
        json!({"kind": "redirect", "status": 307, "location": "/é"}),
    ] {
        let r = t
            .control("POST", "faults", Some(json!({ "kind": kind })))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{kind}");
        assert!(r.json()["error"].is_string(), "{kind}");
    }
    assert_eq!(t.sim.control().calls(Endpoint::LoginById), 0);
    assert_eq!(raw_login(&t).await.status, StatusCode::OK);
}
