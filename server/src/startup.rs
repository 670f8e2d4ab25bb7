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
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// How long shutdown waits for running turns (an LLM call may take up to its timeout).
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(150);

/// How long shutdown waits for running background jobs before giving them back to the
/// queue (a turn a job started still finishes within [`SHUTDOWN_GRACE`]).
pub const JOBS_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Name of the operator session cookie.
pub const SESSION_COOKIE: &str = "pd_session";

/// A built application bound to its port, ready to serve.
pub struct Application {
    listener: TcpListener,
    router: Router,
    /// The address actually bound (port 0 in the config picks a free port).
    pub addr: SocketAddr,
    pub state: AppState,
    /// Email and password of the operator created on this first start, if any.
    pub first_login: Option<(String, String)>,
    /// The background job runner, started with the app.
    jobs: jobs::Runner,
}

impl Application {
    /// Connects and migrates the database, creates the first operator if there is none,
    /// opens the session store and binds the port. Errors: database, port in use.
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
        // On PostgreSQL, live events reach the operators connected to other processes.
        state.events.share(&state.db).await?;
        let first_login = auth::ensure_first_operator(&state.db).await?;
        let store = AppSessionStore::open(&state.db).await?;
        store.spawn_cleanup(std::time::Duration::from_secs(3600));
        let sessions = SessionManagerLayer::new(store)
            .with_name(SESSION_COOKIE)
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(secure)
            .with_expiry(Expiry::OnInactivity(tower_sessions::cookie::time::Duration::hours(24)));
        let router = http::request_id::layer(router(state.clone()).layer(sessions));
        // Turns a previous process stopped in the middle of (their messages are stored).
        turn::resume_pending(&state).await?;
        let jobs = jobs::start(&state);
        // Closed hours into the Overview's tables; the Overview reads later ones raw.
        stats::spawn_aggregator(state.db.clone(), std::time::Duration::from_secs(60));
        Ok(Application { listener, router, addr, state, first_login, jobs })
    }

    /// Serves until the process gets Ctrl-C / SIGTERM, then waits (up to
    /// [`SHUTDOWN_GRACE`]) for the turns still running so their replies are stored.
    pub async fn run(self) -> anyhow::Result<()> {
        let turns = self.state.turns.clone();
        axum::serve(self.listener, self.router).with_graceful_shutdown(shutdown_signal()).await?;
        if !self.jobs.shutdown(JOBS_GRACE).await {
            tracing::info!("background jobs still running at the deadline were given back to the queue");
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
            let _ = axum::serve(self.listener, self.router).await;
        })
    }
}

fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let ctx_state = state.clone();
    let context = move || provide_context(ctx_state.clone());
    let opts = state.leptos_options.clone();
    Router::new()
        .merge(http::router())
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(opts.clone()))
        // Every matched route, REST and pages alike (the matched pattern is its label).
        .route_layer(axum::middleware::from_fn(http::metrics::track))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(axum::middleware::from_fn_with_state(state.clone(), identity::chat_identity))
        // A bound for every body, server functions included (they buffer it whole).
        .layer(RequestBodyLimitLayer::new(http::limits::MAX_REQUEST_BYTES))
        .with_state(state)
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
