use std::collections::HashMap;
use std::io::Write;

use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

fn load_str(toml: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(toml.as_bytes()).expect("write config");
    Settings::load(Some(file.path()), env)
}

fn error_of(toml: &str) -> String {
    load_str(toml, &no_env)
        .expect_err("config must be refused")
        .to_string()
}

#[test]
fn the_documented_example_loads_with_defaults() {
    let settings = load_str(
        r#"
        [[accounts]]
        name = "alice"
        username = "alice@example.com"
        password = "s3cret"
        "#,
        &no_env,
    )
    .expect("valid config");
    assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(settings.feed, crate::feed::FeedSettings::default());
    assert_eq!(settings.render_cache_bytes, 4096 * 1024);
    assert!(!settings.access_log, "no per-request log unless asked for");
    let alice = &settings.accounts[0];
    assert_eq!(alice.name.as_str(), "alice");
    assert_eq!(alice.login, Login::Username("alice@example.com".into()));
    assert_eq!(alice.region, Region::Us);
    assert!(!format!("{settings:?}").contains("s3cret"));
}

#[test]
fn every_key_is_read() {
    let settings = load_str(
        r#"
        listen = "0.0.0.0:9999"
        [log]
        access = true
        [cache]
        ttl_seconds = 30
        render_max_kib = 1024
        [feed]
        idle_after_seconds = 600
        interval_seconds = 60
        initial_lag_seconds = 15
        lag_step_seconds = 1
        max_lag_seconds = 90
        retry_every_seconds = 3
        retry_for_seconds = 20
        missed_slots = 2
        slow_poll_seconds = 90
        margin_minutes = 3
        backfill_minutes = 120
        backfill_every_minutes = 20
        backfill_gap_every_minutes = 6
        future_tolerance_seconds = 30
        [upstream]
        timeout_seconds = 3
        retry_initial_seconds = 2
        retry_max_seconds = 20
        [login]
        backoff_initial_seconds = 120
        backoff_max_seconds = 7200
        lockout_wait_seconds = 3600
        min_interval_seconds = 30
        [[accounts]]
        name = "bob"
        account_id = "5b1e3c55-7d2a-4f0e-9a61-2c4f8d9e0a17"
        password_env = "BOB_PW"
        region = "jp"
        base_url = "http://127.0.0.1:9000/ShareWebServices/Services/"
        "#,
        &|v: &str| (v == "BOB_PW").then(|| "pw".to_owned()),
    )
    .expect("valid config");
    assert_eq!(settings.listen.port(), 9999);
    assert_eq!(settings.render_cache_bytes, 1024 * 1024);
    assert!(settings.access_log);
    let feed = &settings.feed;
    let s = chrono::Duration::seconds;
    let m = chrono::Duration::minutes;
    assert_eq!(feed.idle_after.as_secs(), 600);
    assert_eq!(feed.cadence.interval, s(60));
    assert_eq!(feed.cadence.initial_lag, s(15));
    assert_eq!(feed.cadence.lag_step, s(1));
    assert_eq!(feed.cadence.max_lag, s(90));
    assert_eq!(feed.cadence.retry_every, s(3));
    assert_eq!(feed.cadence.retry_for, s(20));
    assert_eq!(feed.cadence.missed_slots, 2);
    assert_eq!(feed.cadence.slow_every, s(90));
    assert_eq!(feed.reach.margin, m(3));
    assert_eq!(feed.reach.backfill, m(120));
    assert_eq!(feed.reach.backfill_every, m(20));
    assert_eq!(feed.reach.backfill_gap_every, m(6));
    assert_eq!(feed.future_tolerance, s(30));
    assert_eq!(feed.deadline.as_secs(), 3);
    assert_eq!(feed.retry.initial.as_secs(), 2);
    assert_eq!(feed.retry.max.as_secs(), 20);
    assert_eq!(feed.login.rejected_initial.as_secs(), 120);
    assert_eq!(feed.login.rejected_max.as_secs(), 7200);
    assert_eq!(feed.login.lockout_wait.as_secs(), 3600);
    assert_eq!(feed.login.min_interval.as_secs(), 30);
    let bob = &settings.accounts[0];
    assert_eq!(bob.region, Region::Jp);
    assert_eq!(bob.password.expose(), "pw");
    assert!(matches!(bob.login, Login::AccountId(_)));
}

