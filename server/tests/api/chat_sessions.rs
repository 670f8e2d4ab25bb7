//! Several chats per end user (issue 9): the `/chat/sessions…` and `/chat/history…` REST
//! routes in the original's shapes, each chat's own history in the pipeline, archive
//! filters, deletion, isolation between users and workspaces, the chat page's server
//! functions.

use crate::helpers::{request_with, spawn_app, Backend, TestApp};
use crate::on_both;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A browser known only by its `pd_uid` cookie, and that id.
fn browser() -> (reqwest::Client, String) {
    let uid = uuid::Uuid::new_v4().to_string();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("cookie", format!("pd_uid={uid}").parse().unwrap());
    (reqwest::Client::builder().default_headers(headers).build().unwrap(), uid)
}

async fn call(
    app: &TestApp,
    client: &reqwest::Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    request_with(client, &app.base, method, path, body).await
}

/// `POST /chat` as the operator into chat `session`.
async fn chat_in(app: &TestApp, user: &str, session: i64, message: &str) -> Value {
    let (s, body) = app.post("/chat", json!({"user_id": user, "message": message, "session_id": session})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body
}

async fn each_route_answers_the_original_shape(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (s, first) = app.chat("ann", "Hello there, I would like to talk about my garden today").await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let one = first["metadata"]["session_id"].as_i64().unwrap();

    // The list: the original's envelope, each chat with its title, counts and preview.
    let (s, list) = app.get("/chat/sessions?user_id=ann").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!((list["user_id"].as_str(), list["count"].as_i64()), (Some("ann"), Some(1)), "{list}");
    let chat = &list["sessions"][0];
    assert_eq!(chat["id"], one);
    assert_eq!(chat["session_id"], one);
    assert_eq!(chat["user_id"], "ann");
    assert_eq!(chat["title"], "Hello there, I would like to talk about my garden today");
    assert_eq!(chat["titled"], false);
    assert_eq!(chat["message_count"], 2);
    assert_eq!(chat["preview"], "echo: Hello there, I would like to talk about my garden today");
    assert_eq!(chat["archived"], false);
    assert_eq!(chat["archived_at"], Value::Null);
    assert_eq!(chat["template_name"], chat["persona_name"]);
    assert!(chat["persona_id"].is_i64() && chat["created_at"].is_i64() && chat["last_message_at"].is_i64());
    assert!(chat["updated_at"].as_i64() >= chat["last_message_at"].as_i64());

    // A new chat: 201, empty, named "New chat" until its first message.
    let (s, created) = app.post("/chat/sessions", json!({"user_id": "ann"})).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let two = created["id"].as_i64().unwrap();
    assert_ne!(one, two);
    assert_eq!((created["title"].as_str(), created["message_count"].as_i64()), (Some("New chat"), Some(0)));
    assert_eq!((created["preview"].clone(), created["last_message_at"].clone()), (Value::Null, Value::Null));
    // The original's `?user_id=` with no body, a title, a persona by name.
    let persona = created["template_name"].as_str().unwrap().to_string();
    let (s, titled) = app
        .request(
            Method::POST,
            "/chat/sessions?user_id=ann",
            Some(json!({"template_name": persona, "title": " Plans "})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{titled}");
    assert_eq!((titled["title"].as_str(), titled["titled"].as_bool()), (Some("Plans"), Some(true)));
    let (s, bare) = app.request(Method::POST, "/chat/sessions?user_id=ann", None).await;
    assert_eq!(s, StatusCode::CREATED, "{bare}");
    let (s, e) = app.post("/chat/sessions", json!({"user_id": "ann", "template_name": "Nobody"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    let (s, _) = app.post("/chat/sessions", json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "an operator names the user");

    // Writing into chat two makes it the most recently active.
    chat_in(&app, "ann", two, "second chat").await;
    let (_, list) = app.get("/chat/sessions?user_id=ann").await;
    assert_eq!(list["count"], 4);
    assert_eq!(list["sessions"][0]["id"], two, "{list}");
    assert_eq!(list["sessions"][0]["title"], "second chat");

    // One chat, rename (validated; null: derived again), its messages.
    let (s, got) = app.get(&format!("/chat/sessions/{two}")).await;
    assert_eq!((s, got["id"].as_i64()), (StatusCode::OK, Some(two)), "{got}");
    let (s, renamed) =
        app.request(Method::PUT, &format!("/chat/sessions/{two}"), Some(json!({"title": "Garden"}))).await;
    assert_eq!((s, renamed["title"].as_str()), (StatusCode::OK, Some("Garden")), "{renamed}");
    let long = "x".repeat(101);
    let (s, e) = app.request(Method::PUT, &format!("/chat/sessions/{two}"), Some(json!({"title": long}))).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("title")), "{e}");
    let (s, e) = app.request(Method::PUT, &format!("/chat/sessions/{two}"), Some(json!({"title": "  "}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (_, again) = app.request(Method::PUT, &format!("/chat/sessions/{two}"), Some(json!({"title": null}))).await;
    assert_eq!((again["title"].as_str(), again["titled"].as_bool()), (Some("second chat"), Some(false)));

    let (s, msgs) = app.get(&format!("/chat/sessions/{two}/messages")).await;
    assert_eq!(s, StatusCode::OK, "{msgs}");
    assert_eq!((msgs["session_id"].as_i64(), msgs["total_count"].as_i64()), (Some(two), Some(2)));
    let m = &msgs["messages"][0];
    assert_eq!((m["role"].as_str(), m["content"].as_str()), (Some("user"), Some("second chat")));
    assert!(m["id"].is_i64() && m["created_at"].is_i64());
    assert_eq!(msgs["messages"][1]["role"], "assistant");

    // The original's history: every chat's messages, oldest first, paged.
    let (s, hist) = app.get("/chat/history?user_id=ann").await;
    assert_eq!(s, StatusCode::OK, "{hist}");
    assert_eq!((hist["user_id"].as_str(), hist["total_count"].as_i64()), (Some("ann"), Some(4)));
    assert_eq!(hist["messages"].as_array().unwrap().len(), 4);
    assert_eq!(hist["messages"][0]["content"], "Hello there, I would like to talk about my garden today");
    let (_, page) = app.get("/chat/history?user_id=ann&limit=1&offset=2").await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
    assert_eq!((page["messages"][0]["content"].as_str(), page["total_count"].as_i64()), (Some("second chat"), Some(4)));
    let (_, only) = app.get(&format!("/chat/history?user_id=ann&session_id={one}")).await;
    assert_eq!(only["total_count"], 2);
    let (s, _) = app.get("/chat/history?user_id=ann&limit=0").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, none) = app.get("/chat/history?user_id=nobody").await;
    assert_eq!((none["total_count"].as_i64(), none["messages"].as_array().map(Vec::len)), (Some(0), Some(0)));
    let (s, _) = app.get("/chat/sessions/999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(each_route_answers_the_original_shape);

async fn the_pipeline_sees_only_the_chats_own_history(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (s, first) = app.chat("cam", "my secret word is periwinkle").await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let one = first["metadata"]["session_id"].as_i64().unwrap();
    let (_, created) = app.post("/chat/sessions", json!({"user_id": "cam"})).await;
    let two = created["id"].as_i64().unwrap();

    chat_in(&app, "cam", two, "what is my secret word?").await;
    let sent = app.llm.last_messages().to_string();
    assert!(!sent.contains("periwinkle"), "chat 2's request carries nothing of chat 1: {sent}");
    assert!(sent.contains("what is my secret word?"), "{sent}");

    // Without a session, `POST /chat` writes into the latest chat not archived.
    let (_, body) = app.chat("cam", "still here").await;
    assert_eq!(body["metadata"]["session_id"], two, "{body}");
    let (s, _) = app.post(&format!("/chat/sessions/{two}/archive"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, body) = app.chat("cam", "and now?").await;
    assert_eq!(body["metadata"]["session_id"], one, "{body}");
    let sent = app.llm.last_messages().to_string();
    assert!(sent.contains("periwinkle") && !sent.contains("still here"), "chat 1's own history: {sent}");
}
on_both!(the_pipeline_sees_only_the_chats_own_history);

async fn archive_and_unarchive_filter_the_list(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.chat("dan", "first chat").await;
    let (_, created) = app.post("/chat/sessions", json!({"user_id": "dan"})).await;
    let two = created["id"].as_i64().unwrap();

    let (s, archived) = app.post(&format!("/chat/sessions/{two}/archive"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{archived}");
    assert_eq!(archived["archived"], true);
    let at = archived["archived_at"].as_i64().expect("archived_at is set");
    let (_, again) = app.post(&format!("/chat/sessions/{two}/archive"), json!({})).await;
    assert_eq!(again["archived_at"].as_i64(), Some(at), "archiving twice keeps the first time");

    let ids = |v: &Value| -> Vec<i64> {
        v["sessions"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
    };
    let (_, default) = app.get("/chat/sessions?user_id=dan").await;
    assert!(!ids(&default).contains(&two) && ids(&default).len() == 1, "{default}");
    let (_, only) = app.get("/chat/sessions?user_id=dan&archived=true").await;
    assert_eq!(ids(&only), vec![two]);
    let (_, all) = app.get("/chat/sessions?user_id=dan&include_archived=true").await;
    assert_eq!(ids(&all).len(), 2);

    let (s, back) = app.post(&format!("/chat/sessions/{two}/unarchive"), json!({})).await;
    assert_eq!(
        (s, back["archived"].as_bool(), back["archived_at"].clone()),
        (StatusCode::OK, Some(false), Value::Null)
    );
    let (_, default) = app.get("/chat/sessions?user_id=dan").await;
    assert_eq!(ids(&default).len(), 2);
    let (_, only) = app.get("/chat/sessions?user_id=dan&archived=true").await;
    assert!(ids(&only).is_empty());

    // The persona filter, by id and by the original's name.
    let pid = app.create_persona("Other", "You are other.").await;
    app.chat_persona("dan", pid, "to the other").await;
    let (_, by_id) = app.get(&format!("/chat/sessions?user_id=dan&persona_id={pid}")).await;
    assert_eq!(by_id["count"], 1, "{by_id}");
    let (_, by_name) = app.get("/chat/sessions?user_id=dan&template_name=Other").await;
    assert_eq!(ids(&by_name), ids(&by_id));
    let (s, _) = app.get("/chat/sessions?user_id=dan&template_name=Nobody").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(archive_and_unarchive_filter_the_list);

async fn delete_removes_the_chat_and_its_messages(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (_, first) = app.chat("eve", "keep me").await;
    let one = first["metadata"]["session_id"].as_i64().unwrap();
    let (_, created) = app.post("/chat/sessions", json!({"user_id": "eve"})).await;
    let two = created["id"].as_i64().unwrap();
    chat_in(&app, "eve", two, "delete me").await;
    let requests_before = app.get("/admin/requests?limit=100").await.1.as_array().unwrap().len();

    let (s, gone) = app.request(Method::DELETE, &format!("/chat/sessions/{two}"), None).await;
    assert_eq!(s, StatusCode::OK, "{gone}");
    assert_eq!(
        (gone["id"].as_i64(), gone["deleted"].as_bool(), gone["deleted_count"].as_i64()),
        (Some(two), Some(true), Some(2))
    );
    let (s, _) = app.get(&format!("/chat/sessions/{two}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&format!("/chat/sessions/{two}/messages")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.request(Method::DELETE, &format!("/chat/sessions/{two}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, conv) = app.get("/admin/users/eve").await;
    let texts: Vec<&str> =
        conv["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(texts, vec!["keep me", "echo: keep me"], "only chat 1 is left");
    let log = app.get("/admin/requests?limit=100").await.1;
    assert_eq!(log.as_array().unwrap().len(), requests_before, "the request log keeps its rows");

    // Clearing the history: operators only.
    let (browser, _) = browser();
    let (s, e) = call(&app, &browser, Method::DELETE, "/chat/history/eve", None).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (s, cleared) = app.request(Method::DELETE, "/chat/history/eve", None).await;
    assert_eq!(s, StatusCode::OK, "{cleared}");
    assert_eq!((cleared["user_id"].as_str(), cleared["deleted_count"].as_i64()), (Some("eve"), Some(2)));
    let (s, _) = app.get(&format!("/chat/sessions/{one}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, hist) = app.get("/chat/history?user_id=eve").await;
    assert_eq!(hist["total_count"], 0);
    // The user can start again.
    let (s, _) = app.chat("eve", "hello again").await;
    assert_eq!(s, StatusCode::OK);
}
on_both!(delete_removes_the_chat_and_its_messages);

async fn chats_are_isolated_between_users_and_workspaces(b: Backend) {
    let app = spawn_app(b).await;
    let (a, a_id) = browser();
    let (other, _) = browser();
    let (s, mine) = call(&app, &a, Method::POST, "/chat/sessions", Some(json!({"user_id": "someone-else"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{mine}");
    assert_eq!(mine["user_id"], a_id.as_str(), "a browser is always its cookie's user");
    let id = mine["id"].as_i64().unwrap();
    let (s, list) = call(&app, &a, Method::GET, "/chat/sessions", None).await;
    assert_eq!((s, list["count"].as_i64()), (StatusCode::OK, Some(1)), "{list}");

    // Another browser: every route by id is 404, and its list is empty.
    for (method, path, body) in [
        (Method::GET, format!("/chat/sessions/{id}"), None),
        (Method::PUT, format!("/chat/sessions/{id}"), Some(json!({"title": "mine now"}))),
        (Method::POST, format!("/chat/sessions/{id}/archive"), Some(json!({}))),
        (Method::POST, format!("/chat/sessions/{id}/unarchive"), Some(json!({}))),
        (Method::GET, format!("/chat/sessions/{id}/messages"), None),
        (Method::GET, format!("/chat/history?session_id={id}"), None),
        (Method::DELETE, format!("/chat/sessions/{id}"), None),
    ] {
        let (s, body) = call(&app, &other, method.clone(), &path, body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        assert!(!body.to_string().contains(&a_id), "nothing of theirs: {body}");
    }
    let (_, theirs) = call(&app, &other, Method::GET, "/chat/sessions", None).await;
    assert_eq!(theirs["count"], 0);
    let (s, still) = call(&app, &a, Method::GET, &format!("/chat/sessions/{id}"), None).await;
    assert_eq!(
        (s, still["title"].as_str(), still["archived"].as_bool()),
        (StatusCode::OK, Some("New chat"), Some(false))
    );

    // The workspace's operator sees it (by id, or naming the user); another workspace's does not.
    app.login_admin().await;
    let (s, seen) = app.get(&format!("/chat/sessions/{id}")).await;
    assert_eq!((s, seen["user_id"].as_str()), (StatusCode::OK, Some(a_id.as_str())), "{seen}");
    let (s, _) = app.get(&format!("/chat/sessions/{id}?user_id=not-{a_id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "naming another user");
    let op2 = app.second_operator("second@example.com", "second-password").await;
    for (method, path) in [
        (Method::GET, format!("/chat/sessions/{id}")),
        (Method::GET, format!("/chat/sessions/{id}?user_id={a_id}")),
        (Method::GET, format!("/chat/sessions/{id}/messages")),
        (Method::DELETE, format!("/chat/sessions/{id}")),
    ] {
        let (s, body) = call(&app, &op2, method.clone(), &path, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {body}");
    }
    let (_, list) = call(&app, &op2, Method::GET, &format!("/chat/sessions?user_id={a_id}"), None).await;
    assert_eq!(list["count"], 0, "{list}");
    let (_, cleared) = call(&app, &op2, Method::DELETE, &format!("/chat/history/{a_id}"), None).await;
    assert_eq!(cleared["deleted_count"], 0);
    let (s, _) = call(&app, &a, Method::GET, &format!("/chat/sessions/{id}"), None).await;
    assert_eq!(s, StatusCode::OK, "still there");
}
on_both!(chats_are_isolated_between_users_and_workspaces);

async fn the_chat_pages_server_functions(b: Backend) {
    let app = spawn_app(b).await;
    let (a, _) = browser();
    let (other, _) = browser();
    let form = |client: &reqwest::Client, path: &str, fields: Vec<(&str, String)>| {
        client.post(format!("{}{path}", app.base)).form(&fields).send()
    };
    let resp = form(&a, "/api/chat/new_chat", vec![]).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let created: Value = resp.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    let resp = form(&a, "/api/chat/rename_chat", vec![("session_id", id.to_string()), ("title", "Ideas".into())])
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let renamed: Value = resp.json().await.unwrap();
    assert_eq!(renamed["title"], "Ideas");

    let (s, list) = call(&app, &a, Method::GET, "/api/chat/list_chats?archived=false", None).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().map(|l| l.len()), Some(1));
    let (s, opened) = call(&app, &a, Method::GET, &format!("/api/chat/open_chat_by_id?session_id={id}"), None).await;
    assert_eq!(s, StatusCode::OK, "{opened}");
    assert_eq!((opened["session_id"].as_i64(), opened["available"].as_bool()), (Some(id), Some(true)));
    assert_eq!(opened["messages"].as_array().map(Vec::len), Some(0));
    let (s, _) = call(&app, &other, Method::GET, &format!("/api/chat/open_chat_by_id?session_id={id}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let resp = form(&a, "/api/chat/archive_chat", vec![("session_id", id.to_string())]).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, list) = call(&app, &a, Method::GET, "/api/chat/list_chats?archived=true", None).await;
    assert_eq!(list.as_array().map(|l| l.len()), Some(1), "{list}");
    let resp = form(&a, "/api/chat/unarchive_chat", vec![("session_id", id.to_string())]).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = form(&other, "/api/chat/delete_chat", vec![("session_id", id.to_string())]).await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = form(&a, "/api/chat/delete_chat", vec![("session_id", id.to_string())]).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, list) = call(&app, &a, Method::GET, "/api/chat/list_chats?archived=false", None).await;
    assert_eq!(list.as_array().map(|l| l.len()), Some(0));
}
on_both!(the_chat_pages_server_functions);
