//! Issue 3: model settings, labels, activation, declared variables, kinds, preview,
//! playground, drafting, sharing, export/import and soft delete — on both databases.

use crate::fake_llm::Scripted;
use crate::helpers::{request_with, spawn_app, Backend, TestApp};
use crate::on_both;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn system_prompt(app: &TestApp) -> String {
    app.llm.last_messages()[0]["content"].as_str().unwrap().to_string()
}

async fn put(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    app.request(Method::PUT, path, Some(body)).await
}

async fn model_settings_are_stored_per_version_and_used_by_chat(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Set", "You are Set.").await;
    let settings = json!({"model": "big-model", "temperature": 0.2, "top_p": 0.5, "max_tokens": 64, "stop": ["END"]});
    // Same content, other settings: a new version, not a no-op.
    let (s, v2) = app
        .post(&format!("/admin/templates/{id}/versions"), json!({"content": "You are Set.", "settings": settings}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v2}");
    assert_eq!(v2["version"]["settings"]["max_tokens"], 64);
    // Settings not given keep the latest version's.
    let (s, v3) = app
        .post(&format!("/admin/templates/{id}/versions"), json!({"content": "You are Set, v3.", "label": "production"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v3}");
    assert_eq!(v3["version"]["settings"]["model"], "big-model");

    let (s, _) = app.chat_persona("u1", id, "hello").await;
    assert_eq!(s, StatusCode::OK);
    let sent = app.llm.requests().last().unwrap().clone();
    assert_eq!(sent["model"], "big-model");
    assert!((sent["temperature"].as_f64().unwrap() - 0.2).abs() < 1e-6, "{sent}");
    assert!((sent["top_p"].as_f64().unwrap() - 0.5).abs() < 1e-6);
    assert_eq!(sent["max_tokens"], 64);
    assert_eq!(sent["stop"], json!(["END"]));

    // Out of range: refused, naming the field.
    let (s, body) = app
        .post(&format!("/admin/templates/{id}/versions"), json!({"content": "x", "settings": {"temperature": 5.0}}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "temperature");

    // A provider this server does not run: the turn fails clearly and the log says why.
    let (s, _) = app
        .post(
            &format!("/admin/templates/{id}/versions"),
            json!({"content": "You are Set, local.", "settings": {"provider": "local"}, "label": "production"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let calls = app.llm.calls();
    let (s, body) = app.chat_persona("u1", id, "again").await;
    assert_eq!(s, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(app.llm.calls(), calls, "no call to the wrong provider");
    let (_, log) = app.get("/admin/requests?limit=1").await;
    assert_eq!(log[0]["status"], "error");
    assert!(log[0]["error"].as_str().unwrap().contains("local provider"), "{log}");
    assert_eq!(log[0]["template_version"], 4);
}
on_both!(model_settings_are_stored_per_version_and_used_by_chat);

async fn labels_decide_what_chat_uses_and_moves_are_recorded(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Lab", "You are Lab one.").await;
    let (s, _) = app.post(&format!("/admin/templates/{id}/versions"), json!({"content": "You are Lab two."})).await;
    assert_eq!(s, StatusCode::CREATED);

    // Saving does not promote: chat still uses production = v1.
    app.chat_persona("u", id, "hi").await;
    assert_eq!(system_prompt(&app), "You are Lab one.");

    let (s, label) = put(&app, &format!("/admin/templates/{id}/labels/production"), json!({"version": 2})).await;
    assert_eq!(s, StatusCode::OK, "{label}");
    assert_eq!((label["version"].as_i64(), label["updated_by"].as_str()), (Some(2), Some(app.admin_email.as_str())));
    app.chat_persona("u", id, "hi").await;
    assert_eq!(system_prompt(&app), "You are Lab two.");

    // Roll production back by moving the label: no new version.
    let (s, body) = app.post(&format!("/admin/templates/{id}/rollback/1?mode=label"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    app.chat_persona("u", id, "hi").await;
    assert_eq!(system_prompt(&app), "You are Lab one.");

    // Any label; removing one is recorded too; production cannot be removed.
    let (s, _) = put(&app, &format!("/admin/templates/{id}/labels/staging"), json!({"version": 2})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = put(&app, &format!("/admin/templates/{id}/labels/Not%20OK"), json!({"version": 2})).await;
    assert_eq!((s, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("label")));
    let (s, _) = put(&app, &format!("/admin/templates/{id}/labels/staging"), json!({"version": 9})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.request(Method::DELETE, &format!("/admin/templates/{id}/labels/production"), None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = put(&app, &format!("/admin/templates/{id}/labels/canary"), json!({"version": 1})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.request(Method::DELETE, &format!("/admin/templates/{id}/labels/canary"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    let (s, h) = app.get(&format!("/admin/templates/{id}/history")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["versions"].as_array().unwrap().len(), 2, "label moves write no versions");
    let labels: Vec<(String, i64)> = h["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["name"].as_str().unwrap().to_string(), l["version"].as_i64().unwrap()))
        .collect();
    assert_eq!(labels, vec![("production".into(), 1), ("staging".into(), 2)]);
    let moves: Vec<(String, Value, Value)> = h["label_moves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["label"].as_str().unwrap().to_string(), m["from_version"].clone(), m["to_version"].clone()))
        .collect();
    assert_eq!(
        moves,
        vec![
            ("canary".into(), json!(1), Value::Null),
            ("canary".into(), Value::Null, json!(1)),
            ("staging".into(), Value::Null, json!(2)),
            ("production".into(), json!(2), json!(1)),
            ("production".into(), json!(1), json!(2)),
            ("production".into(), Value::Null, json!(1)),
        ],
        "newest first"
    );
    assert!(h["label_moves"].as_array().unwrap().iter().all(|m| m["actor"] == app.admin_email.as_str()));

    // The list shows what production points to; another workspace cannot move labels.
    let (_, list) = app.get("/admin/templates").await;
    let lab = list.as_array().unwrap().iter().find(|p| p["id"] == id).unwrap().clone();
    assert_eq!((lab["production_version"].as_i64(), lab["latest_version"].as_i64()), (Some(1), Some(2)));
    let other = app.second_operator("other@example.com", "another-password-1").await;
    let (s, _) = request_with(
        &other,
        &app.base,
        Method::PUT,
        &format!("/admin/templates/{id}/labels/production"),
        Some(json!({"version": 2})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(labels_decide_what_chat_uses_and_moves_are_recorded);

async fn inactive_personas_are_refused_in_chat(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Nap", "You are Nap.").await;
    let (s, _) = app.chat_persona("sleepy", id, "first").await;
    assert_eq!(s, StatusCode::OK);
    // An open chat (any end user's event stream) hears about it live.
    let uid = uuid::Uuid::new_v4().to_string();
    let mut stream = app
        .client
        .get(format!("{}/chat/events", app.base))
        .header("cookie", format!("pd_uid={uid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let (s, p) = app.post(&format!("/admin/templates/{id}/deactivate"), json!({})).await;
    assert_eq!((s, p["active"].as_bool()), (StatusCode::OK, Some(false)));
    let mut seen = String::new();
    while !seen.contains("\"type\":\"persona\"") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), stream.chunk()).await;
        let chunk = chunk.expect("the event arrives within 5 s").unwrap().expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains(&format!("\"persona_id\":{id},\"available\":false")), "{seen}");

    let ws = app::engine::chat::chat_workspace(&app.state, None).await.unwrap();
    let offered = app::engine::chat::personas(&app.state.db, ws).await.unwrap();
    assert!(offered.iter().all(|p| p.id != id), "not offered in chat");
    let hist =
        app::engine::chat::history(&app.state, ws, "sleepy", Some(app::engine::ids::PersonaId(id))).await.unwrap();
    assert!(!hist.available);
    assert_eq!(hist.messages.len(), 2, "the conversation is kept");

    let calls = app.llm.calls();
    let (s, body) = app.chat_persona("sleepy", id, "are you there?").await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["message"], app::types::UNAVAILABLE_NOTICE);
    assert_eq!(app.llm.calls(), calls);
    let (_, conv) = app.get("/admin/users/sleepy").await;
    assert_eq!(conv["messages"].as_array().unwrap().len(), 2, "nothing stored for a refused message");

    let (s, _) = app.post(&format!("/admin/templates/{id}/activate"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.chat_persona("sleepy", id, "are you there?").await;
    assert_eq!(s, StatusCode::OK);
}
on_both!(inactive_personas_are_refused_in_chat);

async fn declared_variables_and_text_kind_reach_the_prompt(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let vars = json!([{"name": "mood", "type": "string", "default": "cheerful", "description": "tone of the day"}]);
    let (s, body) = app
        .post(
            "/admin/templates",
            json!({"name": "Moody", "content": "You are {{ mood }} with {{ user_id }}.", "variables": vars}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().unwrap();
    let (_, detail) = app.get(&format!("/admin/templates/{id}")).await;
    assert_eq!(detail["variables"], json!([{"name": "mood", "known": true}, {"name": "user_id", "known": true}]));
    app.chat_persona("v1", id, "hi").await;
    assert_eq!(system_prompt(&app), "You are cheerful with v1.");

    for (bad, why) in [
        (json!([{"name": "user_id", "type": "string", "default": ""}]), "provided by the pipeline"),
        (json!([{"name": "n", "type": "number", "default": "seven"}]), "is not a number"),
        (json!([{"name": "2x", "type": "string", "default": ""}]), "not a variable name"),
    ] {
        let (s, body) =
            app.post(&format!("/admin/templates/{id}/versions"), json!({"content": "x", "variables": bad})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(why), "{body}");
    }

    // Text kind: the template renders the whole prompt, sent as one user message.
    let text = "<|im_start|>system\nYou are Tex.<|im_end|>\n{% for m in history %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}<|im_start|>user\n{{ current_message }}<|im_end|>";
    let (s, body) = app.post("/admin/templates", json!({"name": "Tex", "content": text, "kind": "text"})).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let tex = body["id"].as_i64().unwrap();
    app.llm.script([Scripted::Reply("First answer".into())]);
    app.chat_persona("t", tex, "one").await;
    app.chat_persona("t", tex, "two").await;
    let sent = app.llm.last_messages();
    assert_eq!(sent.as_array().unwrap().len(), 1, "{sent}");
    assert_eq!(sent[0]["role"], "user");
    let prompt = sent[0]["content"].as_str().unwrap();
    assert!(
        prompt.contains("<|im_start|>user\none<|im_end|>\n<|im_start|>assistant\nFirst answer<|im_end|>"),
        "{prompt}"
    );
    assert!(prompt.ends_with("<|im_start|>user\ntwo<|im_end|>"), "{prompt}");
}
on_both!(declared_variables_and_text_kind_reach_the_prompt);

async fn preview_renders_exact_messages_without_saving_or_calling_the_llm(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Pre", "You are Pre.").await;
    let (s, p) = app
        .post(
            "/admin/templates/preview",
            json!({
                "persona_id": id,
                "content": "Hi {{ memory.name }}, feeling {{ mood }}?",
                "variables": [{"name": "mood", "type": "string", "default": "calm"}],
                "memory": {"name": "Ann"},
                "message": "yo"
            }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(
        p["messages"],
        json!([{"role": "system", "content": "Hi Ann, feeling calm?"}, {"role": "user", "content": "yo"}])
    );

    let (s, e) = app.post("/admin/templates/preview", json!({"content": "Fine line\n{{ nope }}"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!((e["error"]["code"].as_str(), e["error"]["line"].as_i64()), (Some("template"), Some(2)));
    let (s, e) = app.post("/admin/templates/preview", json!({"content": "ok\n{% if %}"})).await;
    assert_eq!((s, e["error"]["line"].as_i64()), (StatusCode::UNPROCESSABLE_ENTITY, Some(2)));

    // A real user's memory and history.
    app.llm.script([Scripted::Reply("Hello Bea".into())]);
    app.chat_persona("bea", id, "I am Bea").await;
    let (s, _) = put(&app, "/admin/users/bea/memory/name", json!({"value": "Bea"})).await;
    assert_eq!(s, StatusCode::OK);
    let calls = app.llm.calls();
    let (s, p) = app
        .post(
            "/admin/templates/preview",
            json!({"persona_id": id, "content": "Friend: {{ memory.name }}", "user_id": "bea", "message": "again"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let roles: Vec<&str> = p["messages"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, vec!["system", "user", "assistant", "user"]);
    assert_eq!(p["messages"][0]["content"], "Friend: Bea");
    assert_eq!(p["messages"][2]["content"], "Hello Bea");
    assert_eq!(app.llm.calls(), calls, "preview never calls the LLM");
    let (_, d) = app.get(&format!("/admin/templates/{id}")).await;
    assert_eq!(d["versions"].as_array().unwrap().len(), 1, "preview saves nothing");
    let (s, _) = app.post("/admin/templates/preview", json!({"content": "x", "user_id": "nobody"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(preview_renders_exact_messages_without_saving_or_calling_the_llm);

async fn playground_runs_two_versions_side_by_side_without_touching_conversations(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Play", "You are Play one.").await;
    app.post(&format!("/admin/templates/{id}/versions"), json!({"content": "You are Play two."})).await;
    let (s, r) =
        app.post(&format!("/admin/templates/{id}/playground"), json!({"versions": [1, 2], "message": "hello"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let r = r.as_array().unwrap();
    assert_eq!(r.len(), 2);
    for (res, (n, system)) in r.iter().zip([(1, "You are Play one."), (2, "You are Play two.")]) {
        assert_eq!(res["version"], n);
        assert_eq!(res["reply"], "echo: hello");
        assert_eq!((res["prompt_tokens"].as_i64(), res["completion_tokens"].as_i64()), (Some(42), Some(7)));
        assert_eq!(res["messages"][0]["content"], system);
        assert!(res["latency_ms"].as_i64().unwrap() >= 0);
    }
    let systems: std::collections::BTreeSet<String> =
        app.llm.requests().iter().map(|r| r["messages"][0]["content"].as_str().unwrap().to_string()).collect();
    assert_eq!(systems.len(), 2, "each version went to the LLM");
    let (_, users) = app.get("/admin/users").await;
    assert_eq!(users, json!([]), "no conversation was written");
    let (_, log) = app.get("/admin/requests").await;
    assert!(log.as_array().unwrap().iter().all(|l| l["source"] == "playground" && l["user_id"].is_null()), "{log}");

    // A failing LLM is reported per result.
    app.llm.script([Scripted::Status(400)]);
    let (s, r) = app.post(&format!("/admin/templates/{id}/playground"), json!({"versions": [2], "message": "x"})).await;
    assert_eq!(s, StatusCode::OK);
    assert!(r[0]["reply"].is_null());
    assert!(r[0]["error"].as_str().unwrap().contains("LLM call failed"), "{r}");
    let (s, _) =
        app.post(&format!("/admin/templates/{id}/playground"), json!({"versions": [1, 2, 1], "message": "x"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app.post(&format!("/admin/templates/{id}/playground"), json!({"versions": [7], "message": "x"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(playground_runs_two_versions_side_by_side_without_touching_conversations);

async fn drafting_asks_the_llm_and_suggests_variables(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.llm
        .script([Scripted::Reply("Sure!\n```jinja\nYou are Zed, a {{ tone }} guide for {{ user_id }}.\n```".into())]);
    let (s, d) = app.post("/admin/templates/draft", json!({"description": "A calm hiking guide"})).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["content"], "You are Zed, a {{ tone }} guide for {{ user_id }}.");
    assert_eq!(d["suggested_variables"][0]["name"], "tone");
    assert_eq!(d["suggested_variables"].as_array().unwrap().len(), 1);
    assert!(d["error"].is_null());
    let sent = app.llm.last_messages();
    assert_eq!(sent[0]["content"], app::engine::playground::DRAFT_INSTRUCTIONS);
    assert!(sent[1]["content"].as_str().unwrap().contains("A calm hiking guide"));

    app.llm.script([Scripted::Reply("You are {{ broken".into())]);
    let (s, d) = app.post("/admin/templates/draft", json!({"description": "x"})).await;
    assert_eq!(s, StatusCode::OK);
    assert!(d["error"].as_str().unwrap().contains("template error"), "{d}");

    app.llm.script([Scripted::Status(400)]);
    let (s, e) = app.post("/admin/templates/draft", json!({"description": "x"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::BAD_GATEWAY, Some("llm_failed")));
    let (s, _) = app.post("/admin/templates/draft", json!({"description": "  "})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}
on_both!(drafting_asks_the_llm_and_suggests_variables);

async fn shared_personas_can_be_cloned_and_nothing_else_leaks(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Guide", "You are Guide v1.").await;
    app.create_persona("Private", "You are private.").await;
    let other = app.second_operator("b@example.com", "b-password-123").await;
    let b_get = |path: &'static str| request_with(&other, &app.base, Method::GET, path, None);

    let (s, lib) = b_get("/admin/library").await;
    assert_eq!((s, lib.clone()), (StatusCode::OK, json!([])), "nothing is shared yet");
    let clone_path = format!("/admin/library/{id}/clone");
    let (s, _) = request_with(&other, &app.base, Method::POST, &clone_path, Some(json!({"name": "Mine"}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "unshared personas cannot be cloned");

    let (s, _) = app.post(&format!("/admin/templates/{id}/share"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, own) = app.get("/admin/library").await;
    assert_eq!(own, json!([]), "a workspace's library lists other workspaces' personas");
    let (_, lib) = b_get("/admin/library").await;
    let lib = lib.as_array().unwrap();
    assert_eq!(lib.len(), 1, "only the shared one: {lib:?}");
    assert_eq!((lib[0]["name"].as_str(), lib[0]["content"].as_str()), (Some("Guide"), Some("You are Guide v1.")));

    let (s, c) = request_with(&other, &app.base, Method::POST, &clone_path, Some(json!({"name": "My guide"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_i64().unwrap();
    let (_, detail) = request_with(&other, &app.base, Method::GET, &format!("/admin/templates/{cid}"), None).await;
    assert_eq!(detail["versions"].as_array().unwrap().len(), 1);
    assert_eq!(detail["versions"][0]["content"], "You are Guide v1.");
    assert_eq!(detail["source"]["persona_id"], id);
    assert_eq!(detail["source"]["name"], "Guide");
    assert_eq!(detail["labels"], json!([]), "a clone starts as a draft");

    // The clone is independent; the source stays invisible to B except through the library.
    app.post(
        &format!("/admin/templates/{id}/versions"),
        json!({"content": "You are Guide v2.", "label": "production"}),
    )
    .await;
    let (_, detail) = request_with(&other, &app.base, Method::GET, &format!("/admin/templates/{cid}"), None).await;
    assert_eq!(detail["versions"].as_array().unwrap().len(), 1);
    let (s, _) = request_with(&other, &app.base, Method::GET, &format!("/admin/templates/{id}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = request_with(&other, &app.base, Method::POST, &clone_path, Some(json!({"name": "My guide"}))).await;
    assert_eq!(s, StatusCode::CONFLICT, "name taken in B's workspace");

    let (s, _) = app.post(&format!("/admin/templates/{id}/unshare"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, lib) = b_get("/admin/library").await;
    assert_eq!(lib, json!([]));
    let (s, _) = request_with(&other, &app.base, Method::POST, &clone_path, Some(json!({"name": "Again"}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(shared_personas_can_be_cloned_and_nothing_else_leaks);

fn comparable(export: &Value) -> Value {
    json!({"versions": export["versions"], "labels": export["labels"], "active": export["active"]})
}

async fn export_then_import_round_trips(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let vars = json!([{"name": "mood", "type": "string", "default": "calm", "description": ""}]);
    let id = app.create_persona("Exp", "You are Exp v1.").await;
    app.post(
        &format!("/admin/templates/{id}/versions"),
        json!({"content": "You are Exp v2, {{ mood }}.", "variables": vars, "settings": {"temperature": 0.3}, "note": "second", "label": "production"}),
    )
    .await;
    app.post(&format!("/admin/templates/{id}/versions"), json!({"content": "You are Exp v3.", "kind": "text"})).await;
    put(&app, &format!("/admin/templates/{id}/labels/staging"), json!({"version": 3})).await;

    let resp = app.client.get(format!("{}/admin/templates/{id}/export", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let disposition = resp.headers()["content-disposition"].to_str().unwrap().to_string();
    assert_eq!(disposition, "attachment; filename=\"Exp.persona.json\"");
    let export: Value = resp.json().await.unwrap();
    assert_eq!(export["format"], "promptdev.persona.v1");
    assert_eq!(export["versions"].as_array().unwrap().len(), 3);

    // Same name: the operator must choose.
    let (s, e) = app.post("/admin/templates/import", json!({"persona": export})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let (s, r) = app
        .post("/admin/templates/import", json!({"persona": export, "on_conflict": "rename", "new_name": "Exp copy"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["versions_created"], 3);
    let copy = r["persona"]["id"].as_i64().unwrap();
    let (_, again) = app.get(&format!("/admin/templates/{copy}/export")).await;
    assert_eq!(again["name"], "Exp copy");
    assert_eq!(comparable(&again), comparable(&export), "round trip keeps versions, settings, labels");

    // New version of the existing persona: the export's production version (v2) on top.
    let (s, r) = app.post("/admin/templates/import", json!({"persona": export, "on_conflict": "new_version"})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["persona"]["latest_version"], 4);
    let (_, v4) = app.get(&format!("/admin/templates/{id}/versions/4")).await;
    assert_eq!(v4["content"], "You are Exp v2, {{ mood }}.");
    assert_eq!(v4["variables"], vars);

    // Into another workspace (as on another instance).
    let other = app.second_operator("c@example.com", "c-password-123").await;
    let (s, r) =
        request_with(&other, &app.base, Method::POST, "/admin/templates/import", Some(json!({"persona": export})))
            .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let oid = r["persona"]["id"].as_i64().unwrap();
    let (_, theirs) =
        request_with(&other, &app.base, Method::GET, &format!("/admin/templates/{oid}/export"), None).await;
    assert_eq!(comparable(&theirs), comparable(&export));

    // Broken exports are refused with the version named.
    let mut broken = export.clone();
    broken["versions"][1]["content"] = json!("{% if %}");
    let (s, e) =
        app.post("/admin/templates/import", json!({"persona": broken, "on_conflict": "rename", "new_name": "B"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e["error"]["message"].as_str().unwrap().starts_with("template error on line 1: version 2:"), "{e}");
    let (s, _) =
        app.post("/admin/templates/import", json!({"persona": {"format": "other", "name": "x", "versions": []}})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}
on_both!(export_then_import_round_trips);

/// An export larger than axum's 2 MiB JSON default (up to the documented 8 MiB) imports;
/// a bigger one is refused with 413 and a clear message, and no request body of any kind
/// is read past the server-wide bound.
async fn large_exports_import_and_oversized_bodies_are_refused(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Big", "You are Big.").await;
    let (_, mut export) = app.get(&format!("/admin/templates/{id}/export")).await;
    // 50 versions of ~60 KiB each: about 3 MiB of JSON.
    let template = export["versions"][0].clone();
    let versions: Vec<Value> = (1..=50)
        .map(|n| {
            let mut v = template.clone();
            v["version"] = json!(n);
            v["content"] = json!(format!("You are Big, take {n}.\n{}", "Talk warmly and briefly. ".repeat(2500)));
            v
        })
        .collect();
    export["versions"] = json!(versions);
    export["labels"] = json!([{"name": "production", "version": 50}]);
    let body = json!({"persona": export, "on_conflict": "rename", "new_name": "Big copy"});
    assert!(body.to_string().len() > 3 * 1024 * 1024 - 100 * 1024, "well past the 2 MiB default");
    let (s, r) = app.post("/admin/templates/import", body).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["versions_created"], 50);

    // Over the import bound: 413, the reason in words, nothing created.
    let huge = "x".repeat(app::engine::transfer::MAX_EXPORT_BYTES + 100 * 1024);
    let (s, e) = post_oversized(&app, "/admin/templates/import", json!({"persona": {"name": huge}})).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{e}");
    assert_eq!(e["error"]["code"], "too_large");
    assert!(e["error"]["message"].as_str().unwrap().contains("too large"), "{e}");
    // Other REST routes keep the 2 MiB default.
    let (s, _) =
        post_oversized(&app, "/admin/templates", json!({"name": "x", "content": "y".repeat(3 * 1024 * 1024)})).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let (_, list) = app.get("/admin/templates").await;
    assert!(list.as_array().unwrap().iter().all(|p| p["name"] != "x"), "{list}");

    // Server functions are bounded too (they would otherwise buffer any body whole): a
    // request announcing a bigger body is answered 413 before any of it is read.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/personas/import_persona HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        server::http::limits::MAX_REQUEST_BYTES + 1
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 64];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), tcp.read(&mut answer)).await;
    let n = read.expect("the server waited for the body instead of refusing it").unwrap();
    let status_line = String::from_utf8_lossy(&answer[..n]).lines().next().unwrap_or_default().to_string();
    assert_eq!(status_line, "HTTP/1.1 413 Payload Too Large");
}
on_both!(large_exports_import_and_oversized_bodies_are_refused);

/// POSTs a body the server refuses. The server answers 413 and closes the connection
/// without reading the rest, so the client can fail to send before it reads the answer
/// (a race, seen under load): such an attempt is tried again, up to five times.
async fn post_oversized(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    let mut last = None;
    for _ in 0..5 {
        match app.client.post(format!("{}{path}", app.base)).json(&body).send().await {
            Ok(resp) => {
                let status = resp.status();
                let text = resp.text().await.unwrap_or_default();
                return (status, serde_json::from_str(&text).unwrap_or(Value::String(text)));
            }
            Err(e) => last = Some(e),
        }
    }
    panic!("the server never answered: {last:?}");
}

async fn the_cli_exports_to_a_folder_and_imports_it_back(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Git", "You are Git v1.\n").await;
    app.post(
        &format!("/admin/templates/{id}/versions"),
        json!({"content": "You are Git v2.\n", "label": "production"}),
    )
    .await;
    let dir = std::env::temp_dir().join(format!("pd-cli-{}", uuid::Uuid::new_v4()));
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_promptdev"))
            .args(args)
            .env("DATABASE_URL", &app.database_url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let d = dir.to_str().unwrap();
    run(&["persona-export", "--operator", &app.admin_email, "--name", "Git", "--dir", d]);
    assert_eq!(std::fs::read_to_string(dir.join("v2.jinja")).unwrap(), "You are Git v2.\n");
    // Edit the production version's file as one would in git, then import it as a new version.
    std::fs::write(dir.join("v2.jinja"), "You are Git v2, edited.\n").unwrap();
    let out = run(&["persona-import", "--operator", &app.admin_email, "--dir", d, "--on-conflict", "new-version"]);
    assert!(out.contains("1 version(s) written"), "{out}");
    let (_, v3) = app.get(&format!("/admin/templates/{id}/versions/3")).await;
    assert_eq!(v3["content"], "You are Git v2, edited.\n");
    let out = run(&[
        "persona-import",
        "--operator",
        &app.admin_email,
        "--dir",
        d,
        "--on-conflict",
        "rename",
        "--new-name",
        "Git 2",
    ]);
    assert!(out.contains("2 version(s) written"), "{out}");
    std::fs::remove_dir_all(dir).unwrap();
}
on_both!(the_cli_exports_to_a_folder_and_imports_it_back);

async fn deleted_personas_can_be_restored_for_30_days(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Del", "You are Del.").await;
    let path = format!("/admin/templates/{id}");
    let del = |name: &'static str| app.request(Method::DELETE, &path, Some(json!({"confirm_name": name})));
    let (s, e) = del("del").await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("confirm_name")));
    let (s, _) = del("Del").await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    let (_, list) = app.get("/admin/templates").await;
    assert!(list.as_array().unwrap().iter().all(|p| p["id"] != id));
    let (s, _) = app.get(&format!("/admin/templates/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.chat_persona("u", id, "hi").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, trash) = app.get("/admin/trash").await;
    assert_eq!(trash[0]["name"], "Del");
    assert_eq!(trash[0]["deleted_by"], app.admin_email.as_str());

    // The name is free meanwhile; restoring into a taken name is refused clearly.
    let other_id = app.create_persona("Del", "Another Del.").await;
    let (s, e) = app.post(&format!("/admin/templates/{id}/restore"), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    app.request(Method::DELETE, &format!("/admin/templates/{other_id}"), Some(json!({"confirm_name": "Del"}))).await;
    let stranger = app.second_operator("s@example.com", "s-password-123").await;
    let (s, _) =
        request_with(&stranger, &app.base, Method::POST, &format!("/admin/templates/{id}/restore"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another workspace cannot restore it");
    let (s, p) = app.post(&format!("/admin/templates/{id}/restore"), json!({})).await;
    assert_eq!((s, p["name"].as_str()), (StatusCode::OK, Some("Del")), "{p}");
    let (s, _) = app.chat_persona("u", id, "hi").await;
    assert_eq!(s, StatusCode::OK);

    // After 30 days it is gone for good.
    app.request(Method::DELETE, &format!("/admin/templates/{id}"), Some(json!({"confirm_name": "Del"}))).await;
    sqlx::query("UPDATE templates SET deleted_at = deleted_at - $1 WHERE id = $2")
        .bind(31_i64 * 24 * 3600 * 1000)
        .bind(id)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let (_, trash) = app.get("/admin/trash").await;
    assert!(trash.as_array().unwrap().iter().all(|d| d["id"] != id));
    let (s, _) = app.post(&format!("/admin/templates/{id}/restore"), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(deleted_personas_can_be_restored_for_30_days);

async fn every_new_admin_route_needs_a_login(b: Backend) {
    let app = spawn_app(b).await;
    let anon = crate::helpers::new_client();
    for (m, path) in [
        (Method::GET, "/admin/library"),
        (Method::GET, "/admin/trash"),
        (Method::GET, "/admin/providers"),
        (Method::GET, "/admin/templates/1/history"),
        (Method::GET, "/admin/templates/1/labels"),
        (Method::GET, "/admin/templates/1/export"),
        (Method::POST, "/admin/templates/preview"),
        (Method::POST, "/admin/templates/draft"),
        (Method::POST, "/admin/templates/import"),
        (Method::POST, "/admin/templates/1/activate"),
        (Method::POST, "/admin/templates/1/share"),
        (Method::POST, "/admin/templates/1/restore"),
        (Method::POST, "/admin/templates/1/playground"),
        (Method::POST, "/admin/library/1/clone"),
        (Method::PUT, "/admin/templates/1/labels/production"),
        (Method::DELETE, "/admin/templates/1"),
    ] {
        let (s, body) = request_with(&anon, &app.base, m.clone(), path, Some(json!({}))).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{m} {path}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    // Server functions too.
    let resp = anon
        .post(format!("{}/api/personas/move_label", app.base))
        .form(&[("id", "1"), ("label", "production"), ("version", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}
on_both!(every_new_admin_route_needs_a_login);

/// A database created before labels existed: after the upgrade, `production` points at
/// each persona's latest version, so chat keeps answering with what it used before.
async fn upgrading_an_older_database_keeps_chat_on_the_latest_version(b: Backend) {
    use sqlx::any::AnyPoolOptions;
    sqlx::any::install_default_drivers();
    let url = crate::helpers::fresh_database(b).await;
    let (url, mut migrator) = match b {
        Backend::Sqlite => {
            let file = url.trim_start_matches("sqlite://");
            std::fs::create_dir_all(std::path::Path::new(file).parent().unwrap()).unwrap();
            (format!("{url}?mode=rwc"), sqlx::migrate!("../migrations/sqlite"))
        }
        Backend::Postgres => (url, sqlx::migrate!("../migrations/postgres")),
    };
    migrator.migrations = std::borrow::Cow::Owned(migrator.migrations[..1].to_vec());
    let pool = AnyPoolOptions::new().max_connections(1).connect(&url).await.unwrap();
    migrator.run(&pool).await.unwrap();
    for sql in [
        "INSERT INTO workspaces (id, name, slug, created_at) VALUES (1, 'Old', 'old', 1)",
        "INSERT INTO templates (id, workspace_id, name, created_at, updated_at) VALUES (1, 1, 'Legacy', 1, 2)",
        "INSERT INTO template_versions (workspace_id, template_id, version, content, checksum, author, created_at) \
         VALUES (1, 1, 1, 'You are old one.', 'x', 'a', 1)",
        "INSERT INTO template_versions (workspace_id, template_id, version, content, checksum, author, created_at) \
         VALUES (1, 1, 2, 'You are old two.', 'y', 'a', 2)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let db = app::engine::db::Db::connect(&url).await.expect("the remaining migrations apply");
    use app::engine::ids::{PersonaId, WorkspaceId};
    let v = app::engine::personas::production(&db, WorkspaceId(1), PersonaId(1)).await.unwrap();
    assert_eq!((v.version, v.content.as_str()), (2, "You are old two."));
    assert_eq!(v.settings, app::types::ModelSettings::default(), "old versions get the default settings");
    let p = app::engine::personas::get(&db, WorkspaceId(1), PersonaId(1)).await.unwrap();
    assert!(p.active && !p.shared);
    assert_eq!(p.labels.len(), 1);
}
on_both!(upgrading_an_older_database_keeps_chat_on_the_latest_version);
