//! The Nightscout facade over real HTTP: the queries real followers and hubs make.

use awc::http::Method;
use serde_json::Value;

use crate::helpers::{alice, alice_and_bob, spawn_app, spawn_app_with};

fn array(value: &Value) -> &Vec<Value> {
    value.as_array().expect("a JSON array")
}

#[actix_web::test]
async fn entries_have_every_field_clients_read_and_default_to_10() {
    let app = spawn_app().await;

    let response = app.get("/ns/alice/api/v1/entries.json").await;

    assert_eq!(response.status, 200);
    let entries = response.json();
    assert_eq!(array(&entries).len(), 10);
    for e in array(&entries) {
        assert_eq!(e["type"], "sgv");
        assert!(
            e["sgv"].is_u64() && e["delta"].is_i64() && e["date"].is_i64(),
            "{e}"
        );
        assert_eq!(e["_id"].as_str().expect("_id").len(), 24);
        assert!(e["dateString"].as_str().expect("dateString").ends_with('Z'));
        assert_eq!(e["sysTime"], e["dateString"]);
        assert_eq!(e["utcOffset"], -240);
        assert!((1..=7).contains(&e["trend"].as_u64().expect("trend")));
        assert!(e["direction"].is_string());
        assert_eq!(e["device"], "dexcom-share-proxy");
    }
    let dates: Vec<i64> = array(&entries)
        .iter()
        .map(|e| e["date"].as_i64().expect("date"))
        .collect();
    assert!(dates.windows(2).all(|w| w[0] > w[1]), "newest first");
    let first = &array(&entries)[0];
    let second = &array(&entries)[1];
    let delta = first["sgv"].as_i64().expect("sgv") - second["sgv"].as_i64().expect("sgv");
    assert_eq!(first["delta"], delta);
    assert!(response.header("last-modified").is_some());
    assert_eq!(
        response.header("cache-status"),
        Some("dexcom-share-proxy; fwd=miss; stored")
    );
}

#[actix_web::test]
async fn the_facade_and_the_native_endpoints_agree() {
    let app = spawn_app().await;

    let native = app.get("/readings?max_count=288").await.json();
    let facade = app
        .get("/ns/alice/api/v1/entries/sgv.json?count=288")
        .await
        .json();
    let current = app
        .get("/ns/alice/api/v1/entries/current.json")
        .await
        .json();
    let native_current = app.get("/readings/latest").await.json();

    assert_eq!(array(&native).len(), array(&facade).len());
    for (n, f) in array(&native).iter().zip(array(&facade)) {
        let native_ms =
            chrono::DateTime::parse_from_rfc3339(n["datetime"].as_str().expect("datetime"))
                .expect("RFC 3339")
                .timestamp_millis();
        assert_eq!(f["date"], native_ms);
        assert_eq!(f["sgv"], n["mg_dl"]);
        assert_eq!(f["trend"], n["trend"]);
    }
    assert_eq!(array(&current).len(), 1);
    assert_eq!(array(&current)[0]["sgv"], native_current["mg_dl"]);
    assert_eq!(app.calls().2, 1, "one Share read serves both APIs");
}

/// xDrip+ follower: first sync, then everything newer than the last entry it has.
#[actix_web::test]
async fn xdrip_follower_queries() {
    let app = spawn_app().await;

    let first = app
        .get("/ns/alice/api/v1/entries.json?count=10&rr=1732600000000")
        .await
        .json();
    let third_newest = array(&first)[2]["date"].as_i64().expect("date");
    let newer = app
        .get(&format!("/ns/alice/api/v1/entries.json?count=2880&find[date][$gt]={third_newest}&rr=1732600000001"))
        .await
        .json();
    let encoded = app
        .get(&format!(
            "/ns/alice/api/v1/entries.json?count=2880&find%5Bdate%5D%5B%24gt%5D={third_newest}"
        ))
        .await
        .json();

    assert_eq!(array(&newer).len(), 2);
    assert_eq!(array(&newer)[..], array(&first)[..2]);
    assert_eq!(newer, encoded);
    for path in [
        "/ns/alice/api/v1/treatments",
        "/ns/alice/api/v1/devicestatus.json?count=1",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(response.json(), serde_json::json!([]));
    }
}

