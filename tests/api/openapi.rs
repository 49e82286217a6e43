use crate::helpers::spawn_app;

const COMMITTED: &str = include_str!("../../openapi/openapi.json");

/// If this fails after an API change, regenerate the file with
/// `cargo run -- --print-openapi > openapi/openapi.json` and commit it.
#[actix_web::test]
async fn the_served_openapi_document_equals_the_committed_one() {
    let app = spawn_app().await;

    let served = app.get("/openapi.json").await;

    assert_eq!(served.status, 200);
    let committed: serde_json::Value = serde_json::from_str(COMMITTED).expect("committed JSON");
    assert_eq!(
        served.json(),
        committed,
        "openapi/openapi.json is stale: run `cargo run -- --print-openapi > openapi/openapi.json`"
    );
    assert_eq!(dexcom_share_proxy::openapi::document_json(), COMMITTED);
}

#[actix_web::test]
async fn every_endpoint_is_documented_with_its_errors() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).expect("committed JSON");
    for path in [
        "/readings",
        "/readings/latest",
        "/readings/current",
        "/accounts",
        "/health",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} missing");
    }
    let readings = &doc["paths"]["/readings"]["get"];
    for status in [
        "200", "400", "404", "413", "414", "431", "502", "503", "504",
    ] {
        assert!(
            readings["responses"][status].is_object(),
            "/readings {status}"
        );
    }
    let params: Vec<&str> = readings["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(params, ["account", "token", "minutes", "max_count"]);
    assert!(doc["paths"]["/readings/current"]["get"]["responses"]["204"].is_object());
}

#[actix_web::test]
async fn the_swagger_ui_is_served_offline() {
    let app = spawn_app().await;

    let redirect = app.get("/docs").await;
    let page = app.get("/docs/").await;

    assert!(redirect.status.is_redirection());
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("swagger-ui"), "{html}");
    let init = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(init.status, 200);
    assert!(String::from_utf8_lossy(&init.body).contains("/openapi.json"));
    assert_eq!(app.get("/docs/swagger-ui-bundle.js").await.status, 200);
}

/// Every `$ref` in the document points at a component that exists.
#[test]
fn every_reference_resolves() {
    fn walk(value: &serde_json::Value, doc: &serde_json::Value, refs: &mut usize) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                    let pointer = target.trim_start_matches('#');
                    assert!(doc.pointer(pointer).is_some(), "unresolvable {target}");
                    *refs += 1;
                }
                map.values().for_each(|v| walk(v, doc, refs));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, doc, refs)),
            _ => {}
        }
    }
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).expect("committed JSON");
    let mut refs = 0;
    walk(&doc, &doc, &mut refs);
    assert!(refs > 10, "{refs} references");
}

/// The Swagger UI's "Authorize" button comes from this scheme; public endpoints name none.
#[actix_web::test]
async fn account_scoped_operations_offer_the_bearer_scheme_and_public_ones_do_not() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).expect("committed JSON");

    let scheme = &doc["components"]["securitySchemes"]["bearer"];

    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    for path in [
        "/readings",
        "/readings/latest",
        "/readings/current",
        "/accounts",
    ] {
        let operation = &doc["paths"][path]["get"];
        assert_eq!(
            operation["security"],
            serde_json::json!([{"bearer": []}, {}]),
            "{path}"
        );
        assert!(operation["responses"]["401"].is_object(), "{path} 401");
        let params = operation["parameters"].as_array().expect("parameters");
        assert!(params.iter().any(|p| p["name"] == "token"), "{path} token");
    }
    assert!(doc["paths"]["/readings"]["get"]["responses"]["403"].is_object());
    assert!(doc["paths"]["/health"]["get"]["security"].is_null());
}

/// Client generators name their methods after the operationIds: every operation has one, no two
/// share one (validators reject that), and each is the readable name the generated code shows.
#[test]
fn every_operation_has_a_unique_readable_operation_id() {
    let doc = serde_json::to_value(dexcom_share_proxy::openapi::document()).expect("document");
    let mut ids = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(
                id.chars().all(|c| c.is_ascii_alphanumeric())
                    && id.starts_with(|c: char| c.is_ascii_lowercase()),
                "{method} {path}: {id} is not lowerCamelCase"
            );
            if let Some(other) = ids.insert(id.to_owned(), format!("{method} {path}")) {
                panic!("{id} names both {other} and {method} {path}");
            }
        }
    }
    let expected = [
        ("listReadings", "get /readings"),
        ("getCurrentReading", "get /readings/current"),
        ("getLatestReading", "get /readings/latest"),
        ("streamReadings", "get /readings/stream"),
        ("listAccounts", "get /accounts"),
        ("getHealth", "get /health"),
        ("getReady", "get /ready"),
        ("getMetrics", "get /metrics"),
        (
            "nightscoutListEntries",
            "get /ns/{account}/api/v1/entries.json",
        ),
        (
            "nightscoutListSgvEntries",
            "get /ns/{account}/api/v1/entries/sgv.json",
        ),
        (
            "nightscoutGetCurrentEntry",
            "get /ns/{account}/api/v1/entries/current.json",
        ),
        (
            "nightscoutGetStatus",
            "get /ns/{account}/api/v1/status.json",
        ),
        ("nightscoutGetPebble", "get /ns/{account}/pebble"),
        (
            "nightscoutListTreatments",
            "get /ns/{account}/api/v1/treatments.json",
        ),
        (
            "nightscoutListEntriesNoExt",
            "get /ns/{account}/api/v1/entries",
        ),
        (
            "nightscoutListSgvEntriesNoExt",
            "get /ns/{account}/api/v1/entries/sgv",
        ),
        (
            "nightscoutGetCurrentEntryNoExt",
            "get /ns/{account}/api/v1/entries/current",
        ),
        (
            "nightscoutListTreatmentsNoExt",
            "get /ns/{account}/api/v1/treatments",
        ),
        (
            "nightscoutListDeviceStatus",
            "get /ns/{account}/api/v1/devicestatus.json",
        ),
        (
            "nightscoutListDeviceStatusNoExt",
            "get /ns/{account}/api/v1/devicestatus",
        ),
        (
            "nightscoutListProfiles",
            "get /ns/{account}/api/v1/profile.json",
        ),
        (
            "nightscoutListProfilesNoExt",
            "get /ns/{account}/api/v1/profile",
        ),
    ];
    let expected: std::collections::BTreeMap<String, String> = expected
        .iter()
        .map(|(id, op)| ((*id).to_owned(), (*op).to_owned()))
        .collect();
    assert_eq!(ids, expected);
}

/// The document and the routes come from the same registrations: every documented path
/// answers GET (the facade's under `/ns/alice` and, with one account, at the root too), and
/// any other method on it is 405, not 404.
#[actix_web::test]
async fn every_documented_path_is_served_and_refuses_other_methods() {
    let app = spawn_app().await;
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).expect("committed JSON");
    let mut checked = 0;
    for path in doc["paths"].as_object().expect("paths").keys() {
        let mut paths = vec![path.replace("{account}", "alice")];
        if let Some(root) = path.strip_prefix("/ns/{account}") {
            paths.push(root.to_owned());
        }
        for path in paths {
            // A stream never ends; its GET has its own tests.
            if path != "/readings/stream" {
                let status = app.get(&path).await.status;
                assert!(matches!(status.as_u16(), 200 | 204), "GET {path}: {status}");
            }
            let response = app.request(awc::http::Method::POST, &path).await;
            response.assert_problem(405, "method_not_allowed");
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} paths");
}
