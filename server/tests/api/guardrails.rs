//! Guardrails end to end: the original's routes and shapes, presets, copies, workspace
//! isolation, every rule kind and action in real turns (with the fake LLM counting what
//! it was sent), alerts on the live bus, backtests, and the audit trail.

use crate::fake_llm::Scripted;
use crate::helpers::{events_until, request_with, spawn_app, Backend, TestApp};
use crate::on_both;
use app::types::PAUSE_NOTICE;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

/// A persona "Guarded" using a new set `name` with `rules`; returns (persona id, set id).
async fn guarded(app: &TestApp, name: &str, rules: Value) -> (i64, i64) {
    let persona = app.create_persona("Guarded", "You are careful.").await;
    let (s, g) = app.post("/admin/guardrails", json!({"name": name, "rules": rules})).await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let id = g["id"].as_i64().unwrap();
    let (s, body) = app
        .request(Method::PUT, &format!("/admin/guardrails/{id}/personas"), Some(json!({"persona_ids": [persona]})))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["personas"][0]["name"], "Guarded");
    (persona, id)
}

/// The conversation the monitor loads for `user`.
async fn conversation(app: &TestApp, user: &str) -> Value {
    let (s, conv) = app.get(&format!("/admin/users/{user}")).await;
    assert_eq!(s, StatusCode::OK, "{conv}");
    conv
}

