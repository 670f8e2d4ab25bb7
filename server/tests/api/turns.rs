//! Issue 7: turns outlive their request, run one at a time per chat, answer on resume;
//! `POST /chat` acts for the caller's workspace only, with the original API's shapes.

use crate::fake_llm::Scripted;
use crate::helpers::{request_with, spawn_app, Backend, TestApp};
use crate::on_both;
use app::types::{LiveEvent, Sender};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

/// Polls `check` every 50 ms for up to 10 s; panics with `what` if it never holds.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}

async fn senders_and_contents(app: &TestApp, user: &str) -> Vec<(String, String)> {
    let (_, conv) = app.get(&format!("/admin/users/{user}")).await;
    conv["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| (m["sender"].as_str().unwrap().to_string(), m["content"].as_str().unwrap().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// The k-th LLM call (k from 0) saw the k earlier exchanges as history, each user message
/// followed by its own reply, then a new message: nothing answered twice or out of order.
fn assert_conversation_order(requests: &[Value]) {
    let mut seen = Vec::new();
    for (k, req) in requests.iter().enumerate() {
        let msgs = req["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 2 + 2 * k, "system + {k} exchanges + the message: {msgs:?}");
        for pair in msgs[1..msgs.len() - 1].chunks(2) {
            assert_eq!(pair[0]["role"], "user");
            assert_eq!(pair[1]["role"], "assistant");
            assert_eq!(pair[1]["content"], format!("echo: {}", pair[0]["content"].as_str().unwrap()), "{msgs:?}");
        }
        let current = msgs.last().unwrap()["content"].as_str().unwrap().to_string();
        assert!(!seen.contains(&current), "{current} answered twice");
        seen.push(current);
    }
}

async fn a_turn_outlives_its_request(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.llm.script([Scripted::Delayed(Duration::from_millis(1500), "Sorry, I was thinking.".into())]);
    // A script that gives up after 0.4 s, long before the reply.
    let impatient = app.client.post(format!("{}/chat", app.base)).timeout(Duration::from_millis(400));
    let gave_up = impatient.json(&json!({"user_id": "gus", "message": "hello?"})).send().await;
    assert!(gave_up.is_err_and(|e| e.is_timeout()), "the client gives up first");

    eventually("the reply is stored although the client left", || async {
        senders_and_contents(&app, "gus").await
            == vec![("user".into(), "hello?".into()), ("assistant".into(), "Sorry, I was thinking.".into())]
    })
    .await;
    let (_, log) = app.get("/admin/requests?limit=5").await;
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["status"], "ok");
    assert_eq!(log[0]["response"], "Sorry, I was thinking.");
    assert!(log[0]["latency_ms"].as_i64().unwrap() >= 1400, "{}", log[0]);
}
on_both!(a_turn_outlives_its_request);

async fn shutdown_waits_for_a_running_turn(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.llm.script([Scripted::Delayed(Duration::from_millis(800), "Still here.".into())]);
    let client = app.client.clone();
    let base = app.base.clone();
    let send = tokio::spawn(async move {
        client.post(format!("{base}/chat")).json(&json!({"user_id": "sam", "message": "hi"})).send().await
    });
    eventually("the turn is running", || async { app.state.turns.running() == 1 }).await;
    assert!(app.state.turns.shutdown(Duration::from_secs(5)).await, "the running turn finished within the grace");
    assert_eq!(senders_and_contents(&app, "sam").await.last().unwrap().1, "Still here.");
    send.await.unwrap().unwrap();
}
on_both!(shutdown_waits_for_a_running_turn);

async fn resume_answers_what_was_sent_while_halted(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (s, _) = app.chat("hana", "hi").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.post("/admin/interventions/hana/halt", json!({"operator": "x", "reason": "review"})).await;
    assert_eq!(s, StatusCode::OK);
    // While halted: stored, answered with the pause notice, 423 as in the original API.
    let (s, body) = app.chat("hana", "are you there?").await;
    assert_eq!(s, StatusCode::LOCKED, "{body}");
    assert_eq!(body["status"], "paused");
    assert_eq!(body["response"], app::types::PAUSE_NOTICE);
    assert_eq!(body["detail"], app::types::PAUSE_NOTICE);
    assert_eq!(body["user_message"]["content"], "are you there?");
    assert_eq!(app.llm.calls(), 1);

    let mut events = app.state.events.subscribe();
    app.llm.script([Scripted::Reply("Yes, I am here.".into())]);
    let (s, st) = app.post("/admin/interventions/hana/resume?operator=x", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{st}");
    assert_eq!(st["halted"], false);
    // The reply is pushed live to everyone watching.
    let reply = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(ev) = events.recv().await {
                if let LiveEvent::Message { user_id, message } = ev.event {
                    if user_id == "hana" && message.sender == Sender::Assistant {
                        return message;
                    }
                }
            }
        }
    })
    .await
    .expect("a live reply after resume");
    assert_eq!(reply.content, "Yes, I am here.");
    // The LLM answered the message sent while halted; the pause notice is not history.
    let sent = app.llm.last_messages();
    let sent = sent.as_array().unwrap();
    assert_eq!(sent.last().unwrap()["content"], "are you there?");
    assert!(sent.iter().all(|m| m["content"] != app::types::PAUSE_NOTICE), "{sent:?}");
    let convo = senders_and_contents(&app, "hana").await;
    let senders: Vec<&str> = convo.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(senders, vec!["user", "assistant", "user", "notice", "assistant"]);

    // A resume with nothing unanswered calls no LLM.
    app.post("/admin/interventions/hana/halt", json!({"reason": "again"})).await;
    app.post("/admin/interventions/hana/resume", json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.llm.calls(), 2);
}
on_both!(resume_answers_what_was_sent_while_halted);

