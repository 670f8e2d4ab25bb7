//! End-user accounts and who may chat (issue 9): `/admin/end-users…` and `/user/…` in
//! the original's shapes, the two logins side by side in one session, deactivation
//! taking effect at the next request, and the caller rules of `POST /chat`.

use crate::helpers::{new_client, request_with, spawn_app, Backend, TestApp};
use crate::on_both;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "a long password";

async fn call(
    client: &reqwest::Client,
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    request_with(client, &app.base, method, path, body).await
}

/// A browser that sends the chat cookie `uid` (no cookie jar).
fn browser(uid: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("cookie", format!("pd_uid={uid}").parse().unwrap());
    reqwest::Client::builder().default_headers(headers).build().unwrap()
}

/// Creates an end user with a password through the operator's REST API; returns the body.
async fn create_user(app: &TestApp, external_id: &str, email: &str) -> Value {
    let body = json!({"external_id": external_id, "email": email, "password": PASSWORD, "display_name": "Ann"});
    let (s, user) = app.post("/admin/end-users", body).await;
    assert_eq!(s, StatusCode::CREATED, "{user}");
    user
}

/// A fresh browser logged in as the end user with `email`.
async fn end_user_client(app: &TestApp, email: &str) -> reqwest::Client {
    let client = new_client();
    let (s, body) =
        call(&client, app, Method::POST, "/user/login", Some(json!({"email": email, "password": PASSWORD}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    client
}

async fn users_named(app: &TestApp, external_id: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM end_users WHERE external_id = $1")
        .bind(external_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

async fn admin_routes_answer_the_original_shapes(b: Backend) {
    let app = spawn_app(b).await;
    let (s, _) = app.get("/admin/end-users").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.login_admin().await;

    let user = create_user(&app, "ann-1", "Ann@Example.com").await;
    assert_eq!(user["external_id"], "ann-1");
    assert_eq!(user["email"], "ann@example.com", "emails are stored lower-cased");
    assert_eq!(user["is_active"], true);
    assert_eq!(user["has_password"], true);
    assert!(user.get("password_hash").is_none() && !user.to_string().contains("argon2"), "{user}");
    let id = user["id"].as_i64().unwrap();

    let (s, list) = app.get("/admin/end-users").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["count"], 1);
    assert_eq!(list["total"], 1);
    let row = &list["users"][0];
    for key in ["id", "external_id", "email", "display_name", "created_at", "last_seen", "is_active"] {
        assert!(row.get(key).is_some(), "{key} missing in {row}");
    }
    let (s, one) = app.get(&format!("/admin/end-users/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((one["id"].as_i64(), &one["display_name"]), (Some(id), &json!("Ann")));

    let (s, body) =
        app.request(Method::PUT, &format!("/admin/end-users/{id}"), Some(json!({"display_name": "Annie"}))).await;
    assert_eq!((s, &body["status"]), (StatusCode::OK, &json!("updated")), "{body}");
    assert_eq!(body["user"]["display_name"], "Annie");

    // Bad input: typed errors, never 500.
    let (s, body) = app.post("/admin/end-users", json!({"external_id": "x", "email": "ANN@example.com"})).await;
    assert_eq!((s, &body["error"]["code"]), (StatusCode::CONFLICT, &json!("conflict")), "{body}");
    let (s, body) = app.post("/admin/end-users", json!({"external_id": "ann-1"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    let (s, body) = app.post("/admin/end-users", json!({"external_id": "y", "email": "not an email"})).await;
    assert_eq!((s, &body["error"]["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("email")), "{body}");
    let (s, body) = app.post("/admin/end-users", json!({"email": "z@example.com", "password": "short"})).await;
    assert_eq!((s, &body["error"]["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("password")), "{body}");
    let (s, body) = app.post("/admin/end-users", json!({})).await;
    assert_eq!((s, &body["error"]["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("external_id")), "{body}");
    let (s, _) = app.get("/admin/end-users/abc").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app.get("/admin/end-users/999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // An email given later keeps its own uniqueness.
    let (s, other) = app.post("/admin/end-users", json!({"external_id": "api-only"})).await;
    assert_eq!(s, StatusCode::CREATED, "{other}");
    assert_eq!((&other["email"], &other["has_password"]), (&Value::Null, &json!(false)));
    let (s, body) = app
        .request(Method::PUT, &format!("/admin/end-users/{}", other["id"]), Some(json!({"email": "ann@example.com"})))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");

    // Another workspace's operator sees none of it.
    let olga = app.second_operator("olga@example.com", "a long enough password").await;
    for (m, body) in [(Method::GET, None), (Method::PUT, Some(json!({"display_name": "x"}))), (Method::DELETE, None)] {
        let (s, _) = call(&olga, &app, m.clone(), &format!("/admin/end-users/{id}"), body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{m}");
    }
    let (_, theirs) = call(&olga, &app, Method::GET, "/admin/end-users", None).await;
    assert_eq!(theirs["count"], 0);

    // Delete: deactivates (the original's default), or with ?hard=true deletes.
    let (s, body) = app.request(Method::DELETE, &format!("/admin/end-users/{id}"), None).await;
    assert_eq!((s, &body["status"]), (StatusCode::OK, &json!("deactivated")));
    let (_, list) = app.get("/admin/end-users").await;
    assert_eq!(list["count"], 1, "deactivated users are left out by default: {list}");
    let (_, list) = app.get("/admin/end-users?include_inactive=true").await;
    assert_eq!(list["count"], 2);
    let (s, body) = app.request(Method::DELETE, &format!("/admin/end-users/{id}?hard=true"), None).await;
    assert_eq!((s, &body["status"]), (StatusCode::OK, &json!("deleted")));
    assert_eq!(app.get(&format!("/admin/end-users/{id}")).await.0, StatusCode::NOT_FOUND);
}
on_both!(admin_routes_answer_the_original_shapes);

async fn end_user_login_me_and_logout(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let user = create_user(&app, "ann-1", "ann@example.com").await;
    let (_, op) = app.get("/admin/me").await;
    let client = new_client();
    for body in [
        json!({"email": "ann@example.com", "password": "wrong password"}),
        json!({"email": "nobody@example.com", "password": PASSWORD}),
        json!({"email": "ann@example.com", "password": PASSWORD, "tenant_id": 999999}),
    ] {
        let (s, err) = call(&client, &app, Method::POST, "/user/login", Some(body)).await;
        assert_eq!((s, &err["error"]["code"]), (StatusCode::UNAUTHORIZED, &json!("bad_credentials")), "{err}");
    }
    let login = json!({"email": "ANN@example.com", "password": PASSWORD, "tenant_id": op["workspace_id"]});
    let (s, body) = call(&client, &app, Method::POST, "/user/login", Some(login)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(
        body["user"],
        json!({"id": user["id"], "external_id": "ann-1", "email": "ann@example.com", "display_name": "Ann"})
    );
    let (s, me) = call(&client, &app, Method::GET, "/user/me", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        me,
        json!({"id": user["id"], "tenant_id": op["workspace_id"], "external_id": "ann-1", "email": "ann@example.com", "display_name": "Ann"})
    );
    let (_, listed) = app.get(&format!("/admin/end-users/{}", user["id"])).await;
    assert!(listed["last_seen"].is_i64(), "a login is recorded: {listed}");

    // An end-user login grants no operator route; an operator login no end-user route.
    for path in ["/admin/me", "/admin/end-users", "/admin/users"] {
        assert_eq!(call(&client, &app, Method::GET, path, None).await.0, StatusCode::UNAUTHORIZED, "{path}");
    }
    assert_eq!(app.get("/user/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.post("/user/logout", json!({})).await.0, StatusCode::UNAUTHORIZED);

    let (s, body) = call(&client, &app, Method::POST, "/user/logout", Some(json!({}))).await;
    assert_eq!((s, body), (StatusCode::OK, json!({"status": "ok"})));
    assert_eq!(call(&client, &app, Method::GET, "/user/me", None).await.0, StatusCode::UNAUTHORIZED);

    // The workspace by slug, too.
    let slug: String = sqlx::query_scalar("SELECT slug FROM workspaces WHERE id = $1")
        .bind(op["workspace_id"].as_i64().unwrap())
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let login = json!({"email": "ann@example.com", "password": PASSWORD, "workspace": slug});
    assert_eq!(call(&client, &app, Method::POST, "/user/login", Some(login)).await.0, StatusCode::OK);
}
on_both!(end_user_login_me_and_logout);

async fn logging_out_of_one_login_leaves_the_other(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    create_user(&app, "ann-1", "ann@example.com").await;
    // One browser, both logins.
    let (s, _) = app.post("/user/login", json!({"email": "ann@example.com", "password": PASSWORD})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.get("/admin/me").await.0, StatusCode::OK, "the end-user login keeps the operator's");
    assert_eq!(app.get("/user/me").await.0, StatusCode::OK);

    assert_eq!(app.post("/user/logout", json!({})).await.0, StatusCode::OK);
    assert_eq!(app.get("/user/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/admin/me").await.0, StatusCode::OK, "the operator stays logged in");

    app.post("/user/login", json!({"email": "ann@example.com", "password": PASSWORD})).await;
    assert_eq!(app.post("/admin/logout", json!({})).await.0, StatusCode::OK);
    assert_eq!(app.get("/admin/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/user/me").await.0, StatusCode::OK, "the end user stays logged in");
}
on_both!(logging_out_of_one_login_leaves_the_other);

async fn a_user_deactivated_mid_session_gets_401_at_once(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let user = create_user(&app, "ann-1", "ann@example.com").await;
    let ann = end_user_client(&app, "ann@example.com").await;
    let (s, body) = call(&ann, &app, Method::POST, "/chat", Some(json!({"message": "hello"}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");

    let path = format!("/admin/end-users/{}", user["id"]);
    let (s, _) = app.request(Method::PUT, &path, Some(json!({"is_active": false}))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = call(&ann, &app, Method::POST, "/chat", Some(json!({"message": "still there?"}))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(call(&ann, &app, Method::GET, "/user/me", None).await.0, StatusCode::UNAUTHORIZED);
    let login = json!({"email": "ann@example.com", "password": PASSWORD});
    let (s, _) = call(&ann, &app, Method::POST, "/user/login", Some(login.clone())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a deactivated user cannot log in");

    app.request(Method::PUT, &path, Some(json!({"is_active": true}))).await;
    assert_eq!(call(&ann, &app, Method::POST, "/user/login", Some(login)).await.0, StatusCode::OK);
    // Deleting ends the login the same way.
    app.request(Method::DELETE, &format!("{path}?hard=true"), None).await;
    assert_eq!(call(&ann, &app, Method::GET, "/user/me", None).await.0, StatusCode::UNAUTHORIZED);
}
on_both!(a_user_deactivated_mid_session_gets_401_at_once);

async fn post_chat_follows_the_caller_rules(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    create_user(&app, "ann-1", "ann@example.com").await;

    // A logged-in end user chats as itself, whatever user_id the body names.
    let ann = end_user_client(&app, "ann@example.com").await;
    let (s, body) = call(&ann, &app, Method::POST, "/chat", Some(json!({"user_id": "mallory", "message": "hi"}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(users_named(&app, "mallory").await, 0, "the body's user_id is ignored");
    let (_, conv) = app.get("/admin/users/ann-1").await;
    assert_eq!(conv["messages"][0]["content"], "hi", "{conv}");
    let (s, _) = call(&ann, &app, Method::POST, "/chat", Some(json!({"message": "hi", "workspace": "no-such"}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // An operator chats on behalf of a user of their own workspace.
    let (s, body) = app.chat("bob", "hello for bob").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, _) = app.post("/chat", json!({"message": "no user named"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // With both logins in one session, the end user wins on chat routes.
    app.post("/user/login", json!({"email": "ann@example.com", "password": PASSWORD})).await;
    let (s, _) = app.chat("bob", "as whom?").await;
    assert_eq!(s, StatusCode::OK);
    let (_, conv) = app.get("/admin/users/ann-1").await;
    assert!(conv.to_string().contains("as whom?"), "{conv}");
    app.post("/user/logout", json!({})).await;

    // A browser by the chat cookie it sent, while the workspace allows anonymous chat.
    let uid = uuid::Uuid::new_v4().to_string();
    let visitor = browser(&uid);
    let (s, body) =
        call(&visitor, &app, Method::POST, "/chat", Some(json!({"user_id": "bob", "message": "anon"}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(users_named(&app, &uid).await, 1, "the cookie's id, not the body's");
    // A cookieless script is no anonymous browser (the middleware's fresh id does not count).
    for client in [new_client(), reqwest::Client::new()] {
        let (s, body) =
            call(&client, &app, Method::POST, "/chat", Some(json!({"user_id": "bob", "message": "x"}))).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    }
    assert_eq!(call(&new_client(), &app, Method::GET, "/chat/events", None).await.0, StatusCode::UNAUTHORIZED);
    // A cookie naming an account's id is refused.
    let account_uid = uuid::Uuid::new_v4().to_string();
    create_user(&app, &account_uid, "carl@example.com").await;
    let (s, _) = call(&browser(&account_uid), &app, Method::POST, "/chat", Some(json!({"message": "x"}))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // The workspace turns anonymous chat off: the cookie no longer chats; logins still do.
    let (s, body) = app.request(Method::PUT, "/admin/settings", Some(json!({"anonymous_chat": false}))).await;
    assert_eq!((s, body), (StatusCode::OK, json!({"anonymous_chat": false})));
    let (s, body) = call(&visitor, &app, Method::POST, "/chat", Some(json!({"message": "anon again"}))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    let (s, _) = call(&ann, &app, Method::POST, "/chat", Some(json!({"message": "still me"}))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.chat("bob", "operator still").await.0, StatusCode::OK);
    let (s, body) = app.get("/admin/settings").await;
    assert_eq!((s, body), (StatusCode::OK, json!({"anonymous_chat": false})));
}
on_both!(post_chat_follows_the_caller_rules);

async fn the_chat_page_acts_for_the_logged_in_end_user(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    create_user(&app, "ann-1", "ann@example.com").await;
    let client = new_client();
    // Server functions of the login component.
    let resp = client.get(format!("{}/api/chat/user_me", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.unwrap(), Value::Null, "nobody logged in");
    let resp = client
        .post(format!("{}/api/chat/user_login", app.base))
        .form(&[("email", "ann@example.com"), ("password", "wrong password")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = client
        .post(format!("{}/api/chat/user_login", app.base))
        .form(&[("email", "ann@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let me: Value = client.get(format!("{}/api/chat/user_me", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["external_id"], "ann-1");
    assert_eq!(call(&client, &app, Method::GET, "/user/me", None).await.0, StatusCode::OK, "the same login as REST");

    // Anonymous chat off: a browser's chat page functions answer 401; the end user's work.
    app.request(Method::PUT, "/admin/settings", Some(json!({"anonymous_chat": false}))).await;
    let visitor = browser(&uuid::Uuid::new_v4().to_string());
    let resp = visitor.get(format!("{}/api/chat/load_chat", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = client.get(format!("{}/api/chat/load_chat", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());

    let resp = client.post(format!("{}/api/chat/user_logout", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(call(&client, &app, Method::GET, "/user/me", None).await.0, StatusCode::UNAUTHORIZED);
}
on_both!(the_chat_page_acts_for_the_logged_in_end_user);
