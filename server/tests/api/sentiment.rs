//! Issue 10: sentiment of user messages through the job queue — the original's routes and
//! shapes, clamping, the persona's switch and the chat's toggle (which wins), the
//! template's `sentiment`, workspace scoping, and failures that leave the chat alone.

use crate::fake_llm::Scripted;
use crate::helpers::{request_with, spawn_app, Backend, TestApp};
use crate::on_both;
use crate::webhook_receiver::wait_until;
use app::engine::queue::JobError;
use app::engine::sentiment;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// What the fake LLM recognises scoring requests by (see `SENTIMENT_INSTRUCTION`).
const SCORING: &str = "relational affect";

async fn set_persona_sentiment(app: &TestApp, persona: i64, on: bool) {
    let (s, body) = app
        .request(Method::PUT, &format!("/admin/templates/{persona}/memory"), Some(json!({"sentiment_enabled": on})))
        .await;
    assert_eq!((s, body["sentiment_enabled"].clone()), (StatusCode::OK, json!(on)), "{body}");
}

/// (session id, user message id) of a turn that replied.
async fn turn(app: &TestApp, user: &str, persona: i64, text: &str) -> (i64, i64) {
    let (s, body) = app.chat_persona(user, persona, text).await;
    assert_eq!((s, body["status"].clone()), (StatusCode::OK, json!("replied")), "{body}");
    (body["metadata"]["session_id"].as_i64().unwrap(), body["user_message"]["id"].as_i64().unwrap())
}