async fn messages_sent_at_once_are_answered_one_at_a_time_in_order(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.llm.set_delay(Duration::from_millis(150));
    // A new user's first messages, all at once: one session, each stored and answered once.
    let sends = (1..=4).map(|i| {
        let client = app.client.clone();
        let base = app.base.clone();
        async move {
            let (s, body) = request_with(
                &client,
                &base,
                Method::POST,
                "/chat",
                Some(json!({"user_id": "quinn", "message": format!("message {i}")})),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{body}");
            body
        }
    });
    let answers = futures::future::join_all(sends).await;
    assert_eq!(app.llm.calls(), 4, "each message answered once");
    assert_eq!(app.llm.max_in_flight(), 1, "turns of one chat run one at a time");
    // Each answer is the echo of its own message.
    for a in &answers {
        assert_eq!(a["reply"].as_str().unwrap(), format!("echo: {}", a["user_message"]["content"].as_str().unwrap()));
    }
    let (_, conv) = app.get("/admin/users/quinn").await;
    assert_eq!(conv["sessions"].as_array().unwrap().len(), 1, "one chat session: {}", conv["sessions"]);
    let convo = senders_and_contents(&app, "quinn").await;
    assert_eq!(convo.len(), 8);
    assert_eq!(convo.iter().filter(|(s, _)| s == "assistant").count(), 4);
    assert_conversation_order(&app.llm.requests());
}
on_both!(messages_sent_at_once_are_answered_one_at_a_time_in_order);

/// Two server processes on one PostgreSQL database: turns of one chat still run one at a
/// time (advisory lock), and the user's first messages create one session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_servers_serialise_one_chat() {
    let app = spawn_app(Backend::Postgres).await;
    app.login_admin().await;
    app.llm.set_delay(Duration::from_millis(150));
    let config = crate::helpers::test_config(&app.database_url, crate::helpers::fake_llm_config(&app.llm));
    let second = server::startup::Application::build(config).await.unwrap();
    let second_base = format!("http://{}", second.addr);
    let _second = second.spawn();
    let other_client = crate::helpers::new_client();
    let (s, _) = request_with(
        &other_client,
        &second_base,
        Method::POST,
        "/admin/login",
        Some(json!({"email": app.admin_email, "password": app.admin_password})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let sends = (1..=4).map(|i| {
        let (client, base) = if i % 2 == 0 {
            (app.client.clone(), app.base.clone())
        } else {
            (other_client.clone(), second_base.clone())
        };
        async move {
            let body = json!({"user_id": "rio", "message": format!("m{i}")});
            let (s, body) = request_with(&client, &base, Method::POST, "/chat", Some(body)).await;
            assert_eq!(s, StatusCode::OK, "{body}");
        }
    });
    futures::future::join_all(sends).await;
    assert_eq!(app.llm.calls(), 4);
    assert_eq!(app.llm.max_in_flight(), 1, "one at a time across both servers");
    let (_, conv) = app.get("/admin/users/rio").await;
    assert_eq!(conv["sessions"].as_array().unwrap().len(), 1);
    assert_conversation_order(&app.llm.requests());
}

async fn post_chat_acts_for_the_callers_workspace_only(b: Backend) {
    let app = spawn_app(b).await;
    // No session: 401, nothing stored, no LLM call.
    let anonymous = crate::helpers::new_client();
    let (s, body) =
        request_with(&anonymous, &app.base, Method::POST, "/chat", Some(json!({"user_id": "vic", "message": "hi"})))
            .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    app.login_admin().await;
    let (s, _) = app.chat("vic", "hello from the first workspace").await;
    assert_eq!(s, StatusCode::OK);
    let first_slug: String = sqlx::query_scalar("SELECT slug FROM workspaces ORDER BY id LIMIT 1")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let (_, personas) = app.get("/admin/templates").await;
    let first_persona = personas[0]["id"].as_i64().unwrap();

    // Another workspace's operator cannot name the first workspace, its personas or its users.
    let other = app.second_operator("mallory@example.com", "a long enough password").await;
    let calls = app.llm.calls();
    let post = |body: Value| request_with(&other, &app.base, Method::POST, "/chat", Some(body));
    let (s, body) = post(json!({"user_id": "vic", "message": "it's me", "workspace": first_slug})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    let (s, body) = post(json!({"user_id": "vic", "message": "it's me", "persona_id": first_persona})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(app.llm.calls(), calls, "no LLM call for a refused turn");
    // Chatting as "vic" there is another user of the other workspace, without the first one's history.
    let (s, body) = post(json!({"user_id": "vic", "message": "hello"})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let sent = app.llm.last_messages();
    assert_eq!(sent.as_array().unwrap().len(), 2, "no history from the other workspace: {sent}");
    let (_, theirs) = request_with(&other, &app.base, Method::GET, "/admin/users/vic", None).await;
    assert_eq!(theirs["messages"].as_array().unwrap().len(), 2);
    let convo = senders_and_contents(&app, "vic").await;
    assert_eq!(convo.len(), 2, "the first workspace's vic is untouched: {convo:?}");
}
on_both!(post_chat_acts_for_the_callers_workspace_only);

async fn post_chat_speaks_the_originals_shapes(b: Backend) {
    let app = spawn_app(b).await;
    // The original's code reads `email`.
    let (s, body) = app.post("/admin/login", json!({"email": app.admin_email, "password": app.admin_password})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let nova = app.create_persona("Nova", "You are Nova.").await;

    // template_name picks the persona; the answer has the original's fields.
    let (s, body) = app.post("/chat", json!({"user_id": "wes", "message": "hi Nova", "template_name": "Nova"})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "replied");
    assert_eq!(body["response"], "echo: hi Nova");
    assert_eq!(body["reply"], "echo: hi Nova");
    assert_eq!(body["metadata"]["template_used"], "Nova");
    assert_eq!(body["metadata"]["message_count"], 2);
    assert!(body["metadata"]["response_time_ms"].as_i64().is_some(), "{body}");
    let session = body["metadata"]["session_id"].as_i64().unwrap();
    assert_eq!(body["user_message"]["session_id"], session);
    assert_eq!(app.llm.last_messages()[0]["content"], "You are Nova.");

    // Absent: the persona the chat page offers first (the seeded default).
    let (s, body) = app.post("/chat", json!({"user_id": "wes", "message": "and you?"})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["metadata"]["template_used"], app::engine::personas::DEFAULT_PERSONA_NAME);
    assert_ne!(body["metadata"]["session_id"], session);

    // session_id continues that chat (its persona); the count grows.
    let (s, body) = app.post("/chat", json!({"user_id": "wes", "message": "back to you", "session_id": session})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["metadata"]["template_used"], "Nova");
    assert_eq!(body["metadata"]["message_count"], 4);
    let _ = nova;

    // Refused before anything is stored or any LLM call.
    let calls = app.llm.calls();
    let (s, body) = app.post("/chat", json!({"user_id": "wes", "message": "x", "template_name": "Nobody"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    let (s, body) =
        app.post("/chat", json!({"user_id": "wes", "message": "x", "template_name": "n".repeat(200)})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "template_name");
    let (s, body) = app.post("/chat", json!({"user_id": "wes", "message": "x", "session_id": 987_654})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    // Another user's session is not this user's.
    app.chat("zed", "mine").await;
    let (_, zed) = app.get("/admin/users/zed").await;
    let zeds = zed["sessions"][0]["id"].as_i64().unwrap();
    let calls_after_zed = app.llm.calls();
    let (s, body) = app.post("/chat", json!({"user_id": "wes", "message": "x", "session_id": zeds})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    let (s, body) = app.post("/chat", json!({"user_id": "wes", "message": "x", "guardrail_config": "strict"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "guardrail_config");
    assert_eq!(app.llm.calls(), calls_after_zed);
    assert_eq!(calls_after_zed, calls + 1);
    assert_eq!(senders_and_contents(&app, "wes").await.len(), 6, "nothing stored for refused turns");
}
on_both!(post_chat_speaks_the_originals_shapes);

async fn inject_and_memory_take_the_originals_shapes(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.chat("yan", "hi").await;
    let (s, body) =
        app.post("/admin/interventions/yan/inject", json!({"content": "A human here.", "operator": "ops"})).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["user_id"], "yan");
    assert!(body["message_id"].as_i64().is_some());
    assert_eq!(body["content"], "A human here.");
    let (s, _) = app.post("/admin/interventions/yan/inject", json!({"message": "Still the alias."})).await;
    assert_eq!(s, StatusCode::CREATED);
    let convo = senders_and_contents(&app, "yan").await;
    assert_eq!(convo[2], ("operator".into(), "A human here.".into()));
    assert_eq!(convo[3], ("operator".into(), "Still the alias.".into()));

    let (s, body) = app.request(Method::PUT, "/admin/users/yan/memory/name", Some(json!({"value": "Yan"}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!((body["user_id"].as_str(), body["key"].as_str()), (Some("yan"), Some("name")));
    let id = body["memory_id"].as_i64().expect("a memory_id");
    let (_, again) =
        app.request(Method::PUT, "/admin/users/yan/memory/name", Some(json!({"value": {"first": "Yan"}}))).await;
    assert_eq!(again["memory_id"], id, "an update keeps the id");
    let (_, other) = app.request(Method::PUT, "/admin/users/yan/memory/pets", Some(json!({"value": ["cat"]}))).await;
    assert_ne!(other["memory_id"], id);
    // A bare value is not the original's shape.
    let (s, _) = app.request(Method::PUT, "/admin/users/yan/memory/x", Some(json!("bare"))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let (s, listed) = app.get("/admin/users/yan/memory").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(listed["user_id"], "yan");
    assert_eq!(listed["memory"], json!({"name": {"first": "Yan"}, "pets": ["cat"]}));
    let (s, _) = app.request(Method::DELETE, "/admin/users/yan/memory/pets", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, listed) = app.get("/admin/users/yan/memory").await;
    assert_eq!(listed["memory"], json!({"name": {"first": "Yan"}}));
    let (s, _) = app.get("/admin/users/nobody/memory").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(inject_and_memory_take_the_originals_shapes);

async fn dashboard_personas_start_as_drafts(b: Backend) {
    use app::engine::personas::{self, Publish};
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (_, me) = app.get("/admin/me").await;
    let ws = app::engine::ids::WorkspaceId(me["workspace_id"].as_i64().unwrap());
    let draft = app::types::VersionDraft {
        content: "You are Dora.".into(),
        kind: Default::default(),
        settings: Default::default(),
        variables: vec![],
        note: String::new(),
    };
    let dora = personas::create(&app.state.db, ws, "Dora", &draft, &app.admin_email, Publish::Draft).await.unwrap();
    assert_eq!(dora.production_version, None);
    let offered = |app: &TestApp| {
        let db = app.state.db.clone();
        async move { app::engine::chat::personas(&db, ws).await.unwrap().into_iter().map(|p| p.name).collect::<Vec<_>>() }
    };
    assert!(!offered(&app).await.contains(&"Dora".to_string()), "a draft is not offered in chat");
    // Not chattable either: no fallback to the latest version.
    let (s, body) = app.chat_persona("una", dora.id, "hi").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(app.llm.calls(), 0);
    let visitor = crate::helpers::new_client();
    visitor.get(format!("{}/chat", app.base)).header("accept", "text/html").send().await.unwrap();
    let resp = visitor.get(format!("{}/api/chat/load_chat?persona_id={}", app.base, dora.id)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // Publishing = moving production to a version.
    let (s, body) = app
        .request(Method::PUT, &format!("/admin/templates/{}/labels/production", dora.id), Some(json!({"version": 1})))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(offered(&app).await.contains(&"Dora".to_string()));
    let (s, body) = app.chat_persona("una", dora.id, "hi").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(app.llm.last_messages()[0]["content"], "You are Dora.");

    // The original's create publishes at once.
    app.create_persona("Rex", "You are Rex.").await;
    assert!(offered(&app).await.contains(&"Rex".to_string()));

    // A clone from the library starts as a draft.
    let other = app.second_operator("olga@example.com", "a long enough password").await;
    let (s, _) = app.post(&format!("/admin/templates/{}/share", dora.id), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, clone) =
        request_with(&other, &app.base, Method::POST, &format!("/admin/library/{}/clone", dora.id), Some(json!({})))
            .await;
    assert_eq!(s, StatusCode::CREATED, "{clone}");
    assert_eq!(clone["production_version"], Value::Null);
}
on_both!(dashboard_personas_start_as_drafts);

async fn reopening_the_chat_returns_to_the_last_persona(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let nova = app.create_persona("Nova", "You are Nova.").await;
    let visitor = crate::helpers::new_client();
    visitor.get(format!("{}/chat", app.base)).header("accept", "text/html").send().await.unwrap();
    let resp = visitor
        .post(format!("{}/api/chat/send_message", app.base))
        .form(&[("persona_id", nova.to_string().as_str()), ("message", "hello Nova")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let history: Value =
        visitor.get(format!("{}/api/chat/load_chat", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(history["persona"]["id"], nova, "{history}");
    assert_eq!(history["messages"][0]["content"], "hello Nova");
    // A persona no longer offered is not reopened.
    app.post(&format!("/admin/templates/{nova}/deactivate"), json!({})).await;
    let history: Value =
        visitor.get(format!("{}/api/chat/load_chat", app.base)).send().await.unwrap().json().await.unwrap();
    assert_ne!(history["persona"]["id"], nova, "{history}");
}
on_both!(reopening_the_chat_returns_to_the_last_persona);

async fn the_monitor_lists_sessions_versions_and_previews(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let nova = app.create_persona("Nova", "You are Nova.").await;
    app.chat("xia", "hello default").await;
    let long = format!("{} end", "word ".repeat(60));
    app.chat_persona("xia", nova, &long).await;
    let (_, conv) = app.get("/admin/users/xia").await;
    let sessions = conv["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["persona_name"], "Nova", "most recent first: {sessions:?}");
    assert_eq!(sessions[0]["message_count"], 2);
    let reply = conv["messages"].as_array().unwrap().iter().rev().find(|m| m["sender"] == "assistant").unwrap();
    assert_eq!(reply["persona_name"], "Nova");
    assert_eq!(reply["persona_version"], 1);
    assert_eq!(reply["truncated"], false);
    assert_eq!(reply["session_id"], sessions[0]["id"]);
    let (_, users) = app.get("/admin/users").await;
    let preview = users[0]["last_message"].as_str().unwrap();
    assert_eq!(users[0]["last_sender"], "assistant");
    assert!(preview.starts_with("echo: word word"), "{preview}");
    assert!(preview.ends_with('…') && preview.chars().count() == app::types::LAST_MESSAGE_PREVIEW_CHARS, "{preview}");
    // Inject into a chosen session.
    let default_session = sessions[1]["id"].as_i64().unwrap();
    let (s, m) = app
        .post("/admin/interventions/xia/inject", json!({"content": "Hi from the team", "session_id": default_session}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(m["session_id"], default_session);
}
on_both!(the_monitor_lists_sessions_versions_and_previews);

async fn a_turn_left_pending_by_a_stopped_server_runs_at_the_next_start(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.chat("pia", "first").await;
    // What a process that stopped mid-turn leaves behind: a stored message still pending.
    let (_, conv) = app.get("/admin/users/pia").await;
    let session = conv["sessions"][0]["id"].as_i64().unwrap();
    sqlx::query(
        "INSERT INTO messages (workspace_id, session_id, end_user_id, sender, content, created_at, turn_status) \
         SELECT workspace_id, session_id, end_user_id, 'user', 'are you still there?', 0, 'pending' FROM messages \
         WHERE session_id = $1 LIMIT 1",
    )
    .bind(session)
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    let config = crate::helpers::test_config(&app.database_url, crate::helpers::fake_llm_config(&app.llm));
    let restarted = server::startup::Application::build(config).await.unwrap();
    eventually("the pending turn is answered after the restart", || async {
        senders_and_contents(&app, "pia")
            .await
            .last()
            .is_some_and(|(s, c)| s == "assistant" && c == "echo: are you still there?")
    })
    .await;
    assert_eq!(app.llm.calls(), 2);
    drop(restarted);
}
on_both!(a_turn_left_pending_by_a_stopped_server_runs_at_the_next_start);
