//! Issue 11: `/ready` — 200 with every check when the app can take traffic; 503 naming
//! the database when the server was started against a port nothing listens on (the app
//! still starts: liveness is not readiness).

use crate::fake_llm::FakeLlm;
use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use server::startup::Application;

async fn ready_when_everything_is(b: Backend) {
    let app = spawn_app(b).await;
    let (s, body) = app.get("/ready").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["migrations"], "applied");
    assert_eq!(body["checks"]["startup"], "done");
    assert_eq!(body["checks"]["provider"], "ok");
}
on_both!(ready_when_everything_is);

/// A loopback port nothing listens on (bound, then released).
fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_ready_while_the_database_is_unreachable() {
    let llm = FakeLlm::start().await;
    let url = format!("postgres://postgres@127.0.0.1:{}/promptdev", dead_port());
    let started = std::time::Instant::now();
    let app = Application::build(test_config(&url, fake_llm_config(&llm))).await.expect("starts without its database");
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "start-up does not hang on the database");
    assert!(app.first_login.is_none());
    let base = format!("http://{}", app.addr);
    let _server = app.spawn();
    let client = new_client();

    let (s, body) = request_with(&client, &base, reqwest::Method::GET, "/ready", None).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["checks"]["database"], "unreachable");
    assert_eq!(body["checks"]["startup"], "waiting");
    assert_eq!(body["checks"]["provider"], "ok", "only the failing checks differ");
    assert!(!body.to_string().contains("127.0.0.1"), "no connection detail in the answer: {body}");
    let (s, _) = request_with(&client, &base, reqwest::Method::GET, "/health", None).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_ready_without_the_model_file() {
    let llm = FakeLlm::start().await;
    let url = fresh_database(Backend::Sqlite).await;
    let local = app::engine::config::LlmConfig::Local {
        model_path: "/nonexistent/model.gguf".into(),
        threads: 1,
        context_size: 512,
        seed: None,
    };
    let app = spawn_with(test_config(&url, local), llm).await;
    let (s, body) = app.get("/ready").await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body["checks"]["provider"].as_str().unwrap().contains("model file"), "{body}");
    assert_eq!(body["checks"]["database"], "ok");
}
