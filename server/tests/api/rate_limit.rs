//! Issue 11: login rate limiting — an account is locked after its allowance of failed
//! logins (even the right password is then 429, with a clear message and Retry-After);
//! other accounts are not; an IP that fails for many accounts is locked for all of them.

use crate::helpers::*;
use crate::on_both;
use app::engine::throttle::{ACCOUNT_FAILURES, IP_FAILURES};
use reqwest::StatusCode;
use serde_json::json;

async fn login(client: &reqwest::Client, app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    client
        .post(format!("{}/admin/login", app.base))
        .json(&json!({"username": email, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn an_account_is_locked_after_its_failures(b: Backend) {
    let app = spawn_app(b).await;
    let other_client = app.second_operator("second@example.com", "second-password-1").await;
    drop(other_client);
    let client = new_client();
    for i in 0..=ACCOUNT_FAILURES {
        let resp = login(&client, &app, &app.admin_email, "not the password").await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "failure {i} is a plain wrong password");
    }
    // Locked now: the right password too, with the time to wait.
    let resp = login(&client, &app, &app.admin_email, &app.admin_password).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 60, "a temporary lockout of minutes: {retry}");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(body["error"]["message"].as_str().unwrap().contains("too many failed logins"), "{body}");
    assert_eq!(body["error"]["retry_after_s"].as_u64(), Some(retry));
    // Upper case is the same account.
    let resp = login(&client, &app, &app.admin_email.to_uppercase(), &app.admin_password).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another account from the same IP still logs in.
    let resp = login(&new_client(), &app, "second@example.com", "second-password-1").await;
    assert_eq!(resp.status(), StatusCode::OK);
}
on_both!(an_account_is_locked_after_its_failures);

async fn an_ip_is_locked_after_failures_across_accounts(b: Backend) {
    let app = spawn_app(b).await;
    let client = new_client();
    for i in 0..=IP_FAILURES {
        let resp = login(&client, &app, &format!("guess{i}@example.com"), "password guess").await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let resp = login(&client, &app, &app.admin_email, &app.admin_password).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "the IP is locked for every account");
    // End-user logins count the same way and are refused too from this IP.
    let resp = client
        .post(format!("{}/user/login", app.base))
        .json(&json!({"email": "anyone@example.com", "password": "whatever-123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
}
on_both!(an_ip_is_locked_after_failures_across_accounts);