#[test]
fn config_errors_name_the_key_and_the_account() {
    let cases = [
        ("listen = \"nowhere\"", &["`listen`"][..]),
        ("colour = 1", &["colour"]),
        ("[cache]\nrender_max_kib = 1", &["cache.render_max_kib"]),
        ("[feed]\nretry_every_seconds = 1", &["feed.retry_every_seconds"]),
        ("[feed]\nidle_after_seconds = 5", &["feed.idle_after_seconds"]),
        ("[feed]\nmissed_slots = 0", &["feed.missed_slots"]),
        ("[feed]\npoll_seconds = 5", &["poll_seconds"]),
        ("[upstream]\ntimeout_seconds = 999", &["upstream.timeout_seconds"]),
        ("[upstream]\nretry_initial_seconds = 60\nretry_max_seconds = 10", &["upstream.retry_max_seconds"]),
        ("[login]\nlockout_wait_seconds = 60", &["login.lockout_wait_seconds"]),
        ("[login]\nmin_interval_seconds = 0", &["login.min_interval_seconds"]),
        ("[login]\nbackoff_initial_seconds = 600\nbackoff_max_seconds = 300", &["login.backoff_max_seconds"]),
        ("[login]\nretries = 3", &["retries"]),
        (
            "[[accounts]]\nname = \"a\"\nusername = \"u\"\npassword = \"p\"\ncolour = 1",
            &["`a`", "colour"],
        ),
        (
            "[[accounts]]\nname = \"a\"\nusername = \"u\"\naccount_id = \"5b1e3c55-7d2a-4f0e-9a61-2c4f8d9e0a17\"\npassword = \"p\"",
            &["`a`", "not both"],
        ),
        (
            "[[accounts]]\nname = \"a\"\naccount_id = \"not-a-uuid\"\npassword = \"p\"",
            &["`a`", "`account_id`"],
        ),
        (
            "[[accounts]]\nname = \"a\"\naccount_id = \"00000000-0000-0000-0000-000000000000\"\npassword = \"p\"",
            &["`account_id`", "all-zeros"],
        ),
        (
            "[[accounts]]\nname = \"a\"\nusername = \"u\"\npassword = \"p\"\nregion = \"eu\"",
            &["`a`", "`region`", "us, ous, jp"],
        ),
        (
            "[[accounts]]\nname = \"a\"\nusername = \"u\"\npassword_file = \"/nonexistent/pw\"",
            &["`a`", "`password_file`"],
        ),
        (
            "[[accounts]]\nname = \"a\"\nusername = \"u\"\npassword = \"p\"\npassword_env = \"X\"",
            &["`a`", "exactly one"],
        ),
        ("[[accounts]]\nname = \"a\"\nusername = \"u\"", &["`a`", "exactly one"]),
        (
            "[[accounts]]\nname = \"a\"\nusername = \"u\"\npassword_env = \"UNSET_VAR\"",
            &["`password_env`", "UNSET_VAR"],
        ),
        ("[[accounts]]\nname = \"A b\"\nusername = \"u\"\npassword = \"p\"", &["`name`"]),
        ("[[accounts]]\nusername = \"u\"\npassword = \"p\"", &["accounts[0]", "name"]),
        (
            "[[accounts]]\nname = \"a\"\nusername = \"u\"\npassword = \"p\"\nbase_url = \"ftp://x\"",
            &["`base_url`"],
        ),
        (
            "[[accounts]]\nname = \"a\"\nusername = \"u\"\npassword = \"p\"\n[[accounts]]\nname = \"a\"\nusername = \"v\"\npassword = \"q\"",
            &["`a`", "unique"],
        ),
    ];
    for (toml, wanted) in cases {
        let message = error_of(toml);
        for want in wanted {
            assert!(
                message.contains(want),
                "{toml:?} gave {message:?}, missing {want:?}"
            );
        }
        assert!(!message.contains("\"p\""), "password leaked: {message}");
    }
}

