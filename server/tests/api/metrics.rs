//! Issue 11: Prometheus `/metrics` — the HTTP, LLM, error, token, halt and guardrail
//! series move when those things happen; queue depth and pool use are there. The recorder
//! is one per process, shared by every test running beside this one: assertions compare
//! before and after, never exact totals.

use crate::fake_llm::Scripted;
use crate::helpers::*;
use crate::on_both;
use reqwest::StatusCode;
use serde_json::json;

/// The sum of every sample of `name` whose labels include all of `labels` (`k="v"`).
fn sample(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .filter(|l| labels.iter().all(|want| l.contains(want)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn scrape(app: &TestApp) -> String {
    let resp = new_client().get(format!("{}/metrics", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "public, like /health");
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    resp.text().await.unwrap()
}

async fn metrics_follow_what_happens(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let before = scrape(&app).await;
    assert_eq!(app.chat("mia", "hello metrics").await.0, StatusCode::OK);
    app.llm.script([Scripted::Status(400)]);
    assert_eq!(app.chat("mia", "this one fails").await.0, StatusCode::BAD_GATEWAY);
    let (s, _) = app.post("/admin/interventions/mia/halt", json!({"reason": "metrics test"})).await;
    assert!(s.is_success());
    let after = scrape(&app).await;

    let grew = |name: &str, labels: &[&str]| sample(&after, name, labels) - sample(&before, name, labels);
    assert!(grew("promptdev_llm_requests_total", &["source=\"chat\"", "status=\"ok\""]) >= 1.0, "{after}");
    assert!(grew("promptdev_llm_requests_total", &["source=\"chat\"", "status=\"error\""]) >= 1.0);
    assert!(grew("promptdev_llm_errors_total", &["kind=\"http_status\""]) >= 1.0, "a 400 is an HTTP status error");
    assert!(grew("promptdev_llm_request_duration_seconds_count", &["source=\"chat\""]) >= 2.0);
    assert!(grew("promptdev_tokens_total", &["direction=\"prompt\""]) >= 1.0);
    assert!(grew("promptdev_halts_total", &["by=\"operator\""]) >= 1.0);
    assert!(grew("promptdev_http_requests_total", &["route=\"/chat\"", "status=\"200\""]) >= 1.0);
    assert!(grew("promptdev_http_requests_total", &["route=\"/chat\"", "status=\"502\""]) >= 1.0);
    assert!(
        grew("promptdev_http_requests_total", &["route=\"/admin/interventions/{user_id}/halt\""]) >= 1.0,
        "routes are labelled by pattern, not by user: {after}"
    );
    assert!(!after.contains("mia"), "no user id in any label");
    assert!(after.contains("promptdev_jobs{state=\"queued\"}"), "{after}");
    assert!(after.contains("promptdev_db_connections{state=\"in_use\"}"));
}
on_both!(metrics_follow_what_happens);
