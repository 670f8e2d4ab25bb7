//! `spawn_app`: the real server on a loopback port with a fresh database (a temp SQLite
//! file or a new PostgreSQL database) and the fake LLM.

use super::fake_llm::FakeLlm;
use app::engine::config::{Config, LlmConfig};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use server::startup::Application;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// PostgreSQL server for the tests; each test creates its own database on it.
pub fn pg_base() -> String {
    std::env::var("PROMPTDEV_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

pub async fn fresh_database(backend: Backend) -> String {
    let name = format!("pd_test_{}", uuid::Uuid::new_v4().simple());
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(&name);
            format!("sqlite://{}/promptdev.db", dir.display())
        }
        Backend::Postgres => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&format!("{}/postgres", pg_base()))
                .await
                .expect("PostgreSQL must be running on 127.0.0.1:5432 (see README: make test starts it)");
            sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await.unwrap();
            format!("{}/{name}", pg_base())
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub llm: FakeLlm,
    pub admin_email: String,
    pub admin_password: String,
    pub database_url: String,
    pub state: app::engine::AppState,
    _server: tokio::task::JoinHandle<()>,
}

pub fn test_config(database_url: &str, llm: LlmConfig) -> Config {
    Config {
        database_url: database_url.to_string(),
        addr: "127.0.0.1:0".parse().unwrap(),
        site_root: "target/site".into(),
        llm,
        history_window: 20,
        history_tokens: 1024,
        secure_cookies: false,
        chat_workspace: None,
        webhook_allow_private: true,
    }
}

pub fn fake_llm_config(llm: &FakeLlm) -> LlmConfig {
    LlmConfig::OpenAi {
        base_url: llm.base_url.clone(),
        model: "fake-model".into(),
        api_key: Some("test-key".to_string().into()),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(10),
        max_retries: 1,
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let llm = FakeLlm::start().await;
    let database_url = fresh_database(backend).await;
    spawn_with(test_config(&database_url, fake_llm_config(&llm)), llm).await
}

pub async fn spawn_with(config: Config, llm: FakeLlm) -> TestApp {
    let database_url = config.database_url.clone();
    let app = Application::build(config).await.expect("the app starts");
    let (admin_email, admin_password) = app.first_login.clone().expect("a fresh database gets a first operator");
    let base = format!("http://{}", app.addr);
    let state = app.state.clone();
    let server = app.spawn();
    TestApp { base, client: new_client(), llm, admin_email, admin_password, database_url, state, _server: server }
}

/// A client with its own cookie jar (a separate browser).
pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

impl TestApp {
    pub async fn request(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        request_with(&self.client, &self.base, method, path, body).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.request(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::POST, path, Some(body)).await
    }

    pub async fn login_admin(&self) {
        let (s, body) =
            self.post("/admin/login", json!({"username": self.admin_email, "password": self.admin_password})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }

    /// Creates another operator (with a workspace of their own) and returns a client
    /// logged in as them.
    pub async fn second_operator(&self, email: &str, password: &str) -> reqwest::Client {
        app::engine::auth::create_operator(&self.state.db, email, password, false).await.unwrap();
        let client = new_client();
        let (s, body) = request_with(
            &client,
            &self.base,
            Method::POST,
            "/admin/login",
            Some(json!({"username": email, "password": password})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        client
    }

    /// One turn through `POST /chat`, on behalf of `user_id`, as this app's client (the
    /// logged-in operator: `POST /chat` needs an operator session).
    pub async fn chat(&self, user_id: &str, message: &str) -> (StatusCode, Value) {
        request_with(
            &self.client,
            &self.base,
            Method::POST,
            "/chat",
            Some(json!({"user_id": user_id, "message": message})),
        )
        .await
    }

    /// One turn in chat `session` of `user_id` (operator session, as [`TestApp::chat`]).
    pub async fn chat_in(&self, session: i64, user_id: &str, message: &str) -> (StatusCode, Value) {
        self.post("/chat", json!({"user_id": user_id, "message": message, "session_id": session})).await
    }

    pub async fn chat_persona(&self, user_id: &str, persona_id: i64, message: &str) -> (StatusCode, Value) {
        request_with(
            &self.client,
            &self.base,
            Method::POST,
            "/chat",
            Some(json!({"user_id": user_id, "message": message, "persona_id": persona_id})),
        )
        .await
    }

    /// Creates a persona through the REST API and returns its id.
    pub async fn create_persona(&self, name: &str, content: &str) -> i64 {
        let (s, body) =
            self.post("/admin/templates", json!({"name": name, "content": content, "created_by": "tests"})).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }
}

pub async fn request_with(
    client: &reqwest::Client,
    base: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut rb = client.request(method, format!("{base}{path}"));
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let resp = rb.send().await.expect("the server answers");
    let status = resp.status();
    let text = resp.text().await.unwrap();
    let value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    (status, value)
}

/// Runs a test body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    };
}

/// Reads `/admin/events` until `until` appears in it (10 s at most); returns what was read.
pub async fn events_until<S, B>(stream: &mut S, until: &str) -> String
where
    S: futures::Stream<Item = reqwest::Result<B>> + Unpin,
    B: AsRef<[u8]>,
{
    use futures::StreamExt;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(until) {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .unwrap_or_else(|_| panic!("no {until} in: {seen}"))
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(chunk.as_ref()));
    }
    seen
}
