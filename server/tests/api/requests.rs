//! Issue 11: the request log — filters, pages by cursor, one call in full with the exact
//! messages sent, workspace scoping and retention.

use crate::fake_llm::Scripted;
use crate::helpers::*;
use crate::on_both;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn page(app: &TestApp, query: &str) -> Value {
    let (s, p) = app.get(&format!("/admin/requests/page?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{query}: {p}");
    p
}

fn ids(p: &Value) -> Vec<i64> {
    p["requests"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect()
}

async fn the_log_filters_pages_and_shows_a_call_in_full(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let sage = app.create_persona("Sage", "You are Sage, speaking to {{ user_id }}.").await;
    for i in 0..5 {
        assert_eq!(app.chat("amy", &format!("amy says {i}")).await.0, StatusCode::OK);
    }
    assert_eq!(app.chat_persona("ben", sage, "tell me about the moon").await.0, StatusCode::OK);
    app.llm.script([Scripted::Status(400)]);
    assert_eq!(app.chat("cat", "this one fails").await.0, StatusCode::BAD_GATEWAY);

    let all = page(&app, "").await;
    assert_eq!(all["requests"].as_array().unwrap().len(), 7, "{all}");
    assert_eq!(all["next_cursor"], Value::Null);
    let newest = &all["requests"][0];
    assert_eq!(newest["user_id"], "cat");
    assert_eq!(newest["status"], "error");
    assert_eq!(newest["source"], "chat");
    assert_eq!(newest["persona"], "Ava");
    assert!(ids(&all).windows(2).all(|w| w[0] > w[1]), "newest first");

    // Filters: each narrows to what it names.
    assert_eq!(ids(&page(&app, "status=error").await), vec![ids(&all)[0]]);
    let by_user = page(&app, "user_id=amy").await;
    assert_eq!(by_user["requests"].as_array().unwrap().len(), 5);
    assert!(by_user["requests"].as_array().unwrap().iter().all(|r| r["user_id"] == "amy"));
    let by_persona = page(&app, &format!("persona_id={sage}")).await;
    assert_eq!(by_persona["requests"].as_array().unwrap().len(), 1);
    assert_eq!(by_persona["requests"][0]["user_id"], "ben");
    assert_eq!(page(&app, &format!("persona_id={sage}&version=2")).await["requests"], json!([]));
    assert_eq!(page(&app, "q=MOON").await["requests"].as_array().unwrap().len(), 1, "text, any case");
    assert_eq!(page(&app, "source=playground").await["requests"], json!([]));
    let future = page(&app, &format!("since={}", app::engine::now_ms() + 60_000)).await;
    assert_eq!(future["requests"], json!([]));
    let (s, _) = app.get("/admin/requests/page?since=10&until=5").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a range that ends before it starts");

    // Pages of 3 by cursor: 3 + 3 + 1, no overlap, in order.
    let p1 = page(&app, "limit=3").await;
    let c1 = p1["next_cursor"].as_i64().expect("more after the first page");
    let p2 = page(&app, &format!("limit=3&cursor={c1}")).await;
    let c2 = p2["next_cursor"].as_i64().expect("more after the second page");
    let p3 = page(&app, &format!("limit=3&cursor={c2}")).await;
    assert_eq!(p3["next_cursor"], Value::Null);
    let paged: Vec<i64> = [ids(&p1), ids(&p2), ids(&p3)].concat();
    assert_eq!(paged, ids(&all));

    // One call in full: the exact messages the fake LLM received.
    let ben_call = by_persona["requests"][0]["id"].as_i64().unwrap();
    let (s, d) = app.get(&format!("/admin/requests/{ben_call}")).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let sent: Vec<Value> = app
        .llm
        .requests()
        .iter()
        .find(|r| r.to_string().contains("tell me about the moon"))
        .map(|r| r["messages"].as_array().unwrap().clone())
        .unwrap();
    let logged: Vec<Value> =
        d["messages"].as_array().unwrap().iter().map(|m| json!({"role": m["role"], "content": m["content"]})).collect();
    assert_eq!(logged, sent, "the log keeps exactly what was sent");
    assert!(d["messages"][0]["content"].as_str().unwrap().contains("speaking to ben"));
    assert!(d["response"].as_str().unwrap().contains("tell me about the moon"));
    assert!(d["parameters"]["max_tokens"].as_i64().is_some(), "the version's settings: {d}");
    assert!(d["context"].is_object(), "a chat turn's context: {d}");
    assert!(d["summary"]["session_id"].as_i64().is_some());
    let (_, failed) = app.get(&format!("/admin/requests/{}", ids(&all)[0])).await;
    assert!(failed["error"].as_str().unwrap().contains("400"), "{failed}");

    // Another workspace sees none of it.
    let other = app.second_operator("requests-other@example.com", "other-password-123").await;
    let (s, _) = request_with(&other, &app.base, Method::GET, &format!("/admin/requests/{ben_call}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, theirs) = request_with(&other, &app.base, Method::GET, "/admin/requests/page", None).await;
    assert_eq!(theirs["requests"], json!([]));
}
on_both!(the_log_filters_pages_and_shows_a_call_in_full);

async fn retention_drops_old_texts_and_keeps_figures(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    assert_eq!(app.chat("old", "an old secret").await.0, StatusCode::OK);
    assert_eq!(app.chat("new", "a fresh message").await.0, StatusCode::OK);
    let all = page(&app, "").await;
    let (new_id, old_id) = (ids(&all)[0], ids(&all)[1]);
    // The old call is ten days old.
    sqlx::query("UPDATE llm_requests SET created_at = created_at - 864000000 WHERE id = $1")
        .bind(old_id)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(app.get("/admin/requests/retention").await.1, json!({"request_body_days": null}));
    let (s, r) = app.request(Method::PUT, "/admin/requests/retention", Some(json!({"request_body_days": 0}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    let (s, r) = app.request(Method::PUT, "/admin/requests/retention", Some(json!({"request_body_days": 7}))).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["request_body_days"], 7);

    let (_, old) = app.get(&format!("/admin/requests/{old_id}")).await;
    assert_eq!(old["bodies_dropped"], true, "{old}");
    assert_eq!(old["messages"], json!([]));
    assert_eq!(old["response"], Value::Null);
    assert!(old["summary"]["latency_ms"].as_i64().is_some(), "figures stay: {old}");
    assert_eq!(page(&app, "q=secret").await["requests"], json!([]), "its text is gone from search too");
    let (_, new) = app.get(&format!("/admin/requests/{new_id}")).await;
    assert_eq!(new["bodies_dropped"], false);
    assert!(!new["messages"].as_array().unwrap().is_empty());

    // Back to keeping everything: nothing comes back, nothing more is dropped.
    let (s, _) = app.request(Method::PUT, "/admin/requests/retention", Some(json!({"request_body_days": null}))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app::engine::requests::apply_retention(&app.state.db).await.unwrap(), 0);
}
on_both!(retention_drops_old_texts_and_keeps_figures);
