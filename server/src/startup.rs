//! Builds the whole application (state, sessions, routes) and serves it.

use crate::http;
use app::engine::config::Config;
use app::engine::sessions::AppSessionStore;
use app::engine::{auth, identity, jobs, stats, turn, AppState};
use app::{shell, App};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Mutex;
use tower_http::limit::RequestBodyLimitLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use utoipa_swagger_ui::SwaggerUi;

/// How long shutdown waits for running turns (an LLM call may take up to its timeout).
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(150);

/// How long shutdown waits for running background jobs before giving them back to the
/// queue (a turn a job started still finishes within [`SHUTDOWN_GRACE`]).
pub const JOBS_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

pub use http::SESSION_COOKIE;

/// How long start-up waits for the database's first connection before serving without
/// it (`/ready` 503, retried every [`DB_RETRY`]).
pub const DB_CONNECT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// How often start-up tries the database again while it does not answer.
pub const DB_RETRY: std::time::Duration = std::time::Duration::from_secs(5);

/// A built application bound to its port, ready to serve.
pub struct Application {
    listener: TcpListener,
    router: Router,
    /// The address actually bound (port 0 in the config picks a free port).
    pub addr: SocketAddr,
    pub state: AppState,
    /// Email and password of the operator created on this first start, if any (None
    /// also while the database has not answered: it is printed once it does).
    pub first_login: Option<(String, String)>,
    /// The background job runner, started once the database answers.
    jobs: Arc<Mutex<Option<jobs::Runner>>>,
}

impl Application {
    /// Opens the database, the session store and the port. When the database answers
    /// (within [`DB_CONNECT_WAIT`]) it is migrated, the first operator created if there
    /// is none, interrupted turns resumed and the job runner started before this
    /// returns; when it does not, the app still starts — `/health` and `/ready` answer
    /// 503 — and that part runs as soon as it does (tried every [`DB_RETRY`]).
    /// Errors: a bad database URL, a failed migration, the port in use.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let leptos_options = LeptosOptions::builder()
            .output_name("promptdev")
            .site_root(config.site_root.clone())
            .site_pkg_dir("pkg")
            .site_addr(config.addr)
            .build();
        // The metrics recorder, before anything is counted.
        http::metrics::handle();
        let listener = TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let secure = config.secure_cookies;
        let state = AppState::build(config, leptos_options).await?;
        let store = AppSessionStore::open_lazy(&state.db)?;
        let sessions = SessionManagerLayer::new(store.clone())
            .with_name(SESSION_COOKIE)
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(secure)
            .with_expiry(Expiry::OnInactivity(tower_sessions::cookie::time::Duration::hours(24)));
        let router = http::request_id::layer(router(state.clone()).layer(sessions));
        let jobs = Arc::new(Mutex::new(None));
        let first_login = match state.db.reachable(DB_CONNECT_WAIT).await {
            Ok(()) => {
                let (first_login, runner) = start_with_database(&state, &store).await?;
                *jobs.lock().await = Some(runner);
                first_login
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "the database does not answer; serving /ready as 503 until it does");
                tokio::spawn(wait_for_database(state.clone(), store, jobs.clone()));
                None
            }
        };
        Ok(Application { listener, router, addr, state, first_login, jobs })
    }

    /// Serves until the process gets Ctrl-C / SIGTERM, then waits (up to
    /// [`SHUTDOWN_GRACE`]) for the turns still running so their replies are stored.
    pub async fn run(self) -> anyhow::Result<()> {
        let turns = self.state.turns.clone();
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        let runner = self.jobs.lock().await.take();
        if let Some(runner) = runner {
            if !runner.shutdown(JOBS_GRACE).await {
                tracing::info!("background jobs still running at the deadline were given back to the queue");
            }
        }
        let running = turns.running();
        if running > 0 {
            tracing::info!(running, "waiting for running turns before exit");
        }
        if !turns.shutdown(SHUTDOWN_GRACE).await {
            tracing::warn!("turns still running at the shutdown deadline; they run again at the next start");
        }
        Ok(())
    }

    /// Serves until the returned task is aborted (for tests). The job runner keeps
    /// running until the runtime ends.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let _ = axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>()).await;
        })
    }
}

/// Start-up's database part: migrations, live events across processes (PostgreSQL), the
/// first operator, the session table, turns a previous process left running, the job
/// runner and the statistics aggregator; then the app counts as started (`/ready`).
async fn start_with_database(
    state: &AppState,
    store: &AppSessionStore,
) -> anyhow::Result<(Option<(String, String)>, jobs::Runner)> {
    state.db.migrate().await?;
    // On PostgreSQL, live events reach the operators connected to other processes.
    state.events.share(&state.db).await?;
    let first_login = auth::ensure_first_operator(&state.db).await?;
    store.migrate().await?;
    store.spawn_cleanup(std::time::Duration::from_secs(3600));
    // Turns a previous process stopped in the middle of (their messages are stored).
    turn::resume_pending(state).await?;
    let jobs = jobs::start(state);
    // Closed hours into the Overview's tables; the Overview reads later ones raw.
    stats::spawn_aggregator(state.db.clone(), std::time::Duration::from_secs(60));
    state.started.store(true, std::sync::atomic::Ordering::Release);
    Ok((first_login, jobs))
}

/// Tries [`start_with_database`] every [`DB_RETRY`] until it succeeds; prints the first
/// operator's login if that is when it was created.
async fn wait_for_database(state: AppState, store: AppSessionStore, jobs: Arc<Mutex<Option<jobs::Runner>>>) {
    loop {
        tokio::time::sleep(DB_RETRY).await;
        if state.db.reachable(DB_CONNECT_WAIT).await.is_err() {
            continue;
        }
        match start_with_database(&state, &store).await {
            Ok((first_login, runner)) => {
                *jobs.lock().await = Some(runner);
                tracing::info!("the database answers: start-up finished");
                if let Some((email, password)) = first_login {
                    println!(
                        "First start: an operator was created. Log in with {email} / {password} (shown only this once)"
                    );
                }
                return;
            }
            Err(e) => tracing::error!(error = %format!("{e:#}"), "start-up with the database failed; trying again"),
        }
    }
}

fn router(state: AppState) -> Router {
    let routes = route_list();
    let ctx_state = state.clone();
    let context = move || provide_context(ctx_state.clone());
    let opts = state.leptos_options.clone();
    let (rest, api) = http::router().split_for_parts();
    Router::new()
        .merge(rest)
        .merge(SwaggerUi::new("/docs").url("/openapi.json", http::openapi::document(api)))
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(opts.clone()))
        // Every matched route, REST and pages alike (the matched pattern is its label).
        .route_layer(axum::middleware::from_fn(http::metrics::track))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        // Viewer / editor / owner, for REST routes and server functions alike.
        .layer(axum::middleware::from_fn_with_state(state.clone(), http::roles::enforce))
        .layer(axum::middleware::from_fn_with_state(state.clone(), identity::chat_identity))
        // A bound for every body, server functions included (they buffer it whole).
        .layer(RequestBodyLimitLayer::new(http::limits::MAX_REQUEST_BYTES))
        .with_state(state)
}

/// The app's page routes, worked out once per process. Working them out runs the whole
/// app with resource loads suppressed, and leptos keeps that switch process-wide: a page
/// another server in the same process rendered meanwhile would wait forever for its
/// resources (leptos-rs/leptos#4773; the integration tests start many servers in one
/// process and hit it).
pub fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
