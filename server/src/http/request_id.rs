//! One id per request: the client's `x-request-id` when it sent a usable one, otherwise a
//! fresh UUID. It is echoed in the response's `x-request-id`, recorded in the request's
//! trace span, and is the `request_id` of any [`AppError::Internal`](app::error::AppError)
//! the request answers (the engine reads it through [`app::engine::request_id`]).

use app::engine::request_id;
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::{from_fn, Next};
use axum::response::Response;
use axum::Router;
use http::{HeaderMap, HeaderValue};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The header carrying the id, both ways.
pub const X_REQUEST_ID: &str = "x-request-id";

/// Longest client-sent id kept, in bytes; a longer one is replaced by a fresh UUID.
pub const MAX_CLIENT_ID_BYTES: usize = 128;

/// Wraps `router` (outermost first): set the id if the request has none, replace an
/// unusable one, run the rest inside [`request_id::scope`], copy the id to the response,
/// trace the request in a span with `request_id`.
pub fn layer(router: Router) -> Router {
    router
        .layer(TraceLayer::new_for_http().make_span_with(make_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(from_fn(scope))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// The request's id as text, when it is one we keep (visible ASCII, not too long).
fn usable_id(headers: &HeaderMap) -> Option<String> {
    let id = headers.get(X_REQUEST_ID)?.to_str().ok()?;
    (!id.is_empty() && id.len() <= MAX_CLIENT_ID_BYTES).then(|| id.to_owned())
}

/// Runs the request inside [`request_id::scope`]; an id that cannot be used as text is
/// replaced first, so the header, the log and the error body always agree.
async fn scope(mut req: Request, next: Next) -> Response {
    let id = match usable_id(req.headers()) {
        Some(id) => id,
        None => {
            let id = uuid::Uuid::new_v4().to_string();
            let value = HeaderValue::from_str(&id).expect("a UUID is a valid header value");
            req.headers_mut().insert(X_REQUEST_ID, value.clone());
            req.extensions_mut().insert(RequestId::new(value));
            id
        }
    };
    request_id::scope(id, next.run(req)).await
}

/// The `request` span of [`TraceLayer`], at INFO so its fields reach the default log.
fn make_span(req: &http::Request<Body>) -> tracing::Span {
    let request_id = req.headers().get(X_REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default();
    tracing::info_span!("request", method = %req.method(), uri = %req.uri(), version = ?req.version(), request_id)
}
