//! Prometheus metrics: `GET /metrics` in the text exposition format, and the layer that
//! counts HTTP requests. The engine's own series are listed in `app::engine::telemetry`;
//! this adds `promptdev_http_requests_total{method,route,status}`,
//! `promptdev_http_request_duration_seconds{method,route}` (the route is axum's matched
//! pattern, e.g. `/admin/users/{user_id}`, never a user's value), `promptdev_sse_clients`,
//! and, read at each scrape, `promptdev_jobs{state}` (the job queue by state) and
//! `promptdev_db_connections{state="in_use"|"idle"}`. Public like `/health`: counts only,
//! no user data.

use app::engine::store::jobs;
use app::engine::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Histogram buckets (seconds) for every `_seconds` series: 5 ms to 2 min.
const BUCKETS: [f64; 14] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];

/// The process's recorder, installed on first use (one per process: the tests start many
/// apps in one process and share it).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .expect("static buckets are valid")
            .install_recorder()
            .expect("one Prometheus recorder per process")
    })
}

/// `GET /metrics`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(render))
}

/// Prometheus metrics.
///
/// The text exposition format (0.0.4): HTTP requests by route and status, turns, TTFT,
/// tokens, guardrail hits, the job queue, database connections. Counts only, no user data.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    security(()),
    responses((status = 200, description = "The metrics", content_type = "text/plain; version=0.0.4", body = String))
)]
async fn render(State(state): State<AppState>) -> Response {
    let handle = handle();
    match jobs::counts_by_state(&state.db).await {
        Ok(counts) => {
            for state in ["queued", "running", "done", "failed"] {
                let n = counts.iter().find(|(s, _)| s == state).map(|(_, n)| *n).unwrap_or(0);
                metrics::gauge!("promptdev_jobs", "state" => state).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: job counts unavailable"),
    }
    let (size, idle) = (state.db.pool.size() as f64, state.db.pool.num_idle() as f64);
    metrics::gauge!("promptdev_db_connections", "state" => "in_use").set(size - idle);
    metrics::gauge!("promptdev_db_connections", "state" => "idle").set(idle);
    ([(http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response()
}

/// Counts and times every request by method, matched route and status.
pub async fn track(req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().to_string();
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string());
    let resp = next.run(req).await;
    let route = route.unwrap_or_else(|| "(unmatched)".into());
    let status = resp.status().as_u16().to_string();
    metrics::counter!("promptdev_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("promptdev_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    resp
}
