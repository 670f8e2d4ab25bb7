//! Issue 10: the per-turn inspector (`GET /admin/messages/{id}/inspect`) shows what went
//! into a reply, from its request-log row; the fork context (`GET /admin/messages/{id}/fork`)
//! and a playground run on it; another workspace's message is 404.

use crate::fake_llm::Scripted;
use crate::helpers::{request_with, spawn_app, Backend, TestApp};
use crate::on_both;
use app::engine::ids::{MessageId, SessionId};
use app::engine::store::summaries::{self, StoredSummary};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const IVY: &str =
    "You are Ivy. They like {{ memory.likes | default('?') }}.{% if summary %} Earlier: {{ summary }}{% endif %}";

/// The ids of `user`'s messages from `sender`, oldest first.
async fn ids_of(app: &TestApp, user: &str, sender: &str) -> Vec<i64> {
    let (_, conv) = app.get(&format!("/admin/users/{user}")).await;
    conv["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["sender"] == sender)
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

/// Two turns of `ann` with Ivy, the second with a memory entry and a stored summary.
/// Returns (persona id, session id, the second reply's id).
async fn two_turns(app: &TestApp) -> (i64, i64, i64) {
    let id = app.create_persona("Ivy", IVY).await;
    app.llm.script([Scripted::Reply("Hello Ann!".into())]);
    let (s, body) = app.chat_persona("ann", id, "hi, I'm Ann").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let sid = body["metadata"]["session_id"].as_i64().unwrap();
    let (s, _) = app.request(Method::PUT, "/admin/users/ann/memory/likes", Some(json!({"value": "tea"}))).await;
    assert_eq!(s, StatusCode::OK);
    let owner = summaries::owner(&app.state.db, SessionId(sid)).await.unwrap().unwrap();
    let first = ids_of(app, "ann", "user").await[0];
    let summary =
        StoredSummary { content: "Ann said hello.".into(), through: MessageId(first), covered: 1, updated_at: 1 };
    assert!(summaries::replace(&app.state.db, owner.workspace_id, SessionId(sid), None, &summary).await.unwrap());
    app.llm.script([Scripted::Reply("Tea, of course.".into())]);
    let (s, body) = app.chat_persona("ann", id, "what do I like?").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let reply = *ids_of(app, "ann", "assistant").await.last().unwrap();
    (id, sid, reply)
}

async fn the_inspector_shows_what_went_into_a_reply(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (persona, sid, reply) = two_turns(&app).await;
    let (s, t) = app.get(&format!("/admin/messages/{reply}/inspect")).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["message_id"], reply);
    assert_eq!(t["user_message"], "what do I like?");
    assert_eq!(t["reply"], "Tea, of course.");
    assert_eq!(t["user_id"], "ann");
    assert_eq!(t["session_id"], sid);
    assert_eq!(t["persona_id"], persona);
    assert_eq!(t["persona_name"], "Ivy");
    assert_eq!(t["template_version"], 1);
    assert_eq!(t["recorded"], true);
    assert_eq!(t["memory"], json!({"likes": "tea"}));
    assert_eq!(t["summary"], "Ann said hello.");
    assert_eq!(t["instructions"], json!([]));
    assert_eq!(t["notes"], json!([]));
    let sent = json!([
        {"role": "system", "content": "You are Ivy. They like tea. Earlier: Ann said hello."},
        {"role": "user", "content": "hi, I'm Ann"},
        {"role": "assistant", "content": "Hello Ann!"},
        {"role": "user", "content": "what do I like?"}
    ]);
    assert_eq!(t["messages"], sent, "exactly what the LLM got");
    assert_eq!(app.llm.last_messages(), sent);
    assert_eq!(t["history"].as_array().unwrap().len(), 2);
    assert_eq!(t["history"][0]["sender"], "user");
    assert_eq!(t["history"][1]["content"], "Hello Ann!");
    assert_eq!(t["call"]["status"], "ok");
    assert_eq!(t["call"]["provider"], "openai");
    assert!(t["call"]["request_id"].as_i64().is_some());

    // The user message of the turn shows the same turn; the first turn had no memory yet.
    let asked = ids_of(&app, "ann", "user").await;
    let (s, u) = app.get(&format!("/admin/messages/{}/inspect", asked[1])).await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(u["reply"], "Tea, of course.");
    assert_eq!(u["messages"], sent);
    let first_reply = ids_of(&app, "ann", "assistant").await[0];
    let (_, f) = app.get(&format!("/admin/messages/{first_reply}/inspect")).await;
    assert_eq!(f["memory"], json!({}));
    assert_eq!(f["summary"], Value::Null);
    assert_eq!(f["messages"].as_array().unwrap().len(), 2);

    // Unknown messages and another workspace's are 404; without a session, 401.
    let (s, _) = app.get("/admin/messages/999999/inspect").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let other = app.second_operator("other@example.com", "another-long-password").await;
    for path in [format!("/admin/messages/{reply}/inspect"), format!("/admin/messages/{reply}/fork")] {
        let (s, body) = request_with(&other, &app.base, Method::GET, &path, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {body}");
        let (s, _) = request_with(&crate::helpers::new_client(), &app.base, Method::GET, &path, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
    }
}
on_both!(the_inspector_shows_what_went_into_a_reply);

async fn a_forked_turn_runs_in_the_playground_with_its_context(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (persona, _, reply) = two_turns(&app).await;
    // A new version 2 (the REST API's update publishes it, as the original did).
    let draft = "Draft Ivy. Likes: {{ memory.likes }}. {{ summary }}";
    let (s, body) =
        app.request(Method::PUT, &format!("/admin/templates/{persona}"), Some(json!({"content": draft}))).await;
    assert!(s.is_success(), "{body}");

    let (s, f) = app.get(&format!("/admin/messages/{reply}/fork")).await;
    assert_eq!(s, StatusCode::OK, "{f}");
    assert_eq!(f["production_version"], 2, "production now");
    assert_eq!(f["turn"]["template_version"], 1, "the version that answered");
    assert_eq!(f["turn"]["user_message"], "what do I like?");
    assert_eq!(f["turn"]["memory"], json!({"likes": "tea"}));
    assert_eq!(f["turn"]["summary"], "Ann said hello.");

    // Meanwhile the user's memory changes: the fork keeps the turn's own.
    app.request(Method::PUT, "/admin/users/ann/memory/likes", Some(json!({"value": "coffee"}))).await;
    let calls = app.llm.calls();
    let (s, results) = app
        .post(
            &format!("/admin/templates/{persona}/playground"),
            json!({"versions": [1, 2], "message": "", "fork": reply}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{results}");
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(app.llm.calls() - calls, 2, "both versions ran through the LLM");
    let production = results.iter().find(|r| r["version"] == 1).unwrap();
    let drafted = results.iter().find(|r| r["version"] == 2).unwrap();
    assert_eq!(production["messages"][0]["content"], "You are Ivy. They like tea. Earlier: Ann said hello.");
    assert_eq!(drafted["messages"][0]["content"], "Draft Ivy. Likes: tea. Ann said hello.");
    for r in [production, drafted] {
        let msgs = r["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 4, "the turn's history and message: {msgs:?}");
        assert_eq!(msgs[2]["content"], "Hello Ann!");
        assert_eq!(msgs[3]["content"], "what do I like?");
        assert_eq!(r["reply"], "echo: what do I like?");
    }
    // Logged as playground calls; the conversation is unchanged.
    let (_, log) = app.get("/admin/requests?limit=10").await;
    let playground = log.as_array().unwrap().iter().filter(|r| r["source"] == "playground").count();
    assert_eq!(playground, 2);
    assert_eq!(ids_of(&app, "ann", "assistant").await.len(), 2);

    // Another persona cannot run this persona's turn; another workspace cannot see it.
    let other = app.create_persona("Other", "You are Other.").await;
    let (s, body) = app
        .post(&format!("/admin/templates/{other}/playground"), json!({"versions": [1], "message": "", "fork": reply}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}
on_both!(a_forked_turn_runs_in_the_playground_with_its_context);
