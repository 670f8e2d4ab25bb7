//! The live wall behind `GET /admin/users?…`: riskiest first (halted, flagged,
//! falling sentiment, most recent), filters, search, unread counts, pages — and the
//! first page right at 100,000 users. The default `GET /admin/users` keeps its shape.

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn users_of(page: &Value) -> Vec<String> {
    page["rows"].as_array().unwrap().iter().map(|r| r["user_id"].as_str().unwrap().to_string()).collect()
}

fn row<'a>(page: &'a Value, user: &str) -> &'a Value {
    page["rows"].as_array().unwrap().iter().find(|r| r["user_id"] == user).unwrap_or_else(|| panic!("{user}: {page}"))
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.state.db.pool).await.unwrap()
}

/// Recomputes the wall's per-user columns after rows were written by SQL (as `seed-demo`
/// does after its bulk inserts).
async fn refresh_wall(app: &TestApp, ws: i64) {
    let ws = app::engine::ids::WorkspaceId(ws);
    app::engine::store::wall::refresh(&app.state.db.pool, ws, "SELECT id FROM end_users WHERE workspace_id = $1")
        .await
        .unwrap();
}

async fn the_wall_puts_risk_first_and_filters(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    for u in ["amy", "ben", "cat", "dan", "eli"] {
        assert_eq!(app.chat(u, &format!("hello from {u}")).await.0, StatusCode::OK);
    }
    let (_, plain) = app.get("/admin/users").await;
    assert!(plain.is_array(), "the default shape stays a list: {plain}");

    let (s, page) = app.get("/admin/users?view=wall").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(users_of(&page), vec!["eli", "dan", "cat", "ben", "amy"], "most recent first when nothing is at risk");
    assert_eq!(page["total"], 5);
    let eli = row(&page, "eli");
    assert_eq!((eli["persona_name"].clone(), eli["persona_version"].clone()), (json!("Ava"), json!(1)));
    assert_eq!((eli["message_count"].clone(), eli["unread"].clone()), (json!(2), json!(2)));
    assert_eq!(eli["last_message"], "echo: hello from eli");

    // Halted, flagged (a guardrail hit after the last operator action), sentiment.
    app.post("/admin/interventions/ben/halt", json!({"reason": "review"})).await;
    let (ws, cat_session, cat_msg): (i64, i64, i64) = sqlx::query_as(
        "SELECT m.workspace_id, m.session_id, m.id FROM messages m JOIN end_users u ON u.id = m.end_user_id \
         WHERE u.external_id = 'cat' AND m.sender = 'user'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO guardrail_hits (workspace_id, message_id, session_id, guardrail, rule, kind, action, excerpt, created_at) \
         VALUES ($1, $2, $3, 'companion_safety', 'abuse', 'block_input', 'flag', 'x', $4)",
    )
    .bind(ws)
    .bind(cat_msg)
    .bind(cat_session)
    .bind(app::engine::now_ms())
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    for (user, valence) in [("amy", -0.8), ("dan", 0.6)] {
        sqlx::query(&format!(
            "INSERT INTO message_sentiment (workspace_id, message_id, session_id, end_user_id, valence, arousal, dominance, \
             trust, engagement, overall_sentiment, confidence, model, created_at) \
             SELECT m.workspace_id, m.id, m.session_id, m.end_user_id, {valence}, 0, 0, 0, 0, {valence}, 1, 'test', 0 \
             FROM messages m JOIN end_users u ON u.id = m.end_user_id WHERE u.external_id = '{user}' AND m.sender = 'user'"
        ))
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    }
    // Written by SQL, not by the sentiment job: the wall's per-user columns follow.
    refresh_wall(&app, ws).await;
    let (_, page) = app.get("/admin/users?view=wall").await;
    assert_eq!(
        users_of(&page),
        vec!["ben", "cat", "amy", "dan", "eli"],
        "halted, flagged, low sentiment, then recency: {page}"
    );
    assert_eq!((row(&page, "ben")["halted"].clone(), row(&page, "cat")["flagged"].clone()), (json!(true), json!(true)));
    assert_eq!(row(&page, "amy")["sentiment"], -0.8);

    // An operator acting on cat clears the flag.
    app.post("/admin/interventions/cat/inject", json!({"content": "We are here."})).await;
    let (_, page) = app.get("/admin/users?view=wall").await;
    assert_eq!(row(&page, "cat")["flagged"], false);

    // Unread: opening the conversation marks it seen; new messages count again.
    app.get("/admin/users/eli").await;
    let (_, page) = app.get("/admin/users?view=wall").await;
    assert_eq!(row(&page, "eli")["unread"], 0);
    app.chat("eli", "still there?").await;
    let (_, page) = app.get("/admin/users?view=wall").await;
    assert_eq!(row(&page, "eli")["unread"], 2);

    // Filters, search, pages.
    let (_, halted) = app.get("/admin/users?status=halted").await;
    assert_eq!(users_of(&halted), vec!["ben"]);
    let (_, found) = app.get("/admin/users?q=FROM%20DAN").await;
    assert_eq!(users_of(&found), vec!["dan"], "message text, case-insensitive");
    let (_, found) = app.get("/admin/users?q=am").await;
    assert_eq!(users_of(&found), vec!["amy"], "user id");
    let (_, none) = app.get("/admin/users?q=100%25").await;
    assert_eq!(none["total"], 0, "% is literal");
    let lab = app.create_persona("Lab", "You are Lab.").await;
    app.chat_persona("amy", lab, "hi lab").await;
    let (_, by_persona) = app.get(&format!("/admin/users?persona_id={lab}")).await;
    assert_eq!(users_of(&by_persona), vec!["amy"]);
    app.request(Method::PUT, "/admin/users/dan/assignment", Some(json!({"label": "staging"}))).await;
    let (_, staging) = app.get("/admin/users?label=staging").await;
    assert_eq!(users_of(&staging), vec!["dan"]);
    assert_eq!(row(&staging, "dan")["label"], "staging");
    let (_, production) = app.get("/admin/users?label=production").await;
    assert_eq!(production["total"], 4);
    let (_, p2) = app.get("/admin/users?limit=2&offset=2").await;
    assert_eq!(
        (p2["rows"].as_array().unwrap().len(), p2["total"].clone(), p2["offset"].clone()),
        (2, json!(5), json!(2))
    );
    for bad in ["limit=0", "limit=500", "offset=-1", "status=sleepy"] {
        let (s, body) = app.get(&format!("/admin/users?{bad}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    let other = app.second_operator("second@example.com", "another-password").await;
    let (_, theirs) =
        crate::helpers::request_with(&other, &app.base, Method::GET, "/admin/users?view=wall", None).await;
    assert_eq!(theirs["total"], 0);
}
on_both!(the_wall_puts_risk_first_and_filters);

/// Number of users the big wall test seeds.
const MANY: i64 = 100_000;

async fn the_first_page_is_right_at_100000_users(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.chat("seed", "hi").await;
    let ws = scalar(&app, "SELECT workspace_id FROM end_users WHERE external_id = 'seed'").await;
    let persona = scalar(&app, "SELECT template_id FROM chat_sessions LIMIT 1").await;
    let base = scalar(&app, "SELECT MAX(id) FROM end_users").await;
    // Batched inserts: user i is active at ms 10 + i (all before the seed user's chat).
    for start in (0..MANY).step_by(1000) {
        let users: Vec<String> = (start..start + 1000).map(|i| format!("({ws}, 'u{i:06}', 0)")).collect();
        sqlx::query(&format!(
            "INSERT INTO end_users (workspace_id, external_id, created_at) VALUES {}",
            users.join(", ")
        ))
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    }
    for start in (0..MANY).step_by(1000) {
        let chats: Vec<String> =
            (start..start + 1000).map(|i| format!("({ws}, {}, {persona}, 0, {})", base + 1 + i, 10 + i)).collect();
        sqlx::query(&format!(
            "INSERT INTO chat_sessions (workspace_id, end_user_id, template_id, created_at, updated_at) VALUES {}",
            chats.join(", ")
        ))
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    }
    for i in [500, 77_000] {
        sqlx::query(&format!(
            "INSERT INTO user_state (end_user_id, workspace_id, halted, reason, halted_by, halted_at) VALUES ({}, {ws}, 1, 'r', 'x', 1)",
            base + 1 + i
        ))
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    }
    refresh_wall(&app, ws).await;
    let started = std::time::Instant::now();
    let (s, page) = app.get("/admin/users?view=wall&limit=50").await;
    eprintln!("{b:?}: wall page at {MANY} users in {:?}", started.elapsed());
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(page["total"], MANY + 1);
    let users = users_of(&page);
    assert_eq!(users.len(), 50);
    assert_eq!(
        &users[..4],
        &["u077000", "u000500", "seed", "u099999"],
        "halted first (most recent first), then by activity"
    );
    assert_eq!(users[49], "u099953");
    let (_, p2) = app.get("/admin/users?view=wall&limit=50&offset=50").await;
    assert_eq!(users_of(&p2)[0], "u099952");
    // A page that starts among the halted users and ends among the others.
    let (_, across) = app.get("/admin/users?view=wall&limit=3&offset=1").await;
    assert_eq!(users_of(&across), vec!["u000500", "seed", "u099999"]);
    let (_, after) = app.get("/admin/users?view=wall&limit=2&offset=2").await;
    assert_eq!(users_of(&after), vec!["seed", "u099999"]);
    let (_, found) = app.get("/admin/users?q=u04242").await;
    assert_eq!(found["total"], 10);
}
on_both!(the_first_page_is_right_at_100000_users);
