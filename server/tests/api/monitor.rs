use crate::helpers::{request_with, spawn_app, Backend};
use crate::on_both;
use app::types::PAUSE_NOTICE;
use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

async fn halt_stops_the_llm_and_resume_restarts_it(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    assert_eq!(app.chat("fay", "hi").await.0, StatusCode::OK);
    assert_eq!(app.llm.calls(), 1);

    let (s, st) =
        app.post("/admin/interventions/fay/halt", json!({"operator": "someone", "reason": "checking tone"})).await;
    assert_eq!(s, StatusCode::OK, "{st}");
    assert_eq!(st["halted"], true);
    assert_eq!(st["reason"], "checking tone");
    assert_eq!(st["halted_by"], app.admin_email, "the logged-in operator is recorded");

    let (s, body) = app.chat("fay", "hello? anyone?").await;
    assert_eq!(s, StatusCode::LOCKED, "423 while halted, as the original API answered");
    assert_eq!(body["status"], "paused");
    assert_eq!(body["reply"], PAUSE_NOTICE);
    assert_eq!(app.llm.calls(), 1, "no LLM call while halted");

    let (_, users) = app.get("/admin/users").await;
    let fay = users.as_array().unwrap().iter().find(|u| u["user_id"] == "fay").unwrap();
    assert_eq!(fay["halted"], true);
    let (_, conv) = app.get("/admin/users/fay").await;
    let senders: Vec<&str> =
        conv["messages"].as_array().unwrap().iter().map(|m| m["sender"].as_str().unwrap()).collect();
    assert_eq!(senders, vec!["user", "assistant", "user", "notice"], "the message sent while halted is stored");

    let (s, st) = app.post("/admin/interventions/fay/resume?operator=someone", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(st["halted"], false);
    // Resuming answers the message sent while halted (see turns.rs), then chat goes on.
    for _ in 0..200 {
        if app.llm.calls() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.llm.calls(), 2, "resume answered the waiting message");
    let (s, body) = app.chat("fay", "back?").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["status"], "replied");
    assert_eq!(app.llm.calls(), 3);
    // The pause notice is not sent to the LLM; the message sent while halted is.
    let contents: Vec<String> = app
        .llm
        .last_messages()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect();
    assert!(!contents.iter().any(|c| c == PAUSE_NOTICE));
    assert!(contents.iter().any(|c| c == "hello? anyone?"));

    let (s, body) = app.post("/admin/interventions/fay/halt", json!({"reason": "  "})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "reason");
    let (s, _) = app.post("/admin/interventions/nobody/halt", json!({"reason": "x"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(halt_stops_the_llm_and_resume_restarts_it);

async fn injected_messages_reach_the_user_and_the_llm(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.chat("gus", "hi").await;
    let (s, m) = app.post("/admin/interventions/gus/inject", json!({"message": "Hi Gus, this is the team."})).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(m["sender"], "operator");
    let (_, conv) = app.get("/admin/users/gus").await;
    let last = conv["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["sender"], "operator");
    assert_eq!(last["content"], "Hi Gus, this is the team.");
    app.chat("gus", "oh hello").await;
    let sent = app.llm.last_messages();
    let arr = sent.as_array().unwrap();
    assert_eq!(arr[arr.len() - 2], json!({"role": "assistant", "content": "Hi Gus, this is the team."}));
    let (s, _) = app.post("/admin/interventions/nobody/inject", json!({"message": "x"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(injected_messages_reach_the_user_and_the_llm);

async fn workspaces_are_isolated(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Secret", "You are secret.").await;
    app.chat("hal", "hi").await;
    app.request(Method::PUT, "/admin/users/hal/memory/k", Some(json!({"value": "v"}))).await;

    let other = app.second_operator("second@example.com", "another-password").await;

    let (_, list) = request_with(&other, &app.base, Method::GET, "/admin/templates", None).await;
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Ava"], "only the second workspace's own default persona");
    let (_, users) = request_with(&other, &app.base, Method::GET, "/admin/users", None).await;
    assert_eq!(users, json!([]));
    let (_, log) = request_with(&other, &app.base, Method::GET, "/admin/requests", None).await;
    assert_eq!(log, json!([]));
    for (m, path, body) in [
        (Method::GET, format!("/admin/templates/{id}"), None),
        (Method::POST, format!("/admin/templates/{id}/versions"), Some(json!({"content": "mine now"}))),
        (Method::POST, format!("/admin/templates/{id}/rollback/1"), Some(json!({}))),
        (Method::GET, format!("/admin/templates/{id}/diff?from=1&to=1"), None),
        (Method::GET, "/admin/users/hal".to_string(), None),
        (Method::POST, "/admin/interventions/hal/halt".to_string(), Some(json!({"reason": "x"}))),
        (Method::POST, "/admin/interventions/hal/resume".to_string(), Some(json!({}))),
        (Method::POST, "/admin/interventions/hal/inject".to_string(), Some(json!({"message": "x"}))),
        (Method::PUT, "/admin/users/hal/memory/k".to_string(), Some(json!({"value": "stolen"}))),
    ] {
        let (s, body) = request_with(&other, &app.base, m.clone(), &path, body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{m} {path}: {body}");
    }
    // And the first workspace is untouched.
    let (_, conv) = app.get("/admin/users/hal").await;
    assert_eq!(conv["state"]["halted"], false);
    assert_eq!(conv["memory"][0]["value"], "v");
    let (_, detail) = app.get(&format!("/admin/templates/{id}")).await;
    assert_eq!(detail["versions"].as_array().unwrap().len(), 1);
}
on_both!(workspaces_are_isolated);

async fn operators_see_messages_live(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let resp = app.client.get(format!("{}/admin/events", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut stream = resp.bytes_stream();
    app.chat("ivy", "live hello").await;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains("echo: live hello") {
        let chunk =
            tokio::time::timeout_at(deadline, stream.next()).await.expect("events arrive in time").unwrap().unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("\"type\":\"message\""), "{seen}");
    assert!(seen.contains("live hello"), "{seen}");
}
on_both!(operators_see_messages_live);

async fn memory_can_be_set_and_deleted(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.chat("jo", "hi").await;
    let (s, e) = app.request(Method::PUT, "/admin/users/jo/memory/pets", Some(json!({"value": ["cat", "dog"]}))).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let (_, conv) = app.get("/admin/users/jo").await;
    assert_eq!(conv["memory"].as_array().map(Vec::len), Some(1), "{conv}");
    assert_eq!(
        (conv["memory"][0]["key"].clone(), conv["memory"][0]["value"].clone()),
        (json!("pets"), json!(["cat", "dog"]))
    );
    assert_eq!(conv["memory"][0]["source"], "api", "set through the REST API");
    let (s, body) = app.request(Method::PUT, "/admin/users/jo/memory/bad%20key", Some(json!({"value": 1}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (s, _) = app.request(Method::DELETE, "/admin/users/jo/memory/pets", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.request(Method::DELETE, "/admin/users/jo/memory/pets", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(memory_can_be_set_and_deleted);
