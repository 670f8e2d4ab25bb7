//! The REST API's error response: an [`AppError`] as `{"error": {"code", "message",
//! "request_id", …}}` (`request_id`: the request's `x-request-id`, in every log line about it)
//! (the variant's fields beside `code` and `message`) with the status of
//! [`AppError::status`]; axum's body, path and query rejections become `invalid` (422)
//! or `too_large` (413) in the same shape.

use super::limits::{IMPORT_BODY_BYTES, JSON_BODY_BYTES};
use app::error::AppError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// An [`AppError`] rendered as a JSON response.
#[derive(Debug)]
pub struct ApiError(pub AppError);

/// What a REST handler answers: a JSON body with status 200, or an [`ApiError`].
pub type ApiResult<T> = Result<Json<T>, ApiError>;

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        if r.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError(AppError::TooLarge {
                message: format!(
                    "the request body is too large: at most {} KiB here ({} MiB for an import)",
                    JSON_BODY_BYTES / 1024,
                    IMPORT_BODY_BYTES / 1024 / 1024
                ),
            });
        }
        ApiError(AppError::Invalid {
            field: None,
            message: format!("the request body is not valid: {}", r.body_text()),
        })
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError(AppError::Invalid { field: None, message: r.body_text() })
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError(AppError::Invalid { field: None, message: r.body_text() })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::to_value(&self.0).unwrap_or_else(|_| json!({}));
        if let Some(obj) = body.as_object_mut() {
            obj.insert("code".into(), json!(self.0.code()));
            obj.insert("message".into(), json!(self.0.to_string()));
            // The id of the log lines about this request (and of its `x-request-id`).
            if let Some(id) = app::engine::request_id::current() {
                obj.entry("request_id").or_insert(json!(id));
            }
        }
        let mut resp = (self.0.status(), Json(json!({ "error": body }))).into_response();
        if let AppError::RateLimited { retry_after_s, .. } = &self.0 {
            resp.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from(*retry_after_s));
        }
        resp
    }
}
