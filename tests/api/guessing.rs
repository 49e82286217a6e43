//! Guessing tokens in parallel: past a few failures waiting at once (or 30 in a minute), a
//! client's failures are answered at once with 429 instead of piling up as sleeping requests;
//! and while a client is past a limit, its credentials are not even checked (a fast 429 after
//! the check would still tell which guess was right): even a valid token from it gets 429 until
//! Retry-After. Anonymous reads and other clients are not affected.

use std::time::{Duration, Instant};

use awc::http::Method;
use futures_util::future::join_all;
use sha1::{Digest, Sha1};

use crate::helpers::{alice_and_bob_with_tokens, spawn_app_with, Response, ALICE_TOKEN};

/// Sends `request` `n` times at once; each answer with how long it took.
async fn in_parallel<'a, F, Fut>(n: usize, request: F) -> Vec<(Response, Duration)>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Response> + 'a,
{
    join_all((0..n).map(|_| {
        let answer = request();
        async move {
            let started = Instant::now();
            let response = answer.await;
            (response, started.elapsed())
        }
    }))
    .await
}

fn retry_after(response: &Response) -> u64 {
    response
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After in seconds: {:?}", response.headers))
}

/// Asserts that every 429 among `answers` is `too_many_auth_failures` with a Retry-After,
/// answered at once; returns how many there were.
fn quick_refusals(answers: &[(Response, Duration)]) -> usize {
    let refused: Vec<_> = answers
        .iter()
        .filter(|(r, _)| r.status.as_u16() == 429)
        .collect();
    for (response, took) in &refused {
        response.assert_problem(429, "too_many_auth_failures");
        assert!((1..=60).contains(&retry_after(response)));
        // The delay alone would have made the later ones wait up to 5 s.
        assert!(*took < Duration::from_secs(1), "a 429 took {took:?}");
    }
    refused.len()
}

#[actix_web::test]
async fn parallel_wrong_tokens_get_429_at_once_and_then_no_credential_of_that_client_is_checked() {
    let app = spawn_app_with(alice_and_bob_with_tokens).await;
    // Warm the cache so that the last valid request measures the service, not Share.
    assert_eq!(
        app.get_with_token("/readings/latest", ALICE_TOKEN)
            .await
            .status,
        200
    );
    let guess = "/readings/latest?account=alice&token=guess-0123456789abcdef";

    let started = Instant::now();
    let burst = in_parallel(40, || app.get(guess)).await;
    let burst_took = started.elapsed();
    let started = Instant::now();
    let one_more = app.get(guess).await;
    let one_more_took = started.elapsed();
    let started = Instant::now();
    let valid = app.get_with_token("/readings/latest", ALICE_TOKEN).await;
    let valid_took = started.elapsed();

    // Beyond four waiting at once, all are refused (35 when the burst arrives within the first
    // 250 ms); beyond 30 in a minute, all are refused whatever the timing.
    let refused = quick_refusals(&burst);
    assert!(refused >= 10, "only {refused} of 40 refused");
    for (response, _) in burst.iter().filter(|(r, _)| r.status.as_u16() != 429) {
        response.assert_problem(401, "token_invalid");
    }
    // At most four failures wait at once, the longest 1 s when the burst arrives at once: nobody
    // waits the full 5 s that the 21st failure would wait without the limits.
    assert!(
        burst_took < Duration::from_millis(4500),
        "the burst took {burst_took:?}"
    );
    // Over 30 failures in the last minute: refused at once until the oldest is a minute old.
    one_more.assert_problem(429, "too_many_auth_failures");
    assert!(retry_after(&one_more) > 30, "{:?}", one_more.headers);
    assert!(one_more_took < Duration::from_secs(1), "{one_more_took:?}");
    // The right token is not even looked at: a fast 200 here would confirm a guess.
    valid.assert_problem(429, "too_many_auth_failures");
    assert!(
        valid_took < Duration::from_millis(500),
        "the refusal took {valid_took:?}"
    );
    assert!(retry_after(&valid) > 30);
    assert_eq!(
        app.get("/health").await.status,
        200,
        "requests without credentials pass"
    );
}

#[actix_web::test]
async fn the_nightscout_facade_refuses_parallel_guesses_with_429_too() {
    let app = spawn_app_with(alice_and_bob_with_tokens).await;
    let entries = "/ns/alice/api/v1/entries.json";
    let wrong = [("api-secret", "0123456789abcdef0123456789abcdef01234567")];
    let right: String = Sha1::digest(ALICE_TOKEN.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();

    let burst = in_parallel(40, || app.send(Method::GET, entries, &wrong)).await;
    let started = Instant::now();
    let valid = app
        .send(Method::GET, entries, &[("api-secret", right.as_str())])
        .await;
    let valid_took = started.elapsed();

    assert!(quick_refusals(&burst) >= 10);
    let nightscout_401 = serde_json::json!({"status": 401, "message": "Unauthorized", "description": "Invalid/Missing"});
    for (response, _) in burst.iter().filter(|(r, _)| r.status.as_u16() != 429) {
        assert_eq!(response.status, 401);
        assert_eq!(response.json(), nightscout_401);
    }
    assert_eq!(
        valid.status, 429,
        "no secret is checked while the client is refused"
    );
    assert!(
        valid_took < Duration::from_secs(2),
        "the refusal took {valid_took:?}"
    );
}
