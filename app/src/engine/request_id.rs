//! The id of the HTTP request being served, so an [`internal`](super::internal) error
//! carries the same id as the request's `x-request-id` header and its log lines.
//!
//! The server runs every request inside [`scope`] with the id from that header. A task
//! spawned from a request (a chat turn on its own task) does not inherit it: there
//! [`current`] is `None` and `internal` mints a fresh id, as for any work done outside a
//! request.

use std::future::Future;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Runs `fut` with `id` as the current request id (what [`current`] answers inside it).
pub async fn scope<F: Future>(id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
}

/// The id of the request this task is serving; `None` outside [`scope`] (start-up,
/// background turns, tests).
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// A fresh id for an error that happens outside any request: 12 lowercase hex digits.
pub fn fresh() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// The current request's id, or a [`fresh`] one outside a request.
pub fn current_or_fresh() -> String {
    current().unwrap_or_else(fresh)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;

    #[tokio::test]
    async fn internal_inside_a_scope_carries_the_request_id() {
        let err = scope("abc".into(), async { crate::engine::internal("test", "boom") }).await;
        assert_eq!(err, AppError::Internal { request_id: "abc".into() });
    }

    #[tokio::test]
    async fn the_scope_holds_across_awaits_and_ends_with_the_future() {
        let seen = scope("req-1".into(), async {
            tokio::task::yield_now().await;
            current()
        })
        .await;
        assert_eq!(seen.as_deref(), Some("req-1"));
        assert_eq!(current(), None);
    }

    #[tokio::test]
    async fn outside_a_request_internal_mints_a_fresh_id() {
        let AppError::Internal { request_id: a } = crate::engine::internal("test", "boom") else { panic!() };
        let AppError::Internal { request_id: b } = crate::engine::internal("test", "boom") else { panic!() };
        assert_eq!(a.len(), 12);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()), "{a}");
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn a_spawned_task_does_not_inherit_the_id() {
        let inner = scope("outer".into(), async { tokio::spawn(async { current() }).await.unwrap() }).await;
        assert_eq!(inner, None);
    }

    #[tokio::test]
    async fn a_database_error_carries_the_request_id() {
        let err = scope("db-1".into(), async { AppError::from(sqlx::Error::PoolClosed) }).await;
        assert_eq!(err, AppError::Internal { request_id: "db-1".into() });
    }
}
