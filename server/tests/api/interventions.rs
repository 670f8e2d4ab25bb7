//! Interventions: hidden notes vs visible messages, draft-assist, assignments, the
//! halted list, and the routes' workspace scoping.

use crate::fake_llm::Scripted;
use crate::helpers::{request_with, spawn_app, Backend, TestApp};
use crate::on_both;
use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

/// The system message of the newest LLM request.
fn last_system(app: &TestApp) -> String {
    app.llm.last_messages()[0]["content"].as_str().unwrap().to_string()
}

/// Every message content of a user's chat history as the user's API gives it.
async fn user_history(app: &TestApp, user: &str) -> Vec<Value> {
    let (s, h) = app.get(&format!("/chat/history?user_id={user}")).await;
    assert_eq!(s, StatusCode::OK, "{h}");
    h["messages"].as_array().unwrap().clone()
}

async fn hidden_notes_reach_the_prompt_but_never_the_user(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (s, first) = app.chat("nia", "hi").await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let session = first["metadata"]["session_id"].as_i64().expect("a session id");

    // The user's live stream, opened before the note.
    let resp = app.client.get(format!("{}/chat/events?user_id=nia", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut stream = resp.bytes_stream();

    let note = "She lost her dog yesterday; be gentle.";
    let (s, body) = app
        .post(
            &format!("/admin/interventions/nia/inject?session_id={session}"),
            json!({"content": note, "kind": "note"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["kind"], "note");
    assert_eq!(body["note"]["content"], note);
    assert_eq!(body["operator"], app.admin_email);
    // A visible message after it, so the stream has something to show.
    let (s, _) = app.post("/admin/interventions/nia/inject", json!({"content": "Team here, hello!"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains("Team here, hello!") {
        let chunk = tokio::time::timeout_at(deadline, stream.next()).await.expect("events in time").unwrap().unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(!seen.contains("lost her dog"), "the note is not on the user's stream: {seen}");
    assert!(!seen.contains(&app.admin_email), "the user's stream does not name the operator: {seen}");

    let history = user_history(&app, "nia").await;
    assert_eq!(history.len(), 3, "hi, the reply, the team's message — no note: {history:?}");
    assert!(history.iter().all(|m| !m["content"].as_str().unwrap().contains("lost her dog")));
    assert!(history.iter().all(|m| m.get("author").is_none()), "no author for the user: {history:?}");

    // Operators see the note and who wrote the visible message.
    let (_, conv) = app.get("/admin/users/nia").await;
    assert_eq!(conv["notes"][0]["content"], note, "{conv}");
    assert_eq!(conv["notes"][0]["author"], app.admin_email);
    let last = conv["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["sender"].clone(), last["author"].clone()), (json!("operator"), json!(app.admin_email)));

    // The next turn's prompt carries the note after the template.
    let (s, _) = app.chat("nia", "how are you").await;
    assert_eq!(s, StatusCode::OK);
    let system = last_system(&app);
    assert!(system.contains(note), "{system}");
    let (_, log) = app.get("/admin/requests?limit=1").await;
    assert_eq!(log[0]["source"], "chat");
    assert!(log[0]["messages"][0]["content"].as_str().unwrap().contains(note), "{log}");
    let contents: Vec<String> = app.llm.last_messages().as_array().unwrap()[1..]
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect();
    assert!(contents.iter().all(|c| !c.contains("lost her dog")), "only in the system message: {contents:?}");
    assert!(user_history(&app, "nia").await.iter().all(|m| !m["content"].as_str().unwrap().contains("lost her dog")));

    // Validation and scoping of the session.
    let (s, _) = app.post("/admin/interventions/nia/inject", json!({"content": "  ", "kind": "note"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    app.chat("otto", "hi").await;
    let (s, _) = app
        .post(
            &format!("/admin/interventions/otto/inject?session_id={session}"),
            json!({"content": "x", "kind": "note"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "nia's chat is not otto's");
    let (s, _) = app.post("/admin/interventions/nia/inject", json!({"content": "x", "kind": "shout"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}
on_both!(hidden_notes_reach_the_prompt_but_never_the_user);

async fn drafts_are_logged_not_stored_and_sent_with_their_author(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.chat("dee", "I feel lonely").await;
    app.post("/admin/interventions/dee/inject", json!({"content": "Think of Rex.", "kind": "note"})).await;
    app.llm.script([Scripted::Reply("I'm here for you.".into())]);
    let calls = app.llm.calls();
    let (s, draft) = app.post("/admin/interventions/dee/draft", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{draft}");
    assert_eq!(draft["text"], "I'm here for you.");
    assert_eq!(draft["persona_name"], "Ava");
    assert_eq!(app.llm.calls(), calls + 1);
    assert!(last_system(&app).contains("Think of Rex."), "the draft uses the chat's prompt with its notes");
    let sent = app.llm.last_messages();
    assert_eq!(
        sent.as_array().unwrap().last().unwrap()["content"],
        "I feel lonely",
        "it answers the newest user message"
    );
    let (_, log) = app.get("/admin/requests?limit=1").await;
    assert_eq!(log[0]["source"], "draft_assist", "{log}");
    assert_eq!(log[0]["response"], "I'm here for you.");
    assert_eq!(user_history(&app, "dee").await.len(), 2, "the draft is not a message");

    let (s, m) = app
        .post(
            "/admin/interventions/dee/send",
            json!({"content": "I'm here for you, Dee.", "draft": "I'm here for you."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(
        (m["sender"].clone(), m["author"].clone(), m["edited"].clone()),
        (json!("assistant"), json!(app.admin_email), json!(true))
    );
    let history = user_history(&app, "dee").await;
    let last = history.last().unwrap();
    assert_eq!((last["content"].clone(), last["role"].clone()), (json!("I'm here for you, Dee."), json!("assistant")));
    assert!(
        last.get("author").is_none() && last.get("edited").is_none(),
        "a normal persona message for the user: {last}"
    );
    let (_, conv) = app.get("/admin/users/dee").await;
    let mine = conv["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((mine["author"].clone(), mine["edited"].clone()), (json!(app.admin_email), json!(true)));

    // Sent unchanged: not edited.
    let (_, m) =
        app.post("/admin/interventions/dee/send", json!({"content": "Same words.", "draft": "Same words."})).await;
    assert_eq!(m.get("edited"), None, "not edited: {m}");
    // A failing model is a 502, logged as a draft_assist error.
    app.llm.script([Scripted::Status(500), Scripted::Status(500), Scripted::Status(500)]);
    let (s, _) = app.post("/admin/interventions/dee/draft", json!({})).await;
    assert_eq!(s, StatusCode::BAD_GATEWAY);
    let (_, log) = app.get("/admin/requests?limit=1").await;
    assert_eq!((log[0]["source"].clone(), log[0]["status"].clone()), (json!("draft_assist"), json!("error")));
    let (s, _) = app.post("/admin/interventions/nobody/draft", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(drafts_are_logged_not_stored_and_sent_with_their_author);

async fn assignments_change_the_version_that_answers(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Lab", "You are Lab one.").await;
    let (s, _) = app.post(&format!("/admin/templates/{id}/versions"), json!({"content": "You are Lab two."})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, body) =
        app.request(Method::PUT, &format!("/admin/templates/{id}/labels/staging"), Some(json!({"version": 2}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");

    app.chat_persona("ann", id, "hi").await;
    assert_eq!(last_system(&app), "You are Lab one.");
    let (s, a) = app.request(Method::PUT, "/admin/users/ann/assignment", Some(json!({"label": "staging"}))).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!((a["label"].clone(), a["assigned_by"].clone()), (json!("staging"), json!(app.admin_email)));
    app.chat_persona("ann", id, "again").await;
    assert_eq!(last_system(&app), "You are Lab two.", "the assigned label answers");
    let (_, conv) = app.get("/admin/users/ann").await;
    let reply = conv["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((reply["sender"].clone(), reply["persona_version"].clone()), (json!("assistant"), json!(2)), "{reply}");
    // Someone else still gets production.
    app.chat_persona("bob", id, "hi").await;
    assert_eq!(last_system(&app), "You are Lab one.");

    let (s, _) =
        app.request(Method::PUT, "/admin/users/ann/assignment", Some(json!({"persona_id": id, "version": 1}))).await;
    assert_eq!(s, StatusCode::OK);
    app.chat_persona("ann", id, "pinned?").await;
    assert_eq!(last_system(&app), "You are Lab one.", "the pinned version answers");
    let (_, got) = app.get("/admin/users/ann/assignment").await;
    assert_eq!(
        (got["assignment"]["version"].clone(), got["assignment"]["persona_name"].clone()),
        (json!(1), json!("Lab"))
    );
    let (_, conv) = app.get("/admin/users/ann").await;
    assert_eq!(conv["assignment"]["version"], 1, "shown in the conversation view");

    let (s, _) = app.request(Method::DELETE, "/admin/users/ann/assignment", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.request(Method::DELETE, "/admin/users/ann/assignment", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, got) = app.get("/admin/users/ann/assignment").await;
    assert_eq!(got["assignment"], Value::Null);

    // A persona assignment: new chats that name none use it.
    app.chat("cal", "hi").await;
    assert_ne!(last_system(&app), "You are Lab one.", "the first persona offered answers first");
    let (s, _) = app.request(Method::PUT, "/admin/users/cal/assignment", Some(json!({"persona_id": id}))).await;
    assert_eq!(s, StatusCode::OK);
    // The chat page opened without a persona shows the assigned one (not the last chatted).
    let (_, me) = app.get("/admin/me").await;
    let ws = app::engine::ids::WorkspaceId(me["workspace_id"].as_i64().unwrap());
    let opened = app::engine::chat::history(&app.state, ws, "cal", None).await.unwrap();
    assert_eq!(opened.persona.id, id, "the chat page opens the assigned persona");
    let (s, body) = app.chat("cal", "who are you?").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(last_system(&app), "You are Lab one.", "the assigned persona answers a chat naming none");

    for bad in
        [json!({}), json!({"version": 1}), json!({"persona_id": id, "label": "nope"}), json!({"label": "Bad Label!"})]
    {
        let (s, body) = app.request(Method::PUT, "/admin/users/ann/assignment", Some(bad.clone())).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    let (s, _) =
        app.request(Method::PUT, "/admin/users/ann/assignment", Some(json!({"persona_id": id, "version": 9}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.request(Method::PUT, "/admin/users/nobody/assignment", Some(json!({"label": "staging"}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(assignments_change_the_version_that_answers);

async fn the_halted_list_is_the_workspaces_own(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.chat("hal", "hi").await;
    app.chat("ida", "hi").await;
    app.post("/admin/interventions/hal/halt", json!({"reason": "checking"})).await;
    let (s, list) = app.get("/admin/halted").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["count"], 1, "{list}");
    let h = &list["halted_users"][0];
    assert_eq!(
        (h["user_id"].clone(), h["operator"].clone(), h["reason"].clone()),
        (json!("hal"), json!(app.admin_email), json!("checking"))
    );
    assert!(h["halted_at"].as_i64().is_some());

    let other = app.second_operator("second@example.com", "another-password").await;
    let (_, theirs) = request_with(&other, &app.base, Method::GET, "/admin/halted", None).await;
    assert_eq!(theirs, json!({"count": 0, "halted_users": []}));
    let (_, a) = request_with(&app.client, &app.base, Method::GET, "/admin/halted", None).await;
    assert_eq!(a["count"], 1);
}
on_both!(the_halted_list_is_the_workspaces_own);

async fn another_workspace_gets_404_everywhere(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.chat("hal", "hi").await;
    let other = app.second_operator("second@example.com", "another-password").await;
    for (m, path, body) in [
        (Method::POST, "/admin/interventions/hal/inject", Some(json!({"content": "x", "kind": "note"}))),
        (Method::POST, "/admin/interventions/hal/draft", Some(json!({}))),
        (Method::POST, "/admin/interventions/hal/send", Some(json!({"content": "x"}))),
        (Method::GET, "/admin/users/hal/assignment", None),
        (Method::PUT, "/admin/users/hal/assignment", Some(json!({"label": "staging"}))),
        (Method::DELETE, "/admin/users/hal/assignment", None),
        (Method::GET, "/admin/conversations/hal", None),
        (Method::GET, "/admin/conversations/hal/export", None),
        (Method::GET, "/admin/conversations/hal/export.md", None),
        (Method::DELETE, "/admin/users/hal/conversations", None),
    ] {
        let (s, body) = request_with(&other, &app.base, m.clone(), path, body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{m} {path}: {body}");
    }
    assert_eq!(user_history(&app, "hal").await.len(), 2, "nothing changed");
    let (s, _) = request_with(&crate::helpers::new_client(), &app.base, Method::GET, "/admin/halted", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
on_both!(another_workspace_gets_404_everywhere);
