//! Issue 10: the background job queue (claim, lease, retry with backoff, completion by
//! the lease holder, dedupe), its REST view, turn recovery through it, webhook alerts and
//! the priority of chat turns over LLM jobs.

use crate::fake_llm::Scripted;
use crate::helpers::{fresh_database, new_client, request_with, spawn_app, spawn_with, test_config, Backend, TestApp};
use crate::on_both;
use crate::webhook_receiver::{wait_until, Receiver};
use app::engine::db::Db;
use app::engine::ids::WorkspaceId;
use app::engine::queue::{self, JobKind};
use app::engine::store::jobs as store;
use app::types::Alert;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

/// A migrated database with one workspace, and no server (nothing else claims its jobs).
async fn queue_db(b: Backend) -> (Db, WorkspaceId) {
    let db = Db::connect(&fresh_database(b).await).await.unwrap();
    let op =
        app::engine::auth::create_operator(&db, "queue@example.com", "a long enough password", false).await.unwrap();
    (db, WorkspaceId(op.workspace_id))
}

async fn claim_lease_retry_backoff_and_complete_by_the_holder(b: Backend) {
    let (db, ws) = queue_db(b).await;
    let payload = json!({"n": 1});
    assert!(queue::enqueue(&db, ws, JobKind::Webhook, &payload, Some("k1")).await.unwrap());
    assert!(!queue::enqueue(&db, ws, JobKind::Webhook, &payload, Some("k1")).await.unwrap(), "deduplicated");
    let now = app::engine::now_ms() + 1;

    // w1 claims it; while its lease holds nobody else can.
    let got = store::claim(&db, "w1", now, now + 1_000, 10, &[]).await.unwrap();
    assert_eq!(got.len(), 1);
    let id = got[0].id;
    assert_eq!((got[0].attempts, got[0].max_attempts, got[0].kind.as_str()), (1, 5, "webhook"));
    assert!(store::claim(&db, "w2", now + 500, now + 1_500, 10, &[]).await.unwrap().is_empty());
    assert!(!store::complete(&db, id, "w2", now).await.unwrap(), "only the holder completes");
    assert!(store::renew(&db, id, "w1", now + 2_000).await.unwrap());

    // Past the (renewed) lease the job is claimable again: w1 stopped, w2 takes over.
    assert!(store::claim(&db, "w2", now + 1_999, now + 3_000, 10, &[]).await.unwrap().is_empty());
    let again = store::claim(&db, "w2", now + 2_001, now + 5_000, 10, &[]).await.unwrap();
    assert_eq!((again.len(), again[0].id, again[0].attempts), (1, id, 2));
    assert!(!store::complete(&db, id, "w1", now).await.unwrap(), "w1 lost it");
    assert!(!store::renew(&db, id, "w1", now + 9_000).await.unwrap());

    // A failed attempt waits for its backoff.
    let backoff = app::engine::jobs::backoff_ms(2);
    assert_eq!(backoff, 2_000);
    assert!(store::retry_later(&db, id, "w2", "boom", now + 3_000 + backoff, now + 3_000).await.unwrap());
    let job = store::get(&db, ws, id).await.unwrap().unwrap();
    assert_eq!((job.state.as_str(), job.error.as_deref(), job.attempts), ("queued", Some("boom"), 2));
    assert!(store::claim(&db, "w1", now + 4_000, now + 9_000, 10, &[]).await.unwrap().is_empty(), "backing off");
    let third = store::claim(&db, "w1", now + 5_000, now + 9_000, 10, &[]).await.unwrap();
    assert_eq!(third[0].attempts, 3);

    // Done is final: never claimed again, even after its lease time.
    assert!(store::complete(&db, id, "w1", now + 5_100).await.unwrap());
    assert!(!store::complete(&db, id, "w1", now + 5_200).await.unwrap());
    assert!(store::claim(&db, "w2", now + 60_000, now + 70_000, 10, &[]).await.unwrap().is_empty());
    let job = store::get(&db, ws, id).await.unwrap().unwrap();
    assert_eq!((job.state.as_str(), job.error, job.finished_at.is_some()), ("done", None, true));
    // Finished: the key is free again.
    assert!(queue::enqueue(&db, ws, JobKind::Webhook, &payload, Some("k1")).await.unwrap());
}
on_both!(claim_lease_retry_backoff_and_complete_by_the_holder);

