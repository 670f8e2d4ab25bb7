//! The OpenAPI document (`/openapi.json`) and Swagger UI (`/docs`): every REST route is
//! described, and what the server really answers keeps to the description —
//! Schemathesis (in the virtualenv `make setup-python` makes) calls every operation with
//! generated input and checks each status, content type and body against the document,
//! and that no input makes the server fail (5xx).

use crate::api_keys::create_key;
use crate::helpers::{spawn_app, Backend};
use crate::on_both;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Every route the REST API had before it was described (method, path): scripts written
/// against these must keep working, so each must stay served and described.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/admin/api-keys"),
    ("post", "/admin/api-keys"),
    ("delete", "/admin/api-keys/{id}"),
    ("get", "/admin/audit"),
    ("get", "/admin/conversations/{user_id}"),
    ("get", "/admin/conversations/{user_id}/export"),
    ("get", "/admin/conversations/{user_id}/export.md"),
    ("get", "/admin/end-users"),
    ("post", "/admin/end-users"),
    ("delete", "/admin/end-users/{id}"),
    ("get", "/admin/end-users/{id}"),
    ("put", "/admin/end-users/{id}"),
    ("get", "/admin/events"),
    ("get", "/admin/guardrails"),
    ("post", "/admin/guardrails"),
    ("post", "/admin/guardrails/backtest"),
    ("get", "/admin/guardrails/id/{id}"),
    ("get", "/admin/guardrails/presets"),
    ("post", "/admin/guardrails/test"),
    ("delete", "/admin/guardrails/{key}"),
    ("get", "/admin/guardrails/{key}"),
    ("put", "/admin/guardrails/{key}"),
    ("put", "/admin/guardrails/{key}/personas"),
    ("get", "/admin/halted"),
    ("post", "/admin/interventions/{user_id}/draft"),
    ("post", "/admin/interventions/{user_id}/halt"),
    ("post", "/admin/interventions/{user_id}/inject"),
    ("post", "/admin/interventions/{user_id}/resume"),
    ("post", "/admin/interventions/{user_id}/send"),
    ("get", "/admin/jobs"),
    ("post", "/admin/jobs/{id}/retry"),
    ("get", "/admin/library"),
    ("post", "/admin/library/{id}/clone"),
    ("post", "/admin/login"),
    ("post", "/admin/logout"),
    ("get", "/admin/me"),
    ("get", "/admin/memory/pending"),
    ("post", "/admin/memory/pending/{id}/approve"),
    ("post", "/admin/memory/pending/{id}/reject"),
    ("get", "/admin/messages/{id}/fork"),
    ("get", "/admin/messages/{id}/inspect"),
    ("get", "/admin/messages/{message_id}/sentiment"),
    ("post", "/admin/password"),
    ("get", "/admin/providers"),
    ("get", "/admin/requests"),
    ("get", "/admin/requests/page"),
    ("get", "/admin/requests/retention"),
    ("put", "/admin/requests/retention"),
    ("get", "/admin/requests/{id}"),
    ("get", "/admin/sessions/{session_id}/sentiment"),
    ("get", "/admin/sessions/{session_id}/sentiment/aggregate"),
    ("post", "/admin/sessions/{session_id}/sentiment/toggle"),
    ("get", "/admin/settings"),
    ("put", "/admin/settings"),
    ("post", "/admin/stats/aggregate"),
    ("get", "/admin/stats/dashboard"),
    ("get", "/admin/stats/overview"),
    ("get", "/admin/stats/prices"),
    ("delete", "/admin/stats/prices/{model}"),
    ("put", "/admin/stats/prices/{model}"),
    ("get", "/admin/stats/users/{user_id}"),
    ("get", "/admin/templates"),
    ("post", "/admin/templates"),
    ("post", "/admin/templates/draft"),
    ("post", "/admin/templates/import"),
    ("post", "/admin/templates/preview"),
    ("delete", "/admin/templates/{id}"),
    ("get", "/admin/templates/{id}"),
    ("put", "/admin/templates/{id}"),
    ("post", "/admin/templates/{id}/activate"),
    ("post", "/admin/templates/{id}/deactivate"),
    ("get", "/admin/templates/{id}/diff"),
    ("get", "/admin/templates/{id}/export"),
    ("get", "/admin/templates/{id}/history"),
    ("get", "/admin/templates/{id}/labels"),
    ("delete", "/admin/templates/{id}/labels/{label}"),
    ("put", "/admin/templates/{id}/labels/{label}"),
    ("get", "/admin/templates/{id}/memory"),
    ("put", "/admin/templates/{id}/memory"),
    ("post", "/admin/templates/{id}/playground"),
    ("post", "/admin/templates/{id}/restore"),
    ("post", "/admin/templates/{id}/rollback/{n}"),
    ("post", "/admin/templates/{id}/share"),
    ("post", "/admin/templates/{id}/unshare"),
    ("post", "/admin/templates/{id}/versions"),
    ("get", "/admin/templates/{id}/versions/{n}"),
    ("get", "/admin/trash"),
    ("get", "/admin/users"),
    ("get", "/admin/users/{user_id}"),
    ("delete", "/admin/users/{user_id}/assignment"),
    ("get", "/admin/users/{user_id}/assignment"),
    ("put", "/admin/users/{user_id}/assignment"),
    ("delete", "/admin/users/{user_id}/conversations"),
    ("get", "/admin/users/{user_id}/memory"),
    ("delete", "/admin/users/{user_id}/memory/{key}"),
    ("put", "/admin/users/{user_id}/memory/{key}"),
    ("get", "/admin/users/{user_id}/sentiment/aggregate"),
    ("post", "/chat"),
    ("get", "/chat/events"),
    ("get", "/chat/history"),
    ("delete", "/chat/history/{user_id}"),
    ("post", "/chat/messages/{id}/alternate"),
    ("get", "/chat/sessions"),
    ("post", "/chat/sessions"),
    ("delete", "/chat/sessions/{id}"),
    ("get", "/chat/sessions/{id}"),
    ("put", "/chat/sessions/{id}"),
    ("post", "/chat/sessions/{id}/archive"),
    ("get", "/chat/sessions/{id}/messages"),
    ("post", "/chat/sessions/{id}/regenerate"),
    ("post", "/chat/sessions/{id}/stop"),
    ("post", "/chat/sessions/{id}/unarchive"),
    ("get", "/health"),
    ("get", "/metrics"),
    ("get", "/ready"),
    ("get", "/super/admins"),
    ("post", "/super/admins"),
    ("delete", "/super/admins/{id}"),
    ("put", "/super/admins/{id}"),
    ("post", "/user/login"),
    ("post", "/user/logout"),
    ("get", "/user/me"),
    ("post", "/v1/chat/completions"),
    ("get", "/v1/models"),
];

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// The document's operations as (method, path).
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert((m.to_string(), path.clone()));
            }
        }
    }
    out
}