#[test]
fn password_file_is_read_without_its_trailing_newline() {
    let mut pw = tempfile::NamedTempFile::new().expect("temp file");
    pw.write_all(b"from file\n").expect("write");
    let toml = format!(
        "[[accounts]]\nname = \"a\"\nusername = \"u\"\npassword_file = {:?}",
        pw.path().display().to_string()
    );
    let settings = load_str(&toml, &no_env).expect("valid config");
    assert_eq!(settings.accounts[0].password.expose(), "from file");
}

#[test]
fn the_environment_adds_an_account_named_default() {
    let env: HashMap<&str, &str> = [
        ("DEXCOM_USERNAME", "+15551234567"),
        ("DEXCOM_PASSWORD", "pw"),
        ("DEXCOM_REGION", "ous"),
    ]
    .into();
    let settings =
        Settings::load(None, &|k: &str| env.get(k).map(|v| v.to_string())).expect("valid env");
    let account = &settings.accounts[0];
    assert_eq!(account.name.as_str(), "default");
    assert_eq!(account.region, Region::Ous);
    assert_eq!(account.login, Login::Username("+15551234567".into()));
}

#[test]
fn environment_errors_name_the_variable() {
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("DEXCOM_USERNAME", "u")], "DEXCOM_PASSWORD"),
        (
            &[
                ("DEXCOM_USERNAME", "u"),
                ("DEXCOM_ACCOUNT_ID", "x"),
                ("DEXCOM_PASSWORD", "p"),
            ],
            "DEXCOM_USERNAME",
        ),
        (
            &[("DEXCOM_ACCOUNT_ID", "x"), ("DEXCOM_PASSWORD", "p")],
            "DEXCOM_ACCOUNT_ID",
        ),
        (
            &[
                ("DEXCOM_USERNAME", "u"),
                ("DEXCOM_PASSWORD", "p"),
                ("DEXCOM_REGION", "mars"),
            ],
            "DEXCOM_REGION",
        ),
    ];
    for (vars, want) in cases {
        let env: HashMap<&str, &str> = vars.iter().copied().collect();
        let message = Settings::load(None, &|k: &str| env.get(k).map(|v| v.to_string()))
            .expect_err("env must be refused")
            .to_string();
        assert!(message.contains(want), "{vars:?} gave {message:?}");
    }
}

#[test]
fn no_file_and_no_environment_means_no_accounts() {
    let settings = Settings::load(None, &no_env).expect("empty settings are valid");
    assert!(settings.accounts.is_empty());
}

#[test]
fn plain_http_to_another_host_needs_a_flag_and_urls_carry_no_credentials() {
    let with = |url: &str, extra: &str| {
        load_str(
            &format!(
                "[[accounts]]\nname = \"a\"\nusername = \"u\"\npassword = \"p\"\n\
                 base_url = \"{url}\"\n{extra}"
            ),
            &|_: &str| None,
        )
    };
    for fine in [
        "https://share.example.org/ShareWebServices/Services/",
        "http://127.0.0.1:9000/ShareWebServices/Services/",
        "http://localhost:9000/",
        "http://[::1]:9000/",
    ] {
        assert!(with(fine, "").is_ok(), "{fine}");
    }
    let refused = with("http://share.example.org/", "").expect_err("plain http elsewhere");
    let message = refused.to_string();
    assert!(
        message.contains("unencrypted") && message.contains("allow_plain_http"),
        "{message}"
    );
    assert!(with("http://192.168.1.20:9000/", "allow_plain_http = true").is_ok());
    let creds = with("https://user:secret@share.example.org/", "").expect_err("credentials");
    assert!(!creds.to_string().contains("secret"), "{creds}");
    assert!(with("https:///nohost", "").is_err());
}

#[test]
fn the_environment_account_needs_the_flag_too() {
    let env = |allow: Option<&'static str>| {
        move |name: &str| match name {
            "DEXCOM_USERNAME" => Some("u".to_owned()),
            "DEXCOM_PASSWORD" => Some("p".to_owned()),
            "DEXCOM_BASE_URL" => Some("http://10.0.0.5:9000/".to_owned()),
            "DEXCOM_ALLOW_PLAIN_HTTP" => allow.map(str::to_owned),
            _ => None,
        }
    };
    assert!(load_str("", &env(None)).is_err());
    assert!(load_str("", &env(Some("true"))).is_ok());
    assert!(load_str("", &env(Some("yes"))).is_err());
}

