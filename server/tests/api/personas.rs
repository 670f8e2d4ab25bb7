use crate::helpers::{spawn_app, Backend};
use crate::on_both;
use reqwest::StatusCode;
use serde_json::json;

async fn versions_are_numbered_and_rollback_makes_a_new_one(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Bob", "You are Bob, v1.").await;

    // Posting the same name again is refused (create creates); the original's update
    // route writes version 2 and publishes it.
    let (s, body) =
        app.post("/admin/templates", json!({"name": "Bob", "content": "You are Bob, v2.", "created_by": "x"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["id"], id);
    let (s, body) = app
        .request(
            reqwest::Method::PUT,
            &format!("/admin/templates/{id}"),
            Some(json!({"content": "You are Bob, v2.", "updated_by": "x", "change_description": "second"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["template_id"], id);
    assert_eq!(body["new_version"], 2);
    assert_eq!(body["version"]["note"], "second");
    let (_, labels) = app.get(&format!("/admin/templates/{id}/labels")).await;
    assert_eq!(labels[0]["name"], "production");
    assert_eq!(labels[0]["version"], 2, "the original's update publishes what it saves: {labels}");
    let (s, v3) = app
        .post(&format!("/admin/templates/{id}/versions"), json!({"content": "You are Bob, v3.", "note": "third"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v3["version"]["version"], 3);

    let (s, v4) = app.post(&format!("/admin/templates/{id}/rollback/1"), json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{v4}");
    assert_eq!(v4["unchanged"], false);
    let v4 = &v4["version"];
    assert_eq!(v4["version"], 4);
    assert_eq!(v4["content"], "You are Bob, v1.");
    assert_eq!(v4["note"], "Rollback to version 1");

    let (s, detail) = app.get(&format!("/admin/templates/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    let versions = detail["versions"].as_array().unwrap();
    let numbers: Vec<i64> = versions.iter().map(|v| v["version"].as_i64().unwrap()).collect();
    assert_eq!(numbers, vec![4, 3, 2, 1], "newest first");
    // Versions are immutable: v1 is still there, unchanged, with its checksum and author.
    assert_eq!(versions[3]["content"], "You are Bob, v1.");
    assert_eq!(versions[3]["checksum"], app::engine::personas::checksum("You are Bob, v1."));
    assert_eq!(versions[3]["author"], app.admin_email);
    assert_eq!(versions[0]["checksum"], versions[3]["checksum"]);

    let (s, list) = app.get("/admin/templates").await;
    assert_eq!(s, StatusCode::OK);
    let bob = list.as_array().unwrap().iter().find(|p| p["name"] == "Bob").unwrap();
    assert_eq!(bob["latest_version"], 4);

    // A version that does not exist.
    let (s, body) = app.post(&format!("/admin/templates/{id}/rollback/99"), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}
on_both!(versions_are_numbered_and_rollback_makes_a_new_one);

async fn template_errors_are_refused_with_their_line(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (s, body) = app
        .post("/admin/templates", json!({"name": "Broken", "content": "Hello\n{% if x %}\nno end", "created_by": "t"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "template");
    assert!(body["error"]["line"].as_u64().is_some(), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("line"), "{body}");
    // Nothing was created.
    let (_, list) = app.get("/admin/templates").await;
    assert!(list.as_array().unwrap().iter().all(|p| p["name"] != "Broken"));

    let (s, body) = app.post("/admin/templates", json!({"name": "  ", "content": "ok", "created_by": "t"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "name");

    let (s, body) = app.post("/admin/templates", json!({"name": 5})).await;
    assert!(s.is_client_error(), "{s}");
    assert_eq!(body["error"]["code"], "invalid");
}
on_both!(template_errors_are_refused_with_their_line);

async fn a_new_workspace_has_the_default_persona(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (_, list) = app.get("/admin/templates").await;
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec![app::engine::personas::DEFAULT_PERSONA_NAME]);
}
on_both!(a_new_workspace_has_the_default_persona);

async fn saving_identical_content_creates_no_version(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Same", "You are the same.").await;
    let (s, body) = app
        .post(&format!("/admin/templates/{id}/versions"), json!({"content": "You are the same.", "note": "again"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["unchanged"], true);
    assert_eq!(body["version"]["version"], 1);
    let (s, body) = app
        .request(reqwest::Method::PUT, &format!("/admin/templates/{id}"), Some(json!({"content": "You are the same."})))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["unchanged"], true);
    assert_eq!(body["new_version"], 1);
    // Rolling back to the content the latest version already has writes nothing either.
    app.post(&format!("/admin/templates/{id}/versions"), json!({"content": "You changed."})).await;
    let (s, body) = app.post(&format!("/admin/templates/{id}/rollback/2"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["unchanged"], true);
    let (_, detail) = app.get(&format!("/admin/templates/{id}")).await;
    assert_eq!(detail["versions"].as_array().unwrap().len(), 2);
}
on_both!(saving_identical_content_creates_no_version);

async fn the_diff_of_two_versions_marks_lines_and_words(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Differ", "You are Dee.\nBe kind.\nAlways greet.").await;
    app.post(
        &format!("/admin/templates/{id}/versions"),
        json!({"content": "You are Dee.\nBe very kind.\nAlways greet.\nAsk questions."}),
    )
    .await;

    // Default: the latest against the one before.
    let (s, d) = app.get(&format!("/admin/templates/{id}/diff")).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!((d["from"].as_i64(), d["to"].as_i64()), (Some(1), Some(2)));
    assert_eq!((d["added"].as_u64(), d["removed"].as_u64()), (Some(2), Some(1)));
    let lines = d["lines"].as_array().unwrap();
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["equal", "removed", "added", "equal", "added"]);
    let changed = lines.iter().find(|l| l["kind"] == "added" && l["new_line"] == 2).unwrap();
    let marked: Vec<&str> = changed["segments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s[0] == true)
        .map(|s| s[1].as_str().unwrap())
        .collect();
    assert!(marked.iter().any(|m| m.contains("very")), "the inserted word is highlighted: {changed}");

    // Any two versions, either order.
    let (s, back) = app.get(&format!("/admin/templates/{id}/diff?from=2&to=1")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((back["added"].as_u64(), back["removed"].as_u64()), (Some(1), Some(2)));
    let (s, _) = app.get(&format!("/admin/templates/{id}/diff?from=1&to=9")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(the_diff_of_two_versions_marks_lines_and_words);

async fn the_persona_lists_its_variables_and_flags_unknown_ones(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id =
        app.create_persona("Vars", "Hi {{ user_id }}, {{ memory.name | default('friend') }}. Mood: {{ mood }}").await;
    let (s, detail) = app.get(&format!("/admin/templates/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        detail["variables"],
        json!([{"name": "memory", "known": true}, {"name": "mood", "known": false}, {"name": "user_id", "known": true}])
    );
}
on_both!(the_persona_lists_its_variables_and_flags_unknown_ones);

/// Text with a NUL character (`\u0000`) is the sender's mistake, never a 500: PostgreSQL
/// cannot store it and answers 422 `invalid`, before anything is stored; SQLite stores
/// it. (Schemathesis found the 500.)
async fn text_with_a_nul_character_is_invalid_input(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Nul", "Hi").await;
    let (s, body) = app
        .request(
            reqwest::Method::PUT,
            &format!("/admin/templates/{id}"),
            Some(json!({"content": "Hello", "change_description": "a\u{0}b"})),
        )
        .await;
    let (chat, reply) = app.chat("nul-user", "a\u{0}b").await;
    match b {
        Backend::Postgres => {
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(body["error"]["code"], "invalid");
            assert!(body["error"]["message"].as_str().unwrap().contains("NUL"), "{body}");
            assert_eq!(chat, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
        }
        Backend::Sqlite => {
            assert!(s.is_success(), "{body}");
            assert_eq!(chat, StatusCode::OK, "{reply}");
        }
    }
}
on_both!(text_with_a_nul_character_is_invalid_input);
