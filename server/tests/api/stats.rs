//! Issue 11: the Overview's statistics on a known dataset — the original's
//! `/admin/stats/*` shapes, the dashboard figures, workspace scoping, and aggregation
//! changing nothing but where the figures are read from.

use crate::fake_llm::Scripted;
use crate::helpers::*;
use crate::on_both;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

/// amy ×2, ben ×1 answered; cat's turn fails (a 400 is not retried); an operator writes
/// in ben's chat. 7 conversational messages, 4 chat turns of which 1 failed.
async fn known_day(app: &TestApp) {
    app.login_admin().await;
    for (u, m) in [("amy", "hello"), ("amy", "again"), ("ben", "hi")] {
        assert_eq!(app.chat(u, m).await.0, StatusCode::OK);
    }
    app.llm.script([Scripted::Status(400)]);
    assert_eq!(app.chat("cat", "anyone?").await.0, StatusCode::BAD_GATEWAY);
    let (s, body) = app.post("/admin/interventions/ben/inject", json!({"content": "An operator here."})).await;
    assert!(s.is_success(), "{s} {body}");
}

async fn the_original_overview_counts_a_known_day(b: Backend) {
    let app = spawn_app(b).await;
    known_day(&app).await;

    let (s, o) = app.get("/admin/stats/overview").await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(o["active_users_today"], 3, "{o}");
    assert_eq!(o["active_users_hour"], 3);
    assert_eq!(o["total_messages_today"], 8, "4 users' messages, 3 replies, 1 operator message: {o}");
    assert_eq!(o["error_rate_percent"], 25.0);
    assert!(o["avg_response_time_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(o["top_templates"], json!([{"name": "Ava", "count": 4}]));
    assert!(o["messages_per_hour"].as_f64().is_some());

    let (s, u) = app.get("/admin/stats/users/amy").await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(u["user_id"], "amy");
    assert_eq!(u["total_messages"], 2);
    assert_eq!(u["error_count"], 0);
    assert_eq!(u["error_rate_percent"], 0.0);
    assert!(u["first_seen"].as_str().unwrap().starts_with("20"), "RFC 3339: {u}");
    let (_, cat) = app.get("/admin/stats/users/cat").await;
    assert_eq!(cat["error_count"], 1);
    assert_eq!(cat["error_rate_percent"], 100.0);
    assert_eq!(app.get("/admin/stats/users/nobody").await.0, StatusCode::NOT_FOUND);

    let (s, a) = app.post("/admin/stats/aggregate", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["status"], "success");
    assert_eq!(a["message"], "Metrics aggregated");

    // Another workspace sees none of it.
    let other = app.second_operator("stats-other@example.com", "other-password-123").await;
    let (_, o2) = request_with(&other, &app.base, Method::GET, "/admin/stats/overview", None).await;
    assert_eq!(o2["active_users_today"], 0, "{o2}");
    assert_eq!(o2["total_messages_today"], 0);
    assert_eq!(o2["top_templates"], json!([]));
    let (s, _) = request_with(&other, &app.base, Method::GET, "/admin/stats/users/amy", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Without a session: 401.
    let (s, _) = request_with(&new_client(), &app.base, Method::GET, "/admin/stats/overview", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
on_both!(the_original_overview_counts_a_known_day);

async fn the_dashboard_figures_add_up(b: Backend) {
    let app = spawn_app(b).await;
    known_day(&app).await;
    let (s, o) = app.get("/admin/stats/dashboard?range=24h").await;
    assert_eq!(s, StatusCode::OK, "{o}");
    let c = &o["cards"];
    assert_eq!(c["messages_today"], 8, "{c}");
    assert_eq!(c["chat_requests_today"], 4);
    assert_eq!(c["chat_errors_today"], 1);
    assert_eq!(c["error_rate_percent"], 25.0);
    assert_eq!(c["halted_now"], 0);
    assert!(c["avg_response_ms"].as_f64().is_some() && c["p95_response_ms"].as_f64().is_some(), "{c}");
    assert!(c["prompt_tokens_today"].as_i64().unwrap() >= 0);
    // The fake model has no price yet: cost unknown, and the card says which model.
    assert_eq!(c["cost_today_usd"], Value::Null);
    assert_eq!(c["unpriced_models"], json!(["fake-model"]));

    let series = o["series"].as_array().unwrap();
    assert_eq!(series.len(), 24, "one point per hour");
    let sum = |k: &str| series.iter().map(|p| p[k].as_i64().unwrap()).sum::<i64>();
    assert_eq!(sum("messages"), 8);
    assert_eq!(sum("chat_errors"), 1);
    assert_eq!(series.last().unwrap()["messages"], 8, "all in this hour");
    let latency: i64 = o["latency"].as_array().unwrap().iter().map(|b| b["count"].as_i64().unwrap()).sum();
    assert_eq!(latency, 3, "three successful turns in the histogram");

    let v = o["versions"].as_array().unwrap();
    let ava1 = v.iter().find(|r| r["persona"] == "Ava" && r["version"] == 1).expect("Ava v1");
    assert_eq!(ava1["replies"], 3, "{ava1}");
    assert_eq!(ava1["labels"], json!(["production"]));

    // A price makes the cost known: tokens × price.
    let (s, p) = app
        .request(
            Method::PUT,
            "/admin/stats/prices/fake-model",
            Some(json!({"prompt_usd_per_mtok": 1000000.0, "completion_usd_per_mtok": 0.0})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let (_, o) = app.get("/admin/stats/dashboard").await;
    assert_eq!(o["cards"]["cost_today_usd"].as_f64().unwrap(), o["cards"]["prompt_tokens_today"].as_f64().unwrap());
    assert_eq!(o["cards"]["unpriced_models"], json!([]));
    let (s, _) = app
        .request(
            Method::PUT,
            "/admin/stats/prices/x",
            Some(json!({"prompt_usd_per_mtok": -1.0, "completion_usd_per_mtok": 0.0})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a negative price is refused");
    assert_eq!(app.get("/admin/stats/dashboard?range=1y").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.request(Method::DELETE, "/admin/stats/prices/fake-model", None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.request(Method::DELETE, "/admin/stats/prices/fake-model", None).await.0, StatusCode::NOT_FOUND);
}
on_both!(the_dashboard_figures_add_up);

/// The figures that do not depend on aggregation, for comparing before and after it.
fn raw_figures(o: &Value) -> Value {
    let versions: Vec<Value> = o["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            json!([v["persona"], v["version"], v["replies"], v["user_messages"], v["chat_errors"], v["guardrail_hits"]])
        })
        .collect();
    let mut cards = o["cards"].clone();
    // Active users read the raw messages; everything else in the cards is summed.
    cards.as_object_mut().unwrap().remove("active_users_hour");
    json!({"cards": cards, "series": o["series"], "latency": o["latency"], "versions": versions})
}

async fn aggregation_moves_figures_without_changing_them(b: Backend) {
    let app = spawn_app(b).await;
    known_day(&app).await;
    let db = &app.state.db;
    // amy's first turn three days ago, her second two days ago: she came back on day 1.
    let amy: i64 =
        sqlx::query_scalar("SELECT id FROM end_users WHERE external_id = 'amy'").fetch_one(&db.pool).await.unwrap();
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM messages WHERE end_user_id = $1 ORDER BY id")
        .bind(amy)
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(ids.len(), 4);
    for (i, id) in ids.iter().enumerate() {
        // An hour more: in the first minutes of an hour (`SETTLE_MS`) the last hour is not
        // closed yet, and three days back to the minute would then be 71 closed hours.
        let back = if i < 2 { 3 * DAY + HOUR } else { 2 * DAY + HOUR };
        sqlx::query("UPDATE messages SET created_at = created_at - $1 WHERE id = $2")
            .bind(back)
            .bind(id)
            .execute(&db.pool)
            .await
            .unwrap();
        sqlx::query("UPDATE llm_requests SET created_at = created_at - $1 WHERE message_id = $2")
            .bind(back)
            .bind(id)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    // The server's aggregator may already have run: start the statistics over.
    app::engine::store::demo::reset_stats(db).await.unwrap();

    let (_, before) = app.get("/admin/stats/dashboard?range=7d").await;
    assert_eq!(before["aggregated_until"], 0, "nothing aggregated: every figure read raw");
    let (s, a) = app.post("/admin/stats/aggregate", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert!(a["hours"].as_i64().unwrap() >= 72, "three days of hours at least: {a}");
    let (_, again) = app.post("/admin/stats/aggregate", json!({})).await;
    assert_eq!(again["hours"], 0, "nothing left to aggregate: {again}");
    let (_, after) = app.get("/admin/stats/dashboard?range=7d").await;
    assert!(after["aggregated_until"].as_i64().unwrap() > 0);
    assert_eq!(raw_figures(&before), raw_figures(&after));
    let sum: i64 = after["series"].as_array().unwrap().iter().map(|p| p["messages"].as_i64().unwrap()).sum();
    assert_eq!(sum, 8, "{}", after["series"]);
    assert_eq!(after["cards"]["messages_today"], 4, "amy's messages are on earlier days now");

    // Chats and cohorts count aggregated hours: amy's chat started 3 days ago.
    let v = after["versions"].as_array().unwrap();
    let ava1 = v.iter().find(|r| r["persona"] == "Ava" && r["version"] == 1).expect("Ava v1");
    assert_eq!(ava1["chats"], 1, "only amy's chat is in aggregated hours: {ava1}");
    assert_eq!(ava1["messages_per_chat"], 4.0);
    assert_eq!(ava1["takeover_percent"], 0.0);
    assert_eq!(ava1["new_users"], 1);
    assert_eq!(ava1["returning_day1_percent"], 100.0, "amy wrote again the next day");
    assert_eq!(ava1["returning_day7_percent"], Value::Null, "her day 7 has not come yet");
}
on_both!(aggregation_moves_figures_without_changing_them);