#[test]
fn thresholds_default_to_nightscouts_and_an_account_may_override_some() {
    let settings = load_str(
        r#"
        [thresholds]
        high = 200
        [[accounts]]
        name = "a"
        username = "u"
        password = "p"
        [[accounts]]
        name = "b"
        username = "v"
        password = "p"
        thresholds = { low = 70, urgent_low = 54 }
        "#,
        &|_: &str| None,
    )
    .expect("valid config");
    let a = settings.accounts[0].thresholds;
    let b = settings.accounts[1].thresholds;
    assert_eq!(
        (a.urgent_high, a.high, a.low, a.urgent_low),
        (260, 200, 80, 55)
    );
    assert_eq!(
        (b.urgent_high, b.high, b.low, b.urgent_low),
        (260, 200, 70, 54)
    );
    for bad in [
        "[thresholds]\nhigh = 30",
        "[thresholds]\nlow = 250",
        "[thresholds]\nmedium = 1",
    ] {
        let error = load_str(
            &format!("{bad}\n[[accounts]]\nname = \"a\"\nusername = \"u\"\npassword = \"p\""),
            &|_: &str| None,
        );
        assert!(error.is_err(), "{bad}");
    }
}

#[test]
fn push_limits_default_and_are_range_checked() {
    let account = "[[accounts]]\nname = \"a\"\nusername = \"u\"\npassword = \"p\"";
    let load = |push: &str| load_str(&format!("{push}\n{account}"), &|_: &str| None);
    let defaults = load("").expect("valid").push;
    assert_eq!(defaults, crate::push::PushSettings::default());
    let set = load("[push]\nmax_streams = 5\nkeep_alive_seconds = 30\nslow_client_seconds = 2")
        .expect("valid")
        .push;
    assert_eq!(
        (
            set.max_streams,
            set.keep_alive.as_secs(),
            set.slow_client.as_secs()
        ),
        (5, 30, 2)
    );
    for bad in [
        "[push]\nmax_streams = 0",
        "[push]\nkeep_alive_seconds = 0",
        "[push]\nbuffer_events = 1",
        "[push]\nslow_client_seconds = 301",
        "[push]\nstreams = 3",
    ] {
        assert!(load(bad).is_err(), "{bad}");
    }
}

const ALICE: &str = "[[accounts]]\nname = \"alice\"\nusername = \"u\"\npassword = \"p\"\n";

#[test]
fn mqtt_is_off_without_its_table_and_takes_defaults_with_only_a_url() {
    assert!(load_str(ALICE, &no_env).expect("valid").mqtt.is_none());
    let settings = load_str(
        &format!("{ALICE}[mqtt]\nurl = \"mqtt://127.0.0.1\"\n"),
        &no_env,
    )
    .expect("valid config");
    let mqtt = settings.mqtt.expect("[mqtt] read");
    assert_eq!(mqtt.broker.to_string(), "mqtt://127.0.0.1:1883");
    assert_eq!(mqtt.username, None);
    assert!(mqtt.password.is_none());
    assert!(
        mqtt.client_id.starts_with("dexcom-share-proxy-"),
        "{}",
        mqtt.client_id
    );
    assert_eq!(mqtt.topic_prefix, "dexcom-share-proxy");
    assert_eq!(mqtt.discovery_prefix, "homeassistant");
    assert!(mqtt.accounts.is_none(), "every account");
}

