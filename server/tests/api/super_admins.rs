//! Issue 11: super admins (`/super/admins`, 403 for everyone else), roles on every route
//! and server function (viewer reads only, editor changes, owner also keys and settings),
//! deactivation refused at once, password reset and change.

use crate::helpers::*;
use crate::on_both;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Logs `email` in on a fresh client.
async fn client_for(app: &TestApp, email: &str, password: &str) -> reqwest::Client {
    let client = new_client();
    let (s, body) = request_with(
        &client,
        &app.base,
        Method::POST,
        "/admin/login",
        Some(json!({"username": email, "password": password})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{email}: {body}");
    client
}

/// `POST /super/admins` as the first (super) operator.
async fn create_admin(app: &TestApp, body: Value) -> Value {
    let (s, created) = app.post("/super/admins", body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    created
}

async fn call(
    client: &reqwest::Client,
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    request_with(client, &app.base, method, path, body).await
}

async fn super_admins_manage_operators(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (_, me) = app.get("/admin/me").await;
    assert_eq!((me["is_super"].as_bool(), me["role"].as_str()), (Some(true), Some("owner")), "{me}");
    let ws = me["workspace_id"].as_i64().unwrap();

    // A new operator with a workspace of their own and a generated password.
    let created = create_admin(&app, json!({"email": "solo@example.com"})).await;
    let solo_password = created["password"].as_str().expect("generated and shown once").to_string();
    assert_eq!(created["admin"]["role"], "owner");
    assert_ne!(created["admin"]["workspace_id"], ws);
    let solo = client_for(&app, "solo@example.com", &solo_password).await;

    // A normal operator gets 403 on every super admin route.
    let (s, body) = call(&solo, &app, Method::GET, "/super/admins", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let (s, _) = call(&solo, &app, Method::POST, "/super/admins", Some(json!({"email": "x@example.com"}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(&solo, &app, Method::DELETE, &format!("/super/admins/{}", me["id"]), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = new_client().get(format!("{}/super/admins", app.base)).send().await.map(|r| (r.status(), ())).unwrap();
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Bad input is clear.
    let (s, body) = app.post("/super/admins", json!({"email": "nope"})).await;
    assert_eq!((s, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("email")));
    let (s, body) = app.post("/super/admins", json!({"email": "short@example.com", "password": "short"})).await;
    assert_eq!((s, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")));
    let (s, _) = app.post("/super/admins", json!({"email": "solo@example.com"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app.post("/super/admins", json!({"email": "lost@example.com", "workspace_id": 999999})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The list has everyone.
    let (s, list) = app.get("/super/admins").await;
    assert_eq!(s, StatusCode::OK);
    let emails: Vec<&str> = list["admins"].as_array().unwrap().iter().map(|a| a["email"].as_str().unwrap()).collect();
    assert!(emails.contains(&"solo@example.com") && emails.contains(&app.admin_email.as_str()), "{emails:?}");

    // Deactivated: refused on the very next request, session and all.
    let solo_id = created["admin"]["id"].as_i64().unwrap();
    assert_eq!(call(&solo, &app, Method::GET, "/admin/templates", None).await.0, StatusCode::OK);
    let (s, body) = app.request(Method::DELETE, &format!("/super/admins/{solo_id}"), None).await;
    assert_eq!((s, body["is_active"].as_bool()), (StatusCode::OK, Some(false)), "{body}");
    assert_eq!(call(&solo, &app, Method::GET, "/admin/templates", None).await.0, StatusCode::UNAUTHORIZED);
    let (s, _) = call(
        &new_client(),
        &app,
        Method::POST,
        "/admin/login",
        Some(json!({"username": "solo@example.com", "password": solo_password})),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "cannot log in again either");

    // Reactivated with a reset password: the old one no longer works.
    let (s, _) = app
        .request(
            Method::PUT,
            &format!("/super/admins/{solo_id}"),
            Some(json!({"is_active": true, "password": "a brand new password"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(
        &new_client(),
        &app,
        Method::POST,
        "/admin/login",
        Some(json!({"username": "solo@example.com", "password": solo_password})),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    client_for(&app, "solo@example.com", "a brand new password").await;

    // A super admin cannot lock themselves out.
    let (s, _) = app.request(Method::DELETE, &format!("/super/admins/{}", me["id"]), None).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Everything is in the audit log of the workspace concerned.
    let (_, audit) = call(&solo, &app, Method::GET, "/admin/audit", None).await;
    let text = audit.to_string();
    assert!(text.contains("operator_create") && text.contains("operator_update"), "{text}");
}
on_both!(super_admins_manage_operators);

async fn roles_apply_to_routes_and_server_functions(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (_, me) = app.get("/admin/me").await;
    let ws = me["workspace_id"].as_i64().unwrap();
    let persona = app.create_persona("Roled", "You are Roled.").await;
    assert_eq!(app.chat("u1", "hello").await.0, StatusCode::OK);
    for (email, role) in [("viewer@example.com", "viewer"), ("editor@example.com", "editor")] {
        let created = create_admin(
            &app,
            json!({"email": email, "password": "member-password-1", "workspace_id": ws, "role": role}),
        )
        .await;
        assert_eq!(created["admin"]["role"], role);
        assert!(created.get("password").is_none(), "a given password is not echoed");
    }
    let viewer = client_for(&app, "viewer@example.com", "member-password-1").await;
    let editor = client_for(&app, "editor@example.com", "member-password-1").await;

    // Viewer: reads everything in the workspace …
    let (s, body) = call(&viewer, &app, Method::GET, &format!("/admin/templates/{persona}"), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, _) = call(&viewer, &app, Method::GET, "/admin/settings", None).await;
    assert_eq!(s, StatusCode::OK);
    let resp = viewer.get(format!("{}/api/personas/list_personas", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "server functions read with GET are for every role");
    // … and changes nothing: REST …
    let (s, body) = call(
        &viewer,
        &app,
        Method::PUT,
        &format!("/admin/templates/{persona}"),
        Some(json!({"content": "x", "updated_by": "v"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("viewer"), "{body}");
    let (s, _) = call(&viewer, &app, Method::POST, "/admin/interventions/u1/halt", Some(json!({"reason": "r"}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(&viewer, &app, Method::POST, "/chat", Some(json!({"user_id": "u1", "message": "hi"}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "chatting on behalf of a user is a change");
    // … and server functions.
    let resp = viewer
        .post(format!("{}/api/personas/set_persona_active", app.base))
        .form(&[("id", persona.to_string()), ("active", "false".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "forbidden", "the server function's error is an AppError: {body}");
    // Its own password is its own business.
    let (s, body) = call(
        &viewer,
        &app,
        Method::POST,
        "/admin/password",
        Some(json!({"current_password": "wrong one here", "new_password": "another-password-2"})),
    )
    .await;
    assert_eq!(
        (s, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("current_password")),
        "{body}"
    );
    let (s, body) = call(
        &viewer,
        &app,
        Method::POST,
        "/admin/password",
        Some(json!({"current_password": "member-password-1", "new_password": "short"})),
    )
    .await;
    assert_eq!((s, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("new_password")));
    let (s, _) = call(
        &viewer,
        &app,
        Method::POST,
        "/admin/password",
        Some(json!({"current_password": "member-password-1", "new_password": "another-password-2"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    client_for(&app, "viewer@example.com", "another-password-2").await;

    // Editor: changes personas and conversations, not keys or workspace settings.
    let (s, body) = call(
        &editor,
        &app,
        Method::POST,
        &format!("/admin/templates/{persona}/versions"),
        Some(json!({"content": "You are Roled, v2."})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) =
        call(&editor, &app, Method::POST, "/admin/interventions/u1/halt", Some(json!({"reason": "r"}))).await;
    assert!(s.is_success(), "{s} {body}");
    let (s, _) = call(&editor, &app, Method::GET, "/admin/api-keys", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) =
        call(&editor, &app, Method::POST, "/admin/api-keys", Some(json!({"name": "k", "scopes": ["read"]}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(&editor, &app, Method::PUT, "/admin/settings", Some(json!({"anonymous_chat": false}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Owner: everything. A role change applies on the next request.
    let (s, _) = app.request(Method::PUT, "/admin/settings", Some(json!({"anonymous_chat": true}))).await;
    assert!(s.is_success());
    let (_, list) = app.get("/super/admins").await;
    let editor_id =
        list["admins"].as_array().unwrap().iter().find(|a| a["email"] == "editor@example.com").unwrap()["id"].clone();
    let (s, _) = app.request(Method::PUT, &format!("/super/admins/{editor_id}"), Some(json!({"role": "viewer"}))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(
        &editor,
        &app,
        Method::POST,
        &format!("/admin/templates/{persona}/versions"),
        Some(json!({"content": "v3"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "demoted at once");
}
on_both!(roles_apply_to_routes_and_server_functions);
