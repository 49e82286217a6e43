use std::time::Duration;

use dexcom_share_proxy::simulator::{Endpoint, Fault, FaultKind};

use crate::helpers::{account, spawn, Options, ALICE_PASSWORD, ALICE_USER};
use dexcom_share_proxy::config::Login;

fn read_fault(kind: FaultKind) -> Fault {
    Fault {
        endpoint: Some(Endpoint::Read),
        kind,
        times: Some(1),
    }
}

/// Each fault maps to its 5xx, costs one read, and the service serves normally afterwards.
#[actix_web::test]
async fn upstream_faults_map_to_the_right_5xx_and_the_service_recovers() {
    let cases = [
        (FaultKind::Stall { millis: 3000 }, 504, "upstream_timeout"),
        (FaultKind::MalformedJson, 502, "upstream_bad_response"),
        // awc hands over a chunked body cut short without an error; the truncated JSON is
        // then refused as unreadable, never served.
        (FaultKind::DropConnection, 502, "upstream_bad_response"),
        (
            FaultKind::HttpStatus {
                status: 503,
                body: "<html><body>Cloudflare: service unavailable</body></html>".into(),
                content_type: "text/html".into(),
            },
            503,
            "upstream_unavailable",
        ),
        (
            FaultKind::ErrorCode {
                code: "SomethingNew".into(),
                message: Some("new failure".into()),
            },
            502,
            "upstream_bad_response",
        ),
    ];
    for (kind, status, code) in cases {
        let app = spawn(Options {
            timeout: Duration::from_secs(1),
            ..Options::default()
        })
        .await;
        let label = format!("{kind:?}");
        app.sim.inject(read_fault(kind));

        let response = app.get("/readings/current").await;

        let body = response.assert_problem(status, code);
        assert!(
            !body["detail"]
                .as_str()
                .expect("detail")
                .contains(ALICE_PASSWORD),
            "{label}"
        );
        assert_eq!(app.calls().2, 1, "{label}");
        assert_eq!(
            app.get("/readings/current").await.status,
            200,
            "{label}: recovers"
        );
    }
}

#[actix_web::test]
async fn a_refused_connection_is_503() {
    let app = spawn(Options {
        accounts: |_| {
            // A port that was just free: nothing listens there.
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("free port")
                .port();
            let url = format!("http://127.0.0.1:{port}/ShareWebServices/Services/");
            vec![account(
                "alice",
                Login::Username(ALICE_USER.into()),
                ALICE_PASSWORD,
                &url,
            )]
        },
        ..Options::default()
    })
    .await;

    app.get("/readings")
        .await
        .assert_problem(503, "upstream_unavailable");
    assert_eq!(app.get("/health").await.status, 200);
}

#[actix_web::test]
async fn legacy_share_formats_are_read() {
    let mut sim = crate::helpers::sim_config();
    sim.accounts[0].legacy_format = true;
    let app = spawn(Options {
        sim,
        ..Options::default()
    })
    .await;

    let response = app.get("/readings?max_count=12").await;

    assert_eq!(response.status, 200);
    let list = response.json();
    assert_eq!(list.as_array().expect("array").len(), 12);
    assert!(list[0]["trend_direction"].is_string());
}