#[test]
fn every_mqtt_key_is_read_and_the_password_stays_out_of_debug() {
    let mut pw = tempfile::NamedTempFile::new().expect("temp file");
    pw.write_all(b"broker-secret-1\n").expect("write");
    let toml = format!(
        "{ALICE}[[accounts]]\nname = \"bob\"\nusername = \"v\"\npassword = \"q\"\n\
         [mqtt]\nurl = \"mqtts://broker.example.org\"\nusername = \"ha\"\n\
         password_file = {:?}\nclient_id = \"cgm-1\"\ntopic_prefix = \"home/cgm\"\n\
         discovery_prefix = \"ha\"\naccounts = [\"bob\"]\n",
        pw.path().display().to_string()
    );
    let settings = load_str(&toml, &no_env).expect("valid config");
    let mqtt = settings.mqtt.as_ref().expect("[mqtt] read");
    assert_eq!(mqtt.broker.to_string(), "mqtts://broker.example.org:8883");
    assert_eq!(mqtt.username.as_deref(), Some("ha"));
    let password = mqtt.password.as_ref().expect("password");
    assert_eq!(password.expose(), "broker-secret-1");
    assert_eq!(mqtt.client_id, "cgm-1");
    assert_eq!(mqtt.topic_prefix, "home/cgm");
    assert_eq!(mqtt.discovery_prefix, "ha");
    let names: Vec<&str> = mqtt.accounts.iter().flatten().map(|a| a.as_str()).collect();
    assert_eq!(names, ["bob"]);
    assert!(!format!("{settings:?}").contains("broker-secret-1"));

    let env = |name: &str| (name == "MQTT_PW").then(|| "from-env".to_owned());
    let toml = format!("{ALICE}[mqtt]\nurl = \"mqtt://localhost\"\nusername = \"ha\"\npassword_env = \"MQTT_PW\"\n");
    let mqtt = load_str(&toml, &env).expect("valid").mqtt.expect("[mqtt]");
    assert_eq!(mqtt.password.expect("password").expose(), "from-env");
}

#[test]
fn mqtt_errors_name_the_key_and_never_the_password() {
    let cases = [
        ("url = \"http://broker\"", "`mqtt.url`"),
        ("url = \"mqtt://broker:99999\"", "`mqtt.url`"),
        ("url = \"mqtt://ha:hunter2@broker\"", "`mqtt.url`"),
        ("", "missing field `url`"),
        ("url = \"mqtt://b\"\nport = 1883", "unknown field `port`"),
        (
            "url = \"mqtt://b\"\npassword = \"hunter2\"",
            "`mqtt.password`",
        ),
        (
            "url = \"mqtt://b\"\nusername = \"u\"\npassword = 12345",
            "`mqtt.password`",
        ),
        (
            "url = \"mqtt://b\"\nusername = \"u\"\npassword = \"\"",
            "`mqtt.password`",
        ),
        (
            "url = \"mqtt://b\"\nusername = \"u\"\npassword = \"hunter2\"\npassword_env = \"X\"",
            "at most one",
        ),
        (
            "url = \"mqtt://b\"\nusername = \"u\"\npassword_env = \"UNSET_VAR\"",
            "`mqtt.password_env`",
        ),
        (
            "url = \"mqtt://b\"\nusername = \"u\"\npassword_file = \"/nonexistent/pw\"",
            "`mqtt.password_file`",
        ),
        ("url = \"mqtt://b\"\nusername = \"\"", "`mqtt.username`"),
        (
            "url = \"mqtt://b\"\nclient_id = \"a b\"",
            "`mqtt.client_id`",
        ),
        (
            "url = \"mqtt://b\"\ntopic_prefix = \"a/#\"",
            "`mqtt.topic_prefix`",
        ),
        (
            "url = \"mqtt://b\"\ntopic_prefix = \"\"",
            "`mqtt.topic_prefix`",
        ),
        (
            "url = \"mqtt://b\"\ndiscovery_prefix = \"ha/\"",
            "`mqtt.discovery_prefix`",
        ),
        (
            "url = \"mqtt://b\"\naccounts = [\"carol\"]",
            "`mqtt.accounts`",
        ),
        (
            "url = \"mqtt://b\"\naccounts = [\"alice\", \"alice\"]",
            "`mqtt.accounts`",
        ),
        ("url = \"mqtt://b\"\naccounts = []", "`mqtt.accounts`"),
    ];
    for (table, want) in cases {
        let toml = format!("{ALICE}[mqtt]\n{table}\n");
        let message = error_of(&toml);
        assert!(
            message.contains(want),
            "{table:?} gave {message:?}, missing {want:?}"
        );
        assert!(!message.contains("hunter2"), "password leaked: {message}");
        assert!(!message.contains("12345"), "password leaked: {message}");
    }
}