fn senders_and_contents(conv: &Value) -> Vec<(String, String)> {
    conv["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["sender"].as_str().unwrap().to_string(), m["content"].as_str().unwrap().to_string()))
        .collect()
}

async fn the_originals_routes_and_shapes(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (s, list) = app.get("/admin/guardrails").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let names: Vec<&str> = list["configs"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["clinical", "companion_safety", "research_safe", "unrestricted"]);
    assert_eq!(list["count"], 4);
    assert!(list["configs"].as_array().unwrap().iter().all(|c| c["is_system"] == true));

    let (s, presets) = app.get("/admin/guardrails/presets").await;
    assert_eq!(s, StatusCode::OK);
    for name in ["unrestricted", "research_safe", "clinical", "companion_safety"] {
        assert!(presets["presets"].as_array().unwrap().iter().any(|p| p == name), "{presets}");
    }
    let (s, research) = app.get("/admin/guardrails/research_safe").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(research["description"], "Academic research mode with source citation requirements");
    assert_eq!(
        research["rules"],
        json!([{"type": "system_instruction", "content": "Always cite sources and maintain academic rigor."}])
    );
    let (_, clinical) = app.get("/admin/guardrails/clinical").await;
    assert_eq!(clinical["description"], "Healthcare-appropriate responses with medical disclaimers");
    assert_eq!(
        clinical["rules"][0]["content"],
        "Include appropriate medical disclaimers and recommend professional consultation."
    );
    let (_, open) = app.get("/admin/guardrails/unrestricted").await;
    assert_eq!(open["description"], "No content filtering - full model capabilities");
    assert_eq!(open["rules"], json!([]));

    let rules = json!([{"type": "system_instruction", "priority": 1, "content": "Test instruction"}]);
    let (s, created) = app
        .post(
            "/admin/guardrails",
            json!({"name": "test_config", "rules": rules, "description": "Test config", "created_by": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["name"], "test_config");
    assert_eq!(created["created_by"], app.admin_email, "the operator, not the body, is the author");
    let (s, by_name) = app.get("/admin/guardrails/test_config").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(by_name["rules"], rules);
    assert_eq!(by_name["is_system"], false);
    let (s, by_id) = app.get(&format!("/admin/guardrails/id/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(by_id["name"], "test_config");

    let new_rules = json!([{"type": "flag", "keywords": ["sad"]}]);
    let (s, updated) = app
        .request(Method::PUT, &format!("/admin/guardrails/{id}"), Some(json!({"rules": new_rules, "is_active": false})))
        .await;
    assert_eq!(s, StatusCode::OK, "{updated}");
    assert_eq!(updated["message"], "Config updated successfully");
    assert_eq!(updated["rules"], new_rules);
    assert_eq!(updated["is_active"], false);
    assert_eq!(updated["description"], "Test config", "fields left out keep their value");

    // Mistakes are typed: a bad regex names its rule; names are unique, presets' too.
    let bad = json!([{"type": "system_instruction", "content": "ok"}, {"type": "block_input", "name": "ids", "regex": "(\\d+"}]);
    let (s, e) = app.request(Method::PUT, &format!("/admin/guardrails/{id}"), Some(json!({"rules": bad}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "rules");
    assert!(e["error"]["message"].as_str().unwrap().starts_with("rule ids: invalid regex"), "{e}");
    let (s, e) = app.post("/admin/guardrails", json!({"name": "x", "rules": [{"type": "block_input"}]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("rule #1 block_input"), "{e}");
    assert_eq!(app.post("/admin/guardrails", json!({"name": "test_config"})).await.0, StatusCode::CONFLICT);
    assert_eq!(app.post("/admin/guardrails", json!({"name": "clinical"})).await.0, StatusCode::CONFLICT);
    assert_eq!(app.post("/admin/guardrails", json!({"name": "bad name!"})).await.0, StatusCode::UNPROCESSABLE_ENTITY);

    let (s, gone) = app.request(Method::DELETE, &format!("/admin/guardrails/{id}"), None).await;
    assert_eq!(s, StatusCode::OK, "{gone}");
    assert_eq!(gone["id"], id);
    assert_eq!(app.get("/admin/guardrails/test_config").await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/admin/guardrails/id/{id}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.request(Method::DELETE, &format!("/admin/guardrails/{id}"), None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/admin/guardrails/nothing_here").await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/admin/guardrails/id/999999").await.0, StatusCode::NOT_FOUND);

    // "Test this text": which draft rules match.
    let draft =
        json!([{"type": "block_input", "name": "pw", "keywords": ["password"]}, {"type": "flag", "regex": "(?i)sad"}]);
    let (s, t) = app.post("/admin/guardrails/test", json!({"rules": draft, "text": "My PASSWORD makes me sad"})).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let matched: Vec<&str> = t["matches"].as_array().unwrap().iter().map(|m| m["rule"].as_str().unwrap()).collect();
    assert_eq!(matched, vec!["pw", "#2 flag"]);
    assert_eq!(t["matches"][0]["action"], "block");
    assert_eq!(t["matches"][1]["action"], "flag");

    // Without a session, every route is 401.
    let anon = crate::helpers::new_client();
    for (m, path) in [
        (Method::GET, "/admin/guardrails"),
        (Method::GET, "/admin/guardrails/presets"),
        (Method::POST, "/admin/guardrails"),
    ] {
        let (s, _) = request_with(&anon, &app.base, m, path, Some(json!({"name": "x"}))).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
    }
}
on_both!(the_originals_routes_and_shapes);

async fn presets_are_read_only_and_copies_are_editable(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (_, preset) = app.get("/admin/guardrails/companion_safety").await;
    let pid = preset["id"].as_i64().unwrap();
    let (s, e) = app.request(Method::PUT, &format!("/admin/guardrails/{pid}"), Some(json!({"rules": []}))).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("preset"), "{e}");
    assert_eq!(app.request(Method::DELETE, &format!("/admin/guardrails/{pid}"), None).await.0, StatusCode::CONFLICT);

    let (s, copy) = app.post("/admin/guardrails", json!({"name": "my_safety", "copy_from": "companion_safety"})).await;
    assert_eq!(s, StatusCode::CREATED, "{copy}");
    assert_eq!(copy["rules"], preset["rules"]);
    assert_eq!(copy["description"], preset["description"]);
    assert_eq!(copy["is_system"], false);
    let cid = copy["id"].as_i64().unwrap();
    let (s, _) = app
        .request(
            Method::PUT,
            &format!("/admin/guardrails/{cid}"),
            Some(json!({"rules": [{"type": "flag", "keywords": ["x"]}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, again) = app.get("/admin/guardrails/companion_safety").await;
    assert_eq!(again["rules"], preset["rules"], "the preset is unchanged");
    assert_eq!(
        app.post("/admin/guardrails", json!({"name": "c2", "copy_from": "nope"})).await.0,
        StatusCode::NOT_FOUND
    );
}
on_both!(presets_are_read_only_and_copies_are_editable);

async fn another_workspaces_guardrail_is_unknown(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (_, id) = guarded(&app, "mine_only", json!([{"type": "system_instruction", "content": "secret rule"}])).await;
    let other = app.second_operator("other@example.com", "another-password-1").await;
    let call = |m: Method, path: String, body: Option<Value>| {
        let other = other.clone();
        let base = app.base.clone();
        async move { request_with(&other, &base, m, &path, body).await }
    };
    assert_eq!(call(Method::GET, "/admin/guardrails/mine_only".into(), None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(call(Method::GET, format!("/admin/guardrails/id/{id}"), None).await.0, StatusCode::NOT_FOUND);
    let put = call(Method::PUT, format!("/admin/guardrails/{id}"), Some(json!({"rules": []}))).await;
    assert_eq!(put.0, StatusCode::NOT_FOUND, "{}", put.1);
    assert_eq!(call(Method::DELETE, format!("/admin/guardrails/{id}"), None).await.0, StatusCode::NOT_FOUND);
    let personas =
        call(Method::PUT, format!("/admin/guardrails/{id}/personas"), Some(json!({"persona_ids": []}))).await;
    assert_eq!(personas.0, StatusCode::NOT_FOUND);
    let (_, list) = call(Method::GET, "/admin/guardrails".into(), None).await;
    assert!(!list["configs"].as_array().unwrap().iter().any(|c| c["name"] == "mine_only"), "{list}");
    // Using it in a chat is refused like an unknown name: no LLM call, nothing stored.
    let calls = app.llm.calls();
    let (s, e) = call(
        Method::POST,
        "/chat".into(),
        Some(json!({"user_id": "otto", "message": "hi", "guardrail_config": "mine_only"})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "guardrail_config");
    assert!(e["error"]["message"].as_str().unwrap().contains("mine_only"), "{e}");
    assert_eq!(app.llm.calls(), calls);
    assert_eq!(call(Method::GET, "/admin/users/otto".into(), None).await.0, StatusCode::NOT_FOUND, "nothing stored");
    // The owner's set is untouched.
    let (_, mine) = app.get(&format!("/admin/guardrails/id/{id}")).await;
    assert_eq!(mine["rules"][0]["content"], "secret rule");
}
on_both!(another_workspaces_guardrail_is_unknown);

async fn guardrail_config_is_kept_on_the_chat_and_instructions_reach_the_llm(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (s, e) = app.post("/chat", json!({"user_id": "gia", "message": "hi", "guardrail_config": "no_such"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(app.llm.calls(), 0, "no LLM call");
    assert_eq!(app.get("/admin/users/gia").await.0, StatusCode::NOT_FOUND, "nothing stored");

    let (s, body) =
        app.post("/chat", json!({"user_id": "gia", "message": "hi", "guardrail_config": "research_safe"})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let system = |app: &TestApp| app.llm.last_messages()[0]["content"].as_str().unwrap().to_string();
    assert!(system(&app).ends_with("Always cite sources and maintain academic rigor."), "{}", system(&app));
    // A later turn of the same chat, without the field, still uses it.
    let (s, _) = app.chat("gia", "and again").await;
    assert_eq!(s, StatusCode::OK);
    assert!(system(&app).contains("Always cite sources"), "{}", system(&app));
    // Priorities: highest first.
    let rules = json!([
        {"type": "system_instruction", "priority": 1, "content": "LOW"},
        {"type": "system_instruction", "priority": 9, "content": "HIGH"}
    ]);
    let (persona, _) = guarded(&app, "ordered", rules).await;
    app.chat_persona("gia", persona, "hello").await;
    let sys = system(&app);
    let (high, low) = (sys.find("HIGH").unwrap(), sys.find("LOW").unwrap());
    assert!(high < low, "{sys}");
}
on_both!(guardrail_config_is_kept_on_the_chat_and_instructions_reach_the_llm);

async fn blocked_input_calls_no_llm_and_answers_the_rules_reply(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let rules = json!([{"type": "block_input", "name": "no-passwords", "keywords": ["my password"], "reply": "Please never share passwords."}]);
    let (persona, _) = guarded(&app, "pw", rules).await;
    let (s, body) = app.chat_persona("bo", persona, "Here is My  Password: hunter2").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "replied");
    assert_eq!(body["reply"], "Please never share passwords.");
    assert_eq!(app.llm.calls(), 0, "the fake LLM saw nothing");
    let conv = conversation(&app, "bo").await;
    assert_eq!(
        senders_and_contents(&conv),
        vec![
            ("user".into(), "Here is My  Password: hunter2".into()),
            ("assistant".into(), "Please never share passwords.".into())
        ]
    );
    let hit = &conv["hits"][0];
    assert_eq!(hit["message_id"], conv["messages"][0]["id"]);
    assert_eq!(
        (hit["rule"].as_str(), hit["kind"].as_str(), hit["action"].as_str()),
        (Some("no-passwords"), Some("block_input"), Some("block"))
    );
    assert_eq!(hit["guardrail"], "pw");
    assert!(hit["excerpt"].as_str().unwrap().contains("My Password: hunter2"), "{hit}");
    // Other messages go through.
    let (s, body) = app.chat_persona("bo", persona, "hello").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["reply"], "echo: hello");
    assert_eq!(app.llm.calls(), 1);
    // …and the persona never reads the blocked text later: neither it nor the rule's reply
    // is in the next turn's history.
    let sent = app.llm.last_messages();
    let contents: Vec<&str> = sent.as_array().unwrap().iter().filter_map(|m| m["content"].as_str()).collect();
    assert!(!contents.iter().any(|c| c.contains("hunter2") || c.contains("never share passwords")), "{contents:?}");
    assert_eq!(contents.last(), Some(&"hello"));
}
on_both!(blocked_input_calls_no_llm_and_answers_the_rules_reply);

async fn blocked_output_is_replaced_and_max_input_chars_blocks(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let rules = json!([
        {"type": "block_output", "name": "no-secrets", "regex": "(?i)secret code \\d+", "reply": "[removed by a guardrail]"},
        {"type": "max_input_chars", "max_chars": 20, "reply": "Too long, please shorten it."}
    ]);
    let (persona, _) = guarded(&app, "out", rules).await;
    app.llm.script([Scripted::Reply("Sure, the Secret code 4242 is yours.".into())]);
    let (s, body) = app.chat_persona("cy", persona, "tell me").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["reply"], "[removed by a guardrail]");
    let conv = conversation(&app, "cy").await;
    let msgs = senders_and_contents(&conv);
    assert_eq!(msgs[1], ("assistant".into(), "[removed by a guardrail]".into()), "the stored reply is the rule's");
    assert_eq!(conv["hits"][0]["message_id"], conv["messages"][1]["id"], "the hit is on the reply");
    assert_eq!(conv["hits"][0]["kind"], "block_output");
    assert!(conv["hits"][0]["excerpt"].as_str().unwrap().contains("Secret code 4242"));

    let calls = app.llm.calls();
    let (s, body) = app.chat_persona("cy", persona, "this message is longer than twenty").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["reply"], "Too long, please shorten it.");
    assert_eq!(app.llm.calls(), calls, "no LLM call");
    let conv = conversation(&app, "cy").await;
    assert_eq!(conv["hits"][1]["kind"], "max_input_chars");
    let (_, body) = app.chat_persona("cy", persona, "short one").await;
    assert_eq!(body["reply"], "echo: short one");
}
on_both!(blocked_output_is_replaced_and_max_input_chars_blocks);

/// The text of every `delta` event, and the `done` event's data, of a streamed answer.
fn streamed(body: &str) -> (String, Value) {
    let (mut pieces, mut done) = (String::new(), Value::Null);
    for frame in body.split("\n\n") {
        let event = frame.lines().find_map(|l| l.strip_prefix("event:")).map(str::trim);
        let data: String = frame.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim_start).collect();
        match event {
            Some("delta") => pieces.push_str(serde_json::from_str::<Value>(&data).unwrap()["text"].as_str().unwrap()),
            Some("done") => done = serde_json::from_str(&data).unwrap(),
            _ => {}
        }
    }
    (pieces, done)
}

async fn a_streamed_reply_stops_streaming_where_an_output_rule_matches(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let rules = json!([{"type": "block_output", "name": "codes", "keywords": ["secret code"]}]);
    let (persona, _) = guarded(&app, "stream", rules).await;
    app.llm.script([Scripted::Reply("Sure thing, the secret code is 4242 and more words follow".into())]);
    let body = json!({"user_id": "sy", "message": "tell me", "persona_id": persona, "stream": true});
    let resp = app.client.post(format!("{}/chat", app.base)).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (pieces, done) = streamed(&resp.text().await.unwrap());
    // The pieces before the match went out; the match and the rest never did.
    assert!(pieces.starts_with("Sure thing"), "{pieces:?}");
    assert!(!pieces.contains("code") && !pieces.contains("4242") && !pieces.contains("more words"), "{pieces:?}");
    assert_eq!(done["reply"], app::engine::guardrails::rules::DEFAULT_OUTPUT_REPLY, "{done}");
    let conv = conversation(&app, "sy").await;
    assert_eq!(conv["hits"][0]["kind"], "block_output");

    // A reply cut short (the provider failed after some pieces) is screened as well
    // before its partial text is kept.
    app.llm.script([Scripted::CutAfter(vec!["Here: ".into(), "secret code ".into(), "77".into()])]);
    let body = json!({"user_id": "sy", "message": "again", "persona_id": persona, "stream": true});
    let resp = app.client.post(format!("{}/chat", app.base)).json(&body).send().await.unwrap();
    let (pieces, _) = streamed(&resp.text().await.unwrap());
    assert_eq!(pieces, "Here: ");
    let conv = conversation(&app, "sy").await;
    let last = conv["messages"].as_array().unwrap().last().unwrap().clone();
    let replaced = Some(app::engine::guardrails::rules::DEFAULT_OUTPUT_REPLY);
    assert_eq!((last["content"].as_str(), last["incomplete"].as_bool()), (replaced, Some(true)));
    assert_eq!(conv["hits"].as_array().unwrap().len(), 2, "{conv}");
}
on_both!(a_streamed_reply_stops_streaming_where_an_output_rule_matches);

async fn a_flag_lets_the_reply_through_and_alerts_operators(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (persona, _) = guarded(&app, "watch", json!([{"type": "flag", "name": "sadness", "keywords": ["sad"]}])).await;
    let resp = app.client.get(format!("{}/admin/events", app.base)).send().await.unwrap();
    let mut stream = resp.bytes_stream();
    let (s, body) = app.chat_persona("dee", persona, "I feel sad today").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["reply"], "echo: I feel sad today", "the reply goes through");
    let seen = events_until(&mut stream, "\"type\":\"alert\"").await;
    assert!(seen.contains("\"action\":\"flag\"") && seen.contains("\"rule\":\"sadness\""), "{seen}");
    let conv = conversation(&app, "dee").await;
    assert_eq!(conv["state"]["halted"], false);
    // The user's message is flagged, and so is the echoed reply (flag rules read both sides).
    let hits = conv["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert_eq!(hits[0]["message_id"], conv["messages"][0]["id"]);
    assert_eq!(hits[1]["message_id"], conv["messages"][1]["id"]);
    assert!(hits.iter().all(|h| h["action"] == "flag"));
}
on_both!(a_flag_lets_the_reply_through_and_alerts_operators);

async fn a_halt_rule_pauses_the_conversation_and_alerts(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (persona, _) = guarded(&app, "safety", json!([])).await;
    // The companion_safety preset, used by the persona directly.
    let (_, preset) = app.get("/admin/guardrails/companion_safety").await;
    let (s, _) = app
        .request(
            Method::PUT,
            &format!("/admin/guardrails/{}/personas", preset["id"]),
            Some(json!({"persona_ids": [persona]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let resp = app.client.get(format!("{}/admin/events", app.base)).send().await.unwrap();
    let mut stream = resp.bytes_stream();
    let (s, body) = app.chat_persona("eli", persona, "I'm 14").await;
    assert_eq!(s, StatusCode::LOCKED, "{body}");
    assert_eq!(body["status"], "paused");
    assert_eq!(body["reply"], PAUSE_NOTICE);
    assert_eq!(app.llm.calls(), 0, "no LLM call");
    let seen = events_until(&mut stream, "\"action\":\"halt\"").await;
    assert!(
        seen.contains("\"type\":\"alert\"")
            && seen.contains("\"rule\":\"minor\"")
            && seen.contains("\"user_id\":\"eli\""),
        "{seen}"
    );

    let conv = conversation(&app, "eli").await;
    assert_eq!(conv["state"]["halted"], true);
    assert_eq!(conv["state"]["halted_by"], "guardrail");
    let reason = conv["state"]["reason"].as_str().unwrap();
    assert!(reason.contains("companion_safety") && reason.contains("minor"), "{reason}");
    assert_eq!(senders_and_contents(&conv)[1], ("notice".into(), PAUSE_NOTICE.into()));
    assert_eq!(conv["hits"][0]["action"], "halt");
    // Halted: the next message waits too, until an operator resumes.
    let (s, _) = app.chat_persona("eli", persona, "hello?").await;
    assert_eq!(s, StatusCode::LOCKED);
    assert_eq!(app.llm.calls(), 0);
}
on_both!(a_halt_rule_pauses_the_conversation_and_alerts);

async fn after_review_and_resume_the_halting_message_is_answered(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (persona, _) = guarded(
        &app,
        "halting",
        json!([{"type": "block_input", "name": "sh", "action": "halt", "keywords": ["suicide"]}]),
    )
    .await;
    let (s, _) = app.chat_persona("fox", persona, "a film about suicide").await;
    assert_eq!(s, StatusCode::LOCKED);
    let (s, _) = app.post("/admin/interventions/fox/resume", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    for _ in 0..200 {
        if app.llm.calls() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.llm.calls(), 1, "the reviewed message goes to the persona");
    let conv = conversation(&app, "fox").await;
    assert_eq!(conv["state"]["halted"], false, "and does not halt again");
    assert_eq!(conv["hits"].as_array().unwrap().len(), 1);
    // A new message that trips the rule halts again.
    let (s, _) = app.chat_persona("fox", persona, "suicide again").await;
    assert_eq!(s, StatusCode::LOCKED);
}
on_both!(after_review_and_resume_the_halting_message_is_answered);

async fn a_backtest_counts_what_a_draft_would_have_done(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    for m in ["apple pie", "banana split", "cherry", "plain"] {
        assert_eq!(app.chat("fin", m).await.0, StatusCode::OK);
    }
    let rules = json!([
        {"type": "block_input", "keywords": ["apple"]},
        {"type": "flag", "keywords": ["banana"]},
        {"type": "block_output", "action": "halt", "regex": "^echo: cherry$"}
    ]);
    let (s, r) = app.post("/admin/guardrails/backtest", json!({"rules": rules})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!((r["days"].as_i64(), r["scanned"].as_i64()), (Some(7), Some(8)));
    assert_eq!(
        (r["blocked"].as_i64(), r["flagged"].as_i64(), r["halted"].as_i64()),
        (Some(1), Some(2), Some(1)),
        "{r}"
    );
    let hits = r["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 4);
    assert_eq!(hits[0]["preview"], "echo: cherry", "newest first");
    assert_eq!(hits[0]["action"], "halt");
    assert_eq!(hits[0]["sender"], "assistant");
    assert_eq!(hits[3]["preview"], "apple pie");
    assert_eq!(hits[3]["user_id"], "fin");
    assert_eq!(r["truncated"], false);
    let (_, r) = app.post("/admin/guardrails/backtest", json!({"rules": rules, "limit": 2})).await;
    assert_eq!(r["hits"].as_array().unwrap().len(), 2);
    assert_eq!(r["truncated"], true);
    assert_eq!(r["blocked"], 1, "counts cover every match");
    let (s, e) = app.post("/admin/guardrails/backtest", json!({"rules": rules, "days": 0})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "days");
    // Nothing was stored or halted by a backtest, and another workspace sees none of it.
    assert_eq!(conversation(&app, "fin").await["hits"], json!([]));
    let other = app.second_operator("bt@example.com", "another-password-2").await;
    let (_, r) =
        request_with(&other, &app.base, Method::POST, "/admin/guardrails/backtest", Some(json!({"rules": rules})))
            .await;
    assert_eq!(r["scanned"], 0);
}
on_both!(a_backtest_counts_what_a_draft_would_have_done);

/// action, actor, target, before_json, after_json.
type AuditRow = (String, String, String, Option<String>, Option<String>);

async fn changes_are_audited_with_before_and_after(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (_, g) = app.post("/admin/guardrails", json!({"name": "audited", "rules": []})).await;
    let id = g["id"].as_i64().unwrap();
    app.request(Method::PUT, &format!("/admin/guardrails/{id}"), Some(json!({"description": "now described"}))).await;
    app.request(Method::DELETE, &format!("/admin/guardrails/{id}"), None).await;
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT action, actor, target, before_json, after_json FROM audit_log WHERE action LIKE 'guardrail_%' ORDER BY id",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(actions, vec!["guardrail_create", "guardrail_update", "guardrail_delete"]);
    assert!(rows.iter().all(|r| r.1 == app.admin_email && r.2 == id.to_string()));
    let json =
        |v: &Option<String>| v.as_deref().map(|t| serde_json::from_str::<Value>(t).unwrap()).unwrap_or(Value::Null);
    let before = |i: usize| json(&rows[i].3);
    let after = |i: usize| json(&rows[i].4);
    assert_eq!(before(0), Value::Null);
    assert_eq!(after(0)["name"], "audited");
    assert_eq!(before(1)["description"], Value::Null);
    assert_eq!(after(1)["description"], "now described");
    assert_eq!(before(2)["name"], "audited");
    assert_eq!(after(2), Value::Null);
    // A set a persona uses cannot be deleted (the message names the persona).
    let (_, id) = guarded(&app, "in_use", json!([])).await;
    let (s, e) = app.request(Method::DELETE, &format!("/admin/guardrails/{id}"), None).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(e["error"]["message"].as_str().unwrap().contains("Guarded"), "{e}");
}
on_both!(changes_are_audited_with_before_and_after);