/// Every `.rs` file under `dir`.
fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

async fn the_document_describes_every_route(b: Backend) {
    let app = spawn_app(b).await;
    // Public, like the API it describes: no login needed to read it.
    let resp = reqwest::get(format!("{}/openapi.json", app.base)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let doc: Value = resp.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    assert_eq!(doc["info"]["title"], "PromptDev");
    let ops = operations(&doc);
    let missing: Vec<_> = ROUTES.iter().filter(|(m, p)| !ops.contains(&(m.to_string(), p.to_string()))).collect();
    assert!(missing.is_empty(), "routes missing from /openapi.json: {missing:?}");

    let mut ids = BTreeSet::new();
    for (method, path) in &ops {
        let op = &doc["paths"][path][method];
        let at = format!("{} {path}", method.to_uppercase());
        assert!(op["summary"].as_str().is_some_and(|s| !s.trim().is_empty()), "{at} has a summary");
        assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{at} has a tag");
        assert!(ids.insert(op["operationId"].as_str().unwrap().to_string()), "{at}: operationId is unique");
        let responses = op["responses"].as_object().unwrap();
        assert!(responses.keys().any(|s| s.starts_with('2')), "{at} documents its success");
        assert!(responses.contains_key("500"), "{at} documents 500");
        // Each `{param}` of the path is declared.
        let declared: BTreeSet<&str> = op["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter(|p| p["in"] == "path").filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        for seg in path.split('/').filter(|s| s.starts_with('{')) {
            let name = seg.trim_matches(|c| c == '{' || c == '}');
            assert!(declared.contains(name), "{at} declares its path parameter {name}");
        }
    }
    // Operator routes need a session or key; the document says so, and which are public.
    assert_eq!(doc["security"], json!([{"session": []}, {"api_key": []}]));
    for public in ["/health", "/ready", "/admin/login", "/user/login", "/metrics"] {
        let op = doc["paths"][public].as_object().unwrap().values().next().unwrap();
        assert_eq!(op["security"], json!([{}]), "{public} is public");
    }
    assert!(doc["paths"]["/admin/templates"]["get"]["responses"]["401"].is_object());

    // Routes are declared once, with their description: no plain axum `.route(` in the
    // REST modules (it would serve a path the document does not know).
    let mut files = Vec::new();
    sources(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http"), &mut files);
    let undocumented: Vec<_> = files
        .iter()
        .filter(|f| std::fs::read_to_string(f).unwrap().contains(".route("))
        .map(|f| f.display().to_string())
        .collect();
    assert!(undocumented.is_empty(), "routes outside the OpenAPI routers in {undocumented:?}");
}
on_both!(the_document_describes_every_route);

/// Swagger UI at `/docs`, its files served by PromptDev itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swagger_ui_is_served_from_the_binary() {
    let app = spawn_app(Backend::Sqlite).await;
    let client = reqwest::Client::new();
    let page = client.get(format!("{}/docs/", app.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    // Every script and stylesheet the page loads is a local file that is there.
    let assets: Vec<&str> = html.split(['"', '\'']).filter(|s| s.ends_with(".js") || s.ends_with(".css")).collect();
    assert!(!assets.is_empty(), "the page loads its scripts");
    for asset in assets {
        assert!(!asset.starts_with("http"), "{asset} is loaded from elsewhere");
        let url = format!("{}/docs/{}", app.base, asset.trim_start_matches("./"));
        let resp = client.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{url}");
    }
    // The initializer points the UI at this server's document.
    let init = client.get(format!("{}/docs/swagger-initializer.js", app.base)).send().await.unwrap();
    assert!(init.text().await.unwrap().contains("/openapi.json"));
}

/// The virtualenv's `schemathesis` command (`make setup-python`).
fn schemathesis() -> std::path::PathBuf {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/schemathesis");
    assert!(path.exists(), "{} is missing: `make setup-python` installs it", path.display());
    path
}

async fn the_server_keeps_to_its_document(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.create_persona("Nova", "You are Nova.").await;
    assert_eq!(app.chat("amy", "hello").await.0, StatusCode::OK);
    let (_, key) = create_key(&app, "schemathesis", &["chat", "read", "manage"]).await;
    // A session for what only a login may do (keys, operators, one's password), taken
    // first: the run with the key tries logins with made-up passwords, which the
    // throttle then answers 429 for a while.
    let login = reqwest::Client::new()
        .post(format!("{}/admin/login", app.base))
        .json(&json!({"username": app.admin_email, "password": app.admin_password}))
        .send()
        .await
        .unwrap();
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("pd_session="))
        .and_then(|c| c.split(';').next())
        .expect("the login sets the session cookie")
        .to_string();
    // Everything with a key that may do anything a key may.
    run_schemathesis(&app.base, &format!("Authorization: Bearer {key}"), &[]).await;
    // Then as the super admin, with the session.
    let tags = ["--include-tag", "api-keys", "--include-tag", "super-admins", "--include-tag", "auth"];
    run_schemathesis(&app.base, &format!("Cookie: {cookie}"), &tags).await;
}

/// Runs Schemathesis on every operation (or those `filters` select) of the server at
/// `base` with `header` on each request; fails with its report when a check fails.
async fn run_schemathesis(base: &str, header: &str, filters: &[&str]) {
    let report = tempfile_dir();
    let out = tokio::process::Command::new(schemathesis())
        .arg("run")
        .arg(format!("{base}/openapi.json"))
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args(["--header", header])
        // Endless streams: a request to them never ends.
        .args(["--exclude-path", "/admin/events", "--exclude-path", "/chat/events"])
        .args(filters)
        .args(["--max-examples", "12", "--seed", "7", "--workers", "1", "--request-timeout", "20"])
        .args(["--report", "junit", "--report-dir"])
        .arg(&report)
        .env("NO_COLOR", "1")
        // Its cache of earlier crashes goes with the report, not into the checkout.
        .current_dir(&report)
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&report);
    assert!(out.status.success(), "schemathesis found responses that break the document:\n{stdout}\n{stderr}");
}
on_both!(the_server_keeps_to_its_document);

/// A fresh directory under the system's temporary directory.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("promptdev-schemathesis-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