/// GlucoDataHandler: /pebble first, then entries/current.json, then a graph backfill.
#[actix_web::test]
async fn glucodatahandler_queries() {
    let app = spawn_app().await;

    let pebble = app.get("/ns/alice/pebble").await.json();
    let current = app
        .get("/ns/alice/api/v1/entries/current.json")
        .await
        .json();
    let since = array(&current)[0]["date"].as_i64().expect("date") - 30 * 60 * 1000;
    let backfill = app
        .get(&format!(
            "/ns/alice/api/v1/entries/sgv.json?find[date][$gt]={since}&count=100"
        ))
        .await
        .json();
    let mmol = app.get("/ns/alice/pebble?units=mmol&count=3").await.json();

    let bg = &array(&pebble["bgs"])[0];
    assert!(pebble["status"][0]["now"].is_i64());
    assert_eq!(bg["sgv"], array(&current)[0]["sgv"].to_string());
    assert_eq!(bg["datetime"], array(&current)[0]["date"]);
    assert_eq!(bg["direction"], array(&current)[0]["direction"]);
    assert_eq!(bg["trend"], array(&current)[0]["trend"]);
    assert!(bg["bgdelta"].is_i64());
    assert_eq!(pebble["cals"], serde_json::json!([]));
    assert!(
        (5..=7).contains(&array(&backfill).len()),
        "{}",
        array(&backfill).len()
    );
    assert_eq!(array(&mmol["bgs"]).len(), 3);
    assert!(mmol["bgs"][0]["sgv"]
        .as_str()
        .expect("string")
        .contains('.'));
    assert!(mmol["bgs"][1].get("bgdelta").is_none());
}

