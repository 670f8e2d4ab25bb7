//! The audit log: every intervention and change with who, when, before → after;
//! `GET /admin/audit` filters and pages, per workspace.

use crate::fake_llm::Scripted;
use crate::helpers::{request_with, spawn_app, Backend};
use crate::on_both;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn entry<'a>(entries: &'a [Value], action: &str) -> &'a Value {
    entries.iter().find(|e| e["action"] == action).unwrap_or_else(|| panic!("no {action} in {entries:?}"))
}

async fn every_kind_of_change_is_audited_with_before_and_after(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let me = app.admin_email.clone();
    app.chat("una", "hi").await;
    app.post("/admin/interventions/una/halt", json!({"reason": "checking tone"})).await;
    app.post("/admin/interventions/una/resume", json!({})).await;
    app.post("/admin/interventions/una/inject", json!({"content": "A note.", "kind": "note"})).await;
    app.post("/admin/interventions/una/inject", json!({"content": "A message."})).await;
    app.llm.script([Scripted::Reply("Suggested.".into())]);
    app.post("/admin/interventions/una/draft", json!({})).await;
    app.post("/admin/interventions/una/send", json!({"content": "Edited.", "draft": "Suggested."})).await;
    app.request(Method::PUT, "/admin/users/una/assignment", Some(json!({"label": "staging"}))).await;
    app.request(Method::DELETE, "/admin/users/una/assignment", None).await;
    let (s, _) = app.request(Method::DELETE, "/admin/users/una/conversations", None).await;
    assert_eq!(s, StatusCode::OK);

    let (s, page) = app.get("/admin/audit?target=una").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let entries = page["entries"].as_array().unwrap().clone();
    assert_eq!(page["total"], 8, "{page}");
    assert!(entries
        .iter()
        .all(|e| e["actor"] == me.as_str() && e["target"] == "una" && e["created_at"].as_i64().is_some()));
    assert_eq!(entries[0]["action"], "conversation_clear", "newest first");

    let halt = entry(&entries, "halt");
    assert_eq!((halt["before"]["halted"].clone(), halt["after"]["halted"].clone()), (json!(false), json!(true)));
    assert_eq!(
        (halt["after"]["reason"].clone(), halt["detail"].clone()),
        (json!("checking tone"), json!("checking tone"))
    );
    let resume = entry(&entries, "resume");
    assert_eq!((resume["before"]["halted"].clone(), resume["after"]["halted"].clone()), (json!(true), json!(false)));
    let note = entry(&entries, "inject_note");
    assert_eq!((note["before"].clone(), note["after"]["content"].clone()), (Value::Null, json!("A note.")));
    assert_eq!(entry(&entries, "inject_message")["after"]["content"], "A message.");
    let sent = entry(&entries, "draft_sent");
    assert_eq!(
        (sent["before"]["draft"].clone(), sent["after"]["content"].clone()),
        (json!("Suggested."), json!("Edited."))
    );
    assert_eq!(sent["after"]["edited"], true);
    let assign = entry(&entries, "assign");
    assert_eq!((assign["before"].clone(), assign["after"]["label"].clone()), (Value::Null, json!("staging")));
    let unassign = entry(&entries, "unassign");
    assert_eq!((unassign["before"]["label"].clone(), unassign["after"].clone()), (json!("staging"), Value::Null));
    let clear = entry(&entries, "conversation_clear");
    assert_eq!((clear["before"]["notes"].clone(), clear["after"].clone()), (json!(1), Value::Null));
    assert!(clear["before"]["messages"].as_i64().unwrap() >= 4);

    // Persona lifecycle entries (`record`) are on the same log.
    let id = app.create_persona("Gone", "You are gone.").await;
    let (s, _) =
        app.request(Method::DELETE, &format!("/admin/templates/{id}"), Some(json!({"confirm_name": "Gone"}))).await;
    assert!(s.is_success(), "{s}");
    let (_, page) = app.get(&format!("/admin/audit?target={id}")).await;
    assert_eq!(page["entries"][0]["action"], "persona_delete", "{page}");
    assert_eq!(page["entries"][0]["detail"], "Gone");
    assert!(page["actions"].as_array().unwrap().contains(&json!("halt")));
}
on_both!(every_kind_of_change_is_audited_with_before_and_after);

async fn the_audit_log_filters_and_pages(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    for u in ["a1", "a2", "a3"] {
        app.chat(u, "hi").await;
        app.post(&format!("/admin/interventions/{u}/halt"), json!({"reason": "r"})).await;
    }
    app.post("/admin/interventions/a1/resume", json!({})).await;

    let (_, halts) = app.get("/admin/audit?action=halt").await;
    assert_eq!(halts["total"], 3);
    let (_, p1) = app.get("/admin/audit?action=halt&limit=2&offset=0").await;
    let (_, p2) = app.get("/admin/audit?action=halt&limit=2&offset=2").await;
    let targets: Vec<Value> =
        [&p1, &p2].iter().flat_map(|p| p["entries"].as_array().unwrap().iter().map(|e| e["target"].clone())).collect();
    assert_eq!(targets, vec![json!("a3"), json!("a2"), json!("a1")], "newest first across pages");
    assert_eq!((p1["total"].clone(), p1["limit"].clone(), p2["offset"].clone()), (json!(3), json!(2), json!(2)));

    let (_, mine) = app.get(&format!("/admin/audit?actor={}", app.admin_email)).await;
    assert_eq!(mine["total"], 4);
    let (_, nobody) = app.get("/admin/audit?actor=someone@else").await;
    assert_eq!(nobody["total"], 0);
    let now = app::engine::now_ms();
    let (_, later) = app.get(&format!("/admin/audit?since={}", now + 3_600_000)).await;
    assert_eq!(later["total"], 0);
    let (_, window) = app.get(&format!("/admin/audit?since={}&until={}", now - 3_600_000, now + 3_600_000)).await;
    assert_eq!(window["total"], 4);
    let (_, before) = app.get(&format!("/admin/audit?until={}", now - 3_600_000)).await;
    assert_eq!(before["total"], 0);

    for bad in ["limit=0", "limit=201", "offset=-1", "since=10&until=5"] {
        let (s, body) = app.get(&format!("/admin/audit?{bad}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    let other = app.second_operator("second@example.com", "another-password").await;
    let (_, theirs) = request_with(&other, &app.base, Method::GET, "/admin/audit", None).await;
    assert_eq!(theirs["total"], 0, "another workspace's log is its own: {theirs}");
}
on_both!(the_audit_log_filters_and_pages);