async fn failed_jobs_are_listed_and_retried_and_llm_kinds_can_be_skipped(b: Backend) {
    let (db, ws) = queue_db(b).await;
    queue::enqueue(&db, ws, JobKind::Summarize, &json!({"session_id": 1}), None).await.unwrap();
    queue::enqueue(&db, ws, JobKind::Webhook, &json!({"n": 2}), None).await.unwrap();
    let now = app::engine::now_ms() + 1;
    let got = store::claim(&db, "w", now, now + 1_000, 10, &["summarize", "extract_memory"]).await.unwrap();
    assert_eq!(got.iter().map(|j| j.kind.as_str()).collect::<Vec<_>>(), vec!["webhook"], "summarize waits");
    assert!(store::fail(&db, got[0].id, "w", "the webhook answered 404 Not Found", now).await.unwrap());
    let failed = queue::list(&db, ws, &app::types::JobFilter { state: Some("failed".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!((failed.total, failed.jobs[0].error.as_deref()), (1, Some("the webhook answered 404 Not Found")));
    assert_eq!(failed.jobs[0].payload, json!({"n": 2}));
    let retried = queue::retry(&db, ws, got[0].id).await.unwrap();
    assert_eq!((retried.state.as_str(), retried.attempts, retried.error), ("queued", 0, None));
    let e = queue::retry(&db, ws, got[0].id).await.unwrap_err();
    assert!(matches!(e, app::error::AppError::Conflict { .. }), "{e:?}");
    let e = queue::retry(&db, WorkspaceId(ws.get() + 100), got[0].id).await.unwrap_err();
    assert!(matches!(e, app::error::AppError::NotFound { .. }), "{e:?}");
    let later = app::engine::now_ms() + 1;
    let rest = store::claim(&db, "w", later, later + 1_000, 10, &[]).await.unwrap();
    assert_eq!(rest.len(), 2, "both runnable once nothing is skipped");
}
on_both!(failed_jobs_are_listed_and_retried_and_llm_kinds_can_be_skipped);

fn alert(user: &str) -> Alert {
    Alert {
        user_id: user.into(),
        session_id: 1,
        message_id: 2,
        action: "flag".into(),
        guardrail: "safety".into(),
        rule: "no insults".into(),
        excerpt: "you are a …".into(),
        at: 1_700_000_000_000,
    }
}

async fn set_webhook(app: &TestApp, url: &str) -> (StatusCode, Value) {
    app.request(Method::PUT, "/admin/settings", Some(json!({ "webhook_url": url }))).await
}

async fn jobs_in(app: &TestApp, query: &str) -> Value {
    let (s, body) = app.get(&format!("/admin/jobs?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body
}

async fn an_alert_is_delivered_to_the_webhook_once(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let hook = Receiver::start().await;
    let (s, settings) = set_webhook(&app, &hook.url).await;
    assert_eq!(s, StatusCode::OK, "{settings}");
    assert_eq!(settings["webhook_url"], hook.url.as_str());
    let ws = WorkspaceId(app.get("/admin/me").await.1["workspace_id"].as_i64().unwrap());
    app::engine::alerts::raise(&app.state, ws, alert("ana")).await.unwrap();
    wait_until("the webhook gets the alert", 10, || async { !hook.bodies().is_empty() }).await;
    let body = &hook.bodies()[0];
    assert_eq!(body["type"], "alert");
    assert_eq!(body["user_id"], "ana");
    assert_eq!(body["rule"], "no insults");
    assert!(body["workspace"].as_str().is_some_and(|w| !w.is_empty()), "{body}");
    wait_until("the job is done", 10, || async { jobs_in(&app, "state=done&kind=webhook").await["total"] == 1 }).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(hook.bodies().len(), 1, "delivered once");
}
on_both!(an_alert_is_delivered_to_the_webhook_once);

async fn a_webhook_answering_500_is_retried_and_a_failure_shows_with_retry(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let hook = Receiver::start().await;
    hook.script([500]);
    assert_eq!(set_webhook(&app, &hook.url).await.0, StatusCode::OK);
    let ws = WorkspaceId(app.get("/admin/me").await.1["workspace_id"].as_i64().unwrap());
    app::engine::alerts::raise(&app.state, ws, alert("bo")).await.unwrap();
    wait_until("delivered on the second attempt", 10, || async { hook.bodies().len() == 2 }).await;
    wait_until("the job is done", 10, || async { jobs_in(&app, "state=done").await["total"] == 1 }).await;
    let done = jobs_in(&app, "state=done").await;
    assert_eq!(done["jobs"][0]["attempts"], 2);

    // A receiver that refuses for good (4xx): failed at once, shown with its error.
    hook.answer(410);
    app::engine::alerts::raise(&app.state, ws, alert("cy")).await.unwrap();
    wait_until("the job failed", 10, || async { jobs_in(&app, "state=failed").await["total"] == 1 }).await;
    let failed = jobs_in(&app, "state=failed&kind=webhook").await;
    let job = &failed["jobs"][0];
    assert_eq!(job["error"], "the webhook answered 410 Gone");
    let id = job["id"].as_i64().unwrap();

    // Another workspace sees nothing of it and cannot retry it.
    let other = app.second_operator("other-jobs@example.com", "a long enough password").await;
    let (s, theirs) = request_with(&other, &app.base, Method::GET, "/admin/jobs?state=failed", None).await;
    assert_eq!((s, theirs["total"].as_i64()), (StatusCode::OK, Some(0)), "{theirs}");
    let path = format!("/admin/jobs/{id}/retry");
    assert_eq!(request_with(&other, &app.base, Method::POST, &path, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(request_with(&new_client(), &app.base, Method::POST, &path, None).await.0, StatusCode::UNAUTHORIZED);

    // Retry once the receiver works again: delivered, done.
    hook.answer(200);
    let (s, retried) = app.request(Method::POST, &path, None).await;
    assert_eq!(s, StatusCode::OK, "{retried}");
    assert_eq!(retried["state"], "queued");
    wait_until("the retried job is done", 10, || async { jobs_in(&app, "state=done").await["total"] == 2 }).await;
    assert_eq!(hook.bodies().iter().filter(|b| b["user_id"] == "cy").count(), 2, "410 once, then delivered");
    let (s, again) = app.request(Method::POST, &path, None).await;
    assert_eq!(s, StatusCode::CONFLICT, "a done job is not retried: {again}");
    let (s, bad) = app.get("/admin/jobs?state=lost").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
}
on_both!(a_webhook_answering_500_is_retried_and_a_failure_shows_with_retry);

async fn a_private_webhook_address_is_refused_without_the_setting(b: Backend) {
    let llm = crate::fake_llm::FakeLlm::start().await;
    let url = fresh_database(b).await;
    let config = app::engine::config::Config {
        webhook_allow_private: false,
        ..test_config(&url, crate::helpers::fake_llm_config(&llm))
    };
    let app = spawn_with(config, llm).await;
    app.login_admin().await;
    let hook = Receiver::start().await;
    for inside in
        [hook.url.as_str(), "http://localhost:9/x", "http://10.0.0.1/x", "http://[::1]:9/x", "ftp://example.com/"]
    {
        let (s, e) = set_webhook(&app, inside).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{inside}: {e}");
        assert_eq!(e["error"]["field"], "webhook_url", "{e}");
    }
    assert_eq!(app.get("/admin/settings").await.1["webhook_url"], Value::Null);

    // Stored some other way (or allowed before): refused at send time, nothing sent.
    let ws = WorkspaceId(app.get("/admin/me").await.1["workspace_id"].as_i64().unwrap());
    app::engine::store::workspace_settings::set_webhook_url(&app.state.db, ws, Some(&hook.url)).await.unwrap();
    app::engine::alerts::raise(&app.state, ws, alert("di")).await.unwrap();
    wait_until("the delivery is refused", 10, || async { jobs_in(&app, "state=failed").await["total"] == 1 }).await;
    let failed = jobs_in(&app, "state=failed").await;
    assert!(failed["jobs"][0]["error"].as_str().unwrap().contains("loopback, private"), "{failed}");
    assert!(hook.bodies().is_empty());
    assert_eq!(app.get("/admin/settings").await.1["webhook_url"], hook.url.as_str());
    assert_eq!(set_webhook(&app, "").await.0, StatusCode::OK, "blank removes it");
    assert_eq!(app.get("/admin/settings").await.1["webhook_url"], Value::Null);
}
on_both!(a_private_webhook_address_is_refused_without_the_setting);

async fn llm_jobs_wait_while_a_chat_turn_runs(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.chat("eve", "warm up").await;
    let ws = WorkspaceId(app.get("/admin/me").await.1["workspace_id"].as_i64().unwrap());
    app.llm.script([Scripted::Delayed(Duration::from_millis(2_000), "slow reply".into())]);
    let turn = {
        let (client, base) = (app.client.clone(), app.base.clone());
        tokio::spawn(async move {
            request_with(&client, &base, Method::POST, "/chat", Some(json!({"user_id": "eve", "message": "slow"})))
                .await
        })
    };
    wait_until("the turn runs", 5, || async { app.state.turns.running() > 0 }).await;
    queue::enqueue(&app.state.db, ws, JobKind::Summarize, &json!({"session_id": 0}), None).await.unwrap();
    queue::enqueue(&app.state.db, ws, JobKind::Webhook, &json!({"n": 1}), None).await.unwrap();
    // No webhook is set: the webhook job has nothing to do and is done at once.
    wait_until("the webhook job ran", 5, || async { jobs_in(&app, "kind=webhook&state=done").await["total"] == 1 })
        .await;
    let waiting = jobs_in(&app, "kind=summarize").await;
    assert_eq!(waiting["jobs"][0]["state"], "queued", "LLM jobs wait for chat turns: {waiting}");
    assert_eq!(waiting["jobs"][0]["attempts"], 0);
    let (s, _) = turn.await.unwrap();
    assert_eq!(s, StatusCode::OK);
    wait_until("the summary job is claimed after the turn", 10, || async {
        jobs_in(&app, "kind=summarize").await["jobs"][0]["attempts"].as_i64() >= Some(1)
    })
    .await;
}
on_both!(llm_jobs_wait_while_a_chat_turn_runs);

async fn senders(app: &TestApp, user: &str) -> Vec<(String, String)> {
    let (_, conv) = app.get(&format!("/admin/users/{user}")).await;
    conv["messages"]
        .as_array()
        .map(|m| {
            m.iter().map(|m| (m["sender"].as_str().unwrap().into(), m["content"].as_str().unwrap().into())).collect()
        })
        .unwrap_or_default()
}

async fn a_turn_cut_off_by_a_crash_is_answered_once_after_restarts(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.chat("flo", "first").await;
    let (_, conv) = app.get("/admin/users/flo").await;
    let session = conv["sessions"][0]["id"].as_i64().unwrap();
    // What a process that stopped mid-turn leaves behind: a stored message still pending.
    sqlx::query(
        "INSERT INTO messages (workspace_id, session_id, end_user_id, sender, content, created_at, turn_status) \
         SELECT workspace_id, session_id, end_user_id, 'user', 'did you crash?', 0, 'pending' FROM messages \
         WHERE session_id = $1 LIMIT 1",
    )
    .bind(session)
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    // Two starts (two replicas on PostgreSQL; a restart on SQLite): the turn is queued once
    // while unfinished and answered once.
    let config = || test_config(&app.database_url, crate::helpers::fake_llm_config(&app.llm));
    let first = server::startup::Application::build(config()).await.unwrap();
    let second = server::startup::Application::build(config()).await.unwrap();
    wait_until("the pending turn is answered", 10, || async {
        senders(&app, "flo").await.last().is_some_and(|(s, c)| s == "assistant" && c == "echo: did you crash?")
    })
    .await;
    // A start that looked while the other's job was finishing may queue a second job: it
    // finds the turn answered and does nothing (what counts is one reply).
    wait_until("the turn jobs are done", 10, || async {
        let all = jobs_in(&app, "kind=turn").await;
        let states: Vec<&str> = all["jobs"].as_array().unwrap().iter().map(|j| j["state"].as_str().unwrap()).collect();
        !states.is_empty() && states.iter().all(|s| *s == "done")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let replies =
        senders(&app, "flo").await.into_iter().filter(|(s, c)| s == "assistant" && c.contains("crash")).count();
    assert_eq!(replies, 1, "answered once");
    assert_eq!(app.llm.calls(), 2, "one LLM call for the recovered turn");
    drop((first, second));
}
on_both!(a_turn_cut_off_by_a_crash_is_answered_once_after_restarts);