#[actix_web::test]
async fn bare_entries_paths_answer_tab_separated_text_unless_json_is_asked() {
    let app = spawn_app().await;

    let text = app.get("/ns/alice/api/v1/entries/current").await;
    let sgv = app.get("/ns/alice/api/v1/entries/sgv?count=3").await;

    assert_eq!(
        text.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let body = String::from_utf8_lossy(&text.body).to_string();
    let fields: Vec<&str> = body.trim_end().split('\t').collect();
    assert_eq!(fields.len(), 5, "{body}");
    assert!(fields[0].starts_with('"') && fields[0].ends_with("Z\""));
    assert!(fields[1].parse::<i64>().is_ok() && fields[2].parse::<u16>().is_ok());
    assert_eq!(fields[4], "\"dexcom-share-proxy\"");
    assert_eq!(String::from_utf8_lossy(&sgv.body).lines().count(), 3);
}

#[actix_web::test]
async fn if_modified_since_the_last_change_is_304() {
    let app = spawn_app().await;
    assert_eq!(app.get("/ns/alice/api/v1/entries.json").await.status, 200);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    let first = app.get("/ns/alice/api/v1/entries.json").await;
    let last_modified = first
        .header("last-modified")
        .expect("Last-Modified")
        .to_owned();

    let again = app
        .send(
            Method::GET,
            "/ns/alice/api/v1/entries.json",
            &[("if-modified-since", &last_modified)],
        )
        .await;
    let older = app
        .send(
            Method::GET,
            "/ns/alice/api/v1/entries.json",
            &[("if-modified-since", "Mon, 01 Jan 2024 00:00:00 GMT")],
        )
        .await;

    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(older.status, 200);
}

#[actix_web::test]
async fn status_describes_the_server_without_calling_share() {
    let app = spawn_app().await;

    let status = app.get("/ns/alice/api/v1/status.json").await.json();

    assert_eq!(status["status"], "ok");
    assert_eq!(status["apiEnabled"], true);
    assert!(status["settings"].is_object());
    assert_eq!(status["settings"]["units"], "mg/dl");
    assert!(status["settings"]["authDefaultRoles"].is_string());
    assert!(status["serverTimeEpoch"].is_i64() && status["version"].is_string());
    assert_eq!(
        status["settings"]["thresholds"],
        serde_json::json!({"bgHigh": 260, "bgTargetTop": 180, "bgTargetBottom": 80, "bgLow": 55})
    );
    assert_eq!(app.calls(), (0, 0, 0));
}

#[actix_web::test]
async fn status_shows_an_accounts_own_thresholds_to_those_who_may_read_it() {
    let app = spawn_app_with(|setup| {
        let mut alice = alice(&setup.sim_url());
        alice.thresholds.high = 200;
        alice.thresholds.low = 70;
        setup.settings.accounts = vec![alice];
    })
    .await;

    let status = app.get("/ns/alice/api/v1/status.json").await.json();

    assert_eq!(status["settings"]["thresholds"]["bgTargetTop"], 200);
    assert_eq!(status["settings"]["thresholds"]["bgTargetBottom"], 70);
}

#[actix_web::test]
async fn with_one_account_the_facade_also_answers_at_the_root() {
    let app = spawn_app().await;

    for path in [
        "/api/v1/entries.json",
        "/api/v1/entries/sgv.json?count=2",
        "/api/v1/entries/current.json",
        "/api/v1/status.json",
        "/pebble",
        "/api/v1/profile.json",
    ] {
        assert_eq!(app.get(path).await.status, 200, "{path}");
    }
    assert_eq!(
        app.get("/api/v1/entries").await.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
}

#[actix_web::test]
async fn with_several_accounts_only_the_per_account_paths_exist() {
    let app = spawn_app_with(alice_and_bob).await;

    app.get("/api/v1/entries.json")
        .await
        .assert_problem(404, "not_found");
    app.get("/pebble").await.assert_problem(404, "not_found");
    assert_eq!(
        app.get("/ns/bob/api/v1/entries.json").await.json()[0]["utcOffset"],
        330
    );
    app.get("/ns/carol/api/v1/entries.json")
        .await
        .assert_problem(404, "account_not_found");
    app.request(Method::POST, "/ns/bob/api/v1/entries.json")
        .await
        .assert_problem(405, "method_not_allowed");
}

#[actix_web::test]
async fn bad_facade_queries_are_400() {
    let app = spawn_app().await;
    let entries = "/ns/alice/api/v1/entries.json";
    // The pebble count is a `max_count`: the same digits-only rule and range as /readings.
    let pebble = "/ns/alice/pebble";
    for (path, query) in [
        (entries, "count=-1"),
        (entries, "count=abc"),
        (entries, "find[date][$gt]=yesterday"),
        (entries, "find[dateString][$gte]=soon"),
        (pebble, "units=furlongs"),
        (pebble, "count=0"),
        (pebble, "count=289"),
        (pebble, "count=%2B5"),
        (pebble, "count=1&count=2"),
    ] {
        app.get(&format!("{path}?{query}"))
            .await
            .assert_problem(400, "query_invalid");
    }
    assert_eq!(app.calls(), (0, 0, 0));
}

mod credentials {
    use awc::http::Method;
    use sha1::{Digest, Sha1};

    use crate::helpers::{alice_and_bob_with_tokens, spawn_app_with, ALICE_TOKEN, BOB_TOKEN};

    fn sha1_hex(token: &str) -> String {
        Sha1::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    const ENTRIES: &str = "/ns/alice/api/v1/entries.json";

    #[actix_web::test]
    async fn every_nightscout_credential_form_opens_the_account() {
        let app = spawn_app_with(alice_and_bob_with_tokens).await;
        let secret = sha1_hex(ALICE_TOKEN);
        let token_form = format!("token={ALICE_TOKEN}");
        let bearer = format!("Bearer {ALICE_TOKEN}");

        let answers = [
            app.send(Method::GET, ENTRIES, &[("api-secret", &secret)])
                .await,
            app.send(
                Method::GET,
                ENTRIES,
                &[("api-secret", &secret.to_uppercase())],
            )
            .await,
            app.send(Method::GET, ENTRIES, &[("api-secret", &token_form)])
                .await,
            app.send(Method::GET, ENTRIES, &[("authorization", &bearer)])
                .await,
            app.get(&format!("{ENTRIES}?token={ALICE_TOKEN}")).await,
            app.get(&format!("{ENTRIES}?secret={secret}")).await,
            app.send(Method::GET, "/ns/alice/pebble", &[("api-secret", &secret)])
                .await,
            app.send(
                Method::GET,
                "/ns/alice/api/v1/treatments.json",
                &[("api-secret", &secret)],
            )
            .await,
        ];

        for (i, answer) in answers.iter().enumerate() {
            assert_eq!(answer.status, 200, "form {i}");
        }
    }

    #[actix_web::test]
    async fn missing_or_wrong_credentials_get_nightscouts_401_without_calling_share() {
        let app = spawn_app_with(alice_and_bob_with_tokens).await;
        let nightscout_401 = serde_json::json!({"status": 401, "message": "Unauthorized", "description": "Invalid/Missing"});
        let bob_secret = sha1_hex(BOB_TOKEN);
        let wrong = sha1_hex("not-a-token-of-anyone");

        let answers = [
            app.get(ENTRIES).await,
            app.send(Method::GET, ENTRIES, &[("api-secret", &wrong)])
                .await,
            app.send(Method::GET, ENTRIES, &[("api-secret", "not hex at all")])
                .await,
            app.send(Method::GET, ENTRIES, &[("api-secret", &bob_secret)])
                .await,
            app.get(&format!("{ENTRIES}?token={BOB_TOKEN}")).await,
            app.get("/ns/alice/pebble").await,
            app.get("/ns/alice/api/v1/entries/current").await,
            app.get("/ns/alice/api/v1/devicestatus.json").await,
        ];

        for (i, answer) in answers.iter().enumerate() {
            assert_eq!(answer.status, 401, "answer {i}");
            assert_eq!(answer.json(), nightscout_401, "answer {i}");
        }
        assert_eq!(app.calls(), (0, 0, 0));
    }

    #[actix_web::test]
    async fn credentials_that_disagree_are_refused_and_one_token_given_two_ways_is_not() {
        let app = spawn_app_with(alice_and_bob_with_tokens).await;
        let alice_secret = sha1_hex(ALICE_TOKEN);
        let bob_secret = sha1_hex(BOB_TOKEN);
        let alice_bearer = format!("Bearer {ALICE_TOKEN}");
        let bob_bearer = format!("Bearer {BOB_TOKEN}");
        let alice_token_form = format!("token={ALICE_TOKEN}");
        let nightscout_401 = serde_json::json!({"status": 401, "message": "Unauthorized", "description": "Invalid/Missing"});

        let disagreeing = [
            // A valid api-secret used to win over any other credential.
            app.send(
                Method::GET,
                ENTRIES,
                &[
                    ("api-secret", &alice_secret),
                    ("authorization", &bob_bearer),
                ],
            )
            .await,
            app.send(
                Method::GET,
                &format!("{ENTRIES}?token={BOB_TOKEN}"),
                &[("api-secret", &alice_secret)],
            )
            .await,
            app.send(
                Method::GET,
                &format!("{ENTRIES}?token=not-a-token-of-anyone"),
                &[("api-secret", &alice_token_form)],
            )
            .await,
            app.send(
                Method::GET,
                &format!("{ENTRIES}?secret={bob_secret}"),
                &[("api-secret", &alice_secret)],
            )
            .await,
            app.send(
                Method::GET,
                &format!("{ENTRIES}?secret={alice_secret}"),
                &[("authorization", "Bearer not-a-token-of-anyone")],
            )
            .await,
            app.send(
                Method::GET,
                ENTRIES,
                &[("api-secret", "not hex"), ("authorization", &alice_bearer)],
            )
            .await,
        ];
        let agreeing = [
            app.send(
                Method::GET,
                ENTRIES,
                &[
                    ("api-secret", &alice_secret),
                    ("authorization", &alice_bearer),
                ],
            )
            .await,
            app.get(&format!(
                "{ENTRIES}?secret={}&token={ALICE_TOKEN}",
                alice_secret.to_uppercase()
            ))
            .await,
            app.send(
                Method::GET,
                &format!("{ENTRIES}?secret={alice_secret}"),
                &[
                    ("api-secret", &alice_token_form),
                    ("authorization", &alice_bearer),
                ],
            )
            .await,
        ];

        for (i, answer) in disagreeing.iter().enumerate() {
            assert_eq!(answer.status, 401, "disagreeing {i}");
            assert_eq!(answer.json(), nightscout_401, "disagreeing {i}");
        }
        for (i, answer) in agreeing.iter().enumerate() {
            assert_eq!(answer.status, 200, "agreeing {i}");
        }
    }

    /// Status, headers (but `Date`) and body, with `name` replaced by `NAME` and the server
    /// time taken out.
    fn shape(response: &crate::helpers::Response, name: &str) -> (u16, Vec<String>, String) {
        let mut headers: Vec<String> = response
            .headers
            .iter()
            .filter(|(k, _)| k.as_str() != "date")
            .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or("?").replace(name, "NAME")))
            .collect();
        headers.sort();
        let mut body: serde_json::Value =
            serde_json::from_slice(&response.body).expect("a JSON body");
        if let Some(fields) = body.as_object_mut() {
            fields.remove("serverTime");
            fields.remove("serverTimeEpoch");
        }
        let body = body.to_string().replace(name, "NAME");
        (response.status.as_u16(), headers, body)
    }

    #[actix_web::test]
    async fn without_valid_credentials_an_unknown_account_looks_exactly_like_a_protected_one() {
        // Without the slow-down, which would make the twenty refusals take 50 s.
        let app = spawn_app_with(|setup| {
            alice_and_bob_with_tokens(setup);
            setup.settings.auth.failure_delay_max = std::time::Duration::ZERO;
        })
        .await;
        let wrong = [("api-secret", "0123456789abcdef0123456789abcdef01234567")];

        for path in [
            "/api/v1/entries.json",
            "/api/v1/entries/current",
            "/api/v1/status.json",
            "/pebble",
            "/api/v1/treatments.json",
        ] {
            let protected = app.get(&format!("/ns/alice{path}")).await;
            let unknown = app.get(&format!("/ns/carol{path}")).await;
            let unknown_wrong = app
                .send(Method::GET, &format!("/ns/carol{path}"), &wrong)
                .await;
            let unknown_bobs = app
                .send(
                    Method::GET,
                    &format!("/ns/carol{path}"),
                    &[("api-secret", &sha1_hex(BOB_TOKEN))],
                )
                .await;

            let want = shape(&protected, "alice");
            assert_eq!(shape(&unknown, "carol"), want, "{path}");
            assert_eq!(shape(&unknown_wrong, "carol"), want, "{path} wrong secret");
            assert_eq!(shape(&unknown_bobs, "carol"), want, "{path} bob's secret");
        }
        let status = app.get("/ns/carol/api/v1/status.json").await;
        assert_eq!(status.status, 200);
        assert_eq!(status.json()["settings"]["authDefaultRoles"], "denied");
        assert_eq!(status.json()["name"], "dexcom-share-proxy (carol)");
        assert_eq!(app.calls(), (0, 0, 0));
    }

    #[actix_web::test]
    async fn probing_names_through_the_status_document_is_slowed_down() {
        let app = spawn_app_with(alice_and_bob_with_tokens).await;
        let alices = [("api-secret", sha1_hex(ALICE_TOKEN))];
        let alices = [(alices[0].0, alices[0].1.as_str())];

        let mut took = Vec::new();
        for name in ["carol", "alice", "dave"] {
            let started = std::time::Instant::now();
            let status = app.get(&format!("/ns/{name}/api/v1/status.json")).await;
            took.push(started.elapsed());
            assert_eq!(status.status, 200, "{name}");
        }
        let started = std::time::Instant::now();
        let with_secret = app
            .send(Method::GET, "/ns/alice/api/v1/status.json", &alices)
            .await;
        let with_secret_took = started.elapsed();

        assert!(took[2] >= std::time::Duration::from_millis(500), "{took:?}");
        assert_eq!(with_secret.status, 200);
        assert!(
            with_secret_took < std::time::Duration::from_millis(250),
            "{with_secret_took:?}"
        );
    }

    #[actix_web::test]
    async fn status_is_public_and_says_a_secret_is_needed() {
        let app = spawn_app_with(alice_and_bob_with_tokens).await;

        let status = app.get("/ns/alice/api/v1/status.json").await;

        assert_eq!(status.status, 200);
        assert_eq!(status.json()["settings"]["authDefaultRoles"], "denied");
    }
}