async fn scores(app: &TestApp, session: i64) -> Vec<Value> {
    let (s, body) = app.get(&format!("/admin/sessions/{session}/sentiment")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["sentiments"].as_array().unwrap().clone()
}

async fn jobs_total(app: &TestApp, query: &str) -> i64 {
    app.get(&format!("/admin/jobs?{query}")).await.1["total"].as_i64().unwrap()
}

/// The id of the user's first assistant reply.
async fn first_reply_id(app: &TestApp, user: &str) -> i64 {
    let (_, conv) = app.get(&format!("/admin/users/{user}")).await;
    let m = conv["messages"].as_array().unwrap().iter().find(|m| m["sender"] == "assistant").expect("a reply").clone();
    m["id"].as_i64().unwrap()
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

async fn messages_are_scored_clamped_and_served_in_the_originals_shapes(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app
        .create_persona("Moody", "{% if sentiment %}Valence {{ sentiment.valence }} over {{ sentiment.count }}{% else %}No mood yet{% endif %}")
        .await;
    set_persona_sentiment(&app, id, true).await;
    app.llm.answer_when(
        SCORING,
        Scripted::Reply(
            "Here: {\"valence\": 2.5, \"arousal\": -1, \"dominance\": 0.4, \"trust\": 0.8, \"engagement\": 0.9, \"confidence\": 0.7}".into(),
        ),
    );
    let (session, first) = turn(&app, "cy", id, "I love this!").await;
    wait_until("the first message is scored", 20, || async { scores(&app, session).await.len() == 1 }).await;
    let (_, second) = turn(&app, "cy", id, "Best day ever").await;
    wait_until("the second message is scored", 20, || async { scores(&app, session).await.len() == 2 }).await;

    let list = scores(&app, session).await;
    assert_eq!(
        list.iter().map(|s| s["message_id"].as_i64().unwrap()).collect::<Vec<_>>(),
        vec![second, first],
        "newest first"
    );
    let s = &list[1];
    assert_eq!(s["session_id"], session);
    assert!(close(&s["valence"], 1.0) && close(&s["arousal"], 0.0), "clamped: {s}");
    assert!(close(&s["dominance"], 0.4) && close(&s["trust"], 0.8) && close(&s["engagement"], 0.9), "{s}");
    assert!(close(&s["confidence"], 0.7) && close(&s["overall_sentiment"], 0.2 + 0.04 + 0.24 + 0.27), "{s}");
    assert!(s["id"].as_i64().is_some() && s["created_at"].as_i64().is_some());

    let (st, one) = app.get(&format!("/admin/messages/{first}/sentiment")).await;
    assert_eq!((st, one["message_id"].as_i64()), (StatusCode::OK, Some(first)));
    let reply = first_reply_id(&app, "cy").await;
    let (st, _) = app.get(&format!("/admin/messages/{reply}/sentiment")).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "a reply is not scored");

    let (_, agg) = app.get(&format!("/admin/sessions/{session}/sentiment/aggregate")).await;
    let a = &agg["aggregate"];
    assert_eq!(
        (a["session_id"].as_i64(), a["window_type"].as_str(), a["message_count"].as_i64()),
        (Some(session), Some("session"), Some(2))
    );
    assert!(close(&a["avg_valence"], 1.0) && close(&a["valence_trend"], 0.0), "{a}");
    let (_, user) = app.get("/admin/users/cy/sentiment/aggregate").await;
    assert_eq!((user["user_id"].as_str(), user["aggregate"]["message_count"].as_i64()), (Some("cy"), Some(2)));

    // The template's `sentiment`: the average of the chat's recent scores.
    let (_, log) = app.get("/admin/requests?limit=200").await;
    let chat: Vec<&Value> = log.as_array().unwrap().iter().filter(|r| r["source"] == "chat").collect();
    assert_eq!(chat.last().unwrap()["messages"][0]["content"], "No mood yet");
    turn(&app, "cy", id, "and now?").await;
    let (_, log) = app.get("/admin/requests?limit=200").await;
    let newest = log.as_array().unwrap().iter().find(|r| r["source"] == "chat").unwrap().clone();
    assert_eq!(newest["messages"][0]["content"], "Valence 1.0 over 2");
    let scored = log.as_array().unwrap().iter().filter(|r| r["source"] == "sentiment").count();
    assert!(scored >= 2, "each scoring call is logged");
}
on_both!(messages_are_scored_clamped_and_served_in_the_originals_shapes);

async fn the_chats_toggle_wins_and_other_workspaces_get_404(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Plain", "You are plain.").await;
    app.llm.answer_when(SCORING, Scripted::Reply("{\"valence\": -0.5, \"engagement\": 0.2}".into()));
    // Off by default: nothing is scored.
    let (session, first) = turn(&app, "dan", id, "meh").await;
    assert_eq!(jobs_total(&app, "kind=score_sentiment").await, 0);
    let (_, agg) = app.get(&format!("/admin/sessions/{session}/sentiment/aggregate")).await;
    assert_eq!(agg, json!({"aggregate": null}), "nothing scored yet");

    let path = format!("/admin/sessions/{session}/sentiment/toggle?enabled=true");
    let (s, body) = app.post(&path, json!({})).await;
    assert_eq!((s, body), (StatusCode::OK, json!({"session_id": session, "sentiment_enabled": true})));
    let (_, second) = turn(&app, "dan", id, "whatever").await;
    wait_until("scored once the chat is on", 20, || async { scores(&app, session).await.len() == 1 }).await;
    let s = &scores(&app, session).await[0];
    assert_eq!(s["message_id"], second);
    assert!(close(&s["arousal"], 0.5) && close(&s["confidence"], 0.5), "missing values are neutral: {s}");
    let (st, _) = app.get(&format!("/admin/messages/{first}/sentiment")).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "not scored while off");

    // The persona on, the chat off: the chat wins.
    set_persona_sentiment(&app, id, true).await;
    let (_, off) = app.post(&format!("/admin/sessions/{session}/sentiment/toggle?enabled=false"), json!({})).await;
    assert_eq!(off["sentiment_enabled"], false);
    turn(&app, "dan", id, "quiet now").await;
    assert_eq!(jobs_total(&app, "kind=score_sentiment").await, 1, "no job for the chat switched off");
    let (_, audit) = app.get(&format!("/admin/audit?action=sentiment_toggle&target={session}")).await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 2);

    let other = app.second_operator("other@example.com", "another-password").await;
    for (m, p) in [
        (Method::POST, format!("/admin/sessions/{session}/sentiment/toggle?enabled=true")),
        (Method::GET, format!("/admin/sessions/{session}/sentiment")),
        (Method::GET, format!("/admin/sessions/{session}/sentiment/aggregate")),
        (Method::GET, format!("/admin/messages/{second}/sentiment")),
        (Method::GET, "/admin/users/dan/sentiment/aggregate".to_string()),
    ] {
        let (s, body) = request_with(&other, &app.base, m.clone(), &p, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{m} {p}: {body}");
    }
    assert_eq!(scores(&app, session).await.len(), 1, "the other workspace changed nothing");
    let (s, _) = app.post("/admin/sessions/999999/sentiment/toggle?enabled=true", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(the_chats_toggle_wins_and_other_workspaces_get_404);

async fn a_failed_scoring_never_touches_the_chat(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Fragile", "You are fragile.").await;
    set_persona_sentiment(&app, id, true).await;
    app.llm.answer_when(SCORING, Scripted::Reply("Very happy!!".into()));
    let (session, msg) = turn(&app, "eli", id, "hello there").await;
    wait_until("the junk answer fails the job", 20, || async {
        jobs_total(&app, "kind=score_sentiment&state=failed").await == 1
    })
    .await;
    assert!(scores(&app, session).await.is_empty());
    let (_, conv) = app.get("/admin/users/eli").await;
    let contents: Vec<&str> =
        conv["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, vec!["hello there", "echo: hello there"]);

    let ws = app.get("/admin/me").await.1["workspace_id"].as_i64().unwrap();
    let payload = json!({"workspace_id": ws, "message_id": msg});
    app.llm.answer_when(SCORING, Scripted::Status(503));
    assert!(matches!(sentiment::run_job(&app.state, &payload).await, Err(JobError::Retry(_))));
    app.llm.answer_when(SCORING, Scripted::Reply("{\"valence\": \"good\"}".into()));
    assert!(matches!(sentiment::run_job(&app.state, &payload).await, Err(JobError::Fail(_))));
    assert!(matches!(sentiment::run_job(&app.state, &json!({"nope": 1})).await, Err(JobError::Fail(_))));
    // Scoring the reply is refused; a good answer scores once, a second run changes nothing.
    let reply = json!({"workspace_id": ws, "message_id": first_reply_id(&app, "eli").await});
    assert!(matches!(sentiment::run_job(&app.state, &reply).await, Err(JobError::Fail(_))));
    app.llm.answer_when(SCORING, Scripted::Reply("{\"valence\": 0.3}".into()));
    assert_eq!(sentiment::run_job(&app.state, &payload).await, Ok(()));
    let calls = app.llm.calls();
    assert_eq!(sentiment::run_job(&app.state, &payload).await, Ok(()));
    assert_eq!(app.llm.calls(), calls, "scored already: not asked again");
    assert_eq!(scores(&app, session).await.len(), 1);
    let (_, conv) = app.get("/admin/users/eli").await;
    assert_eq!(conv["messages"].as_array().unwrap().len(), 2, "the chat is untouched");
}
on_both!(a_failed_scoring_never_touches_the_chat);
