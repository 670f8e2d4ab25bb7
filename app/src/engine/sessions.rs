//! The operator session store: tower-sessions' sqlx stores, on whichever database the
//! app uses. The stores need a typed pool, so this opens a small one beside the `AnyPool`.

use super::db::{Db, Dialect};
use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// SQLite or PostgreSQL session store, chosen by the database URL.
#[derive(Clone, Debug)]
pub enum AppSessionStore {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl AppSessionStore {
    /// Opens the store on the app's database and creates its table if needed.
    pub async fn open(db: &Db) -> anyhow::Result<Self> {
        let store = match db.dialect {
            Dialect::Sqlite => {
                let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(4).connect(&db.url).await?;
                let s = SqliteStore::new(pool);
                s.migrate().await?;
                AppSessionStore::Sqlite(s)
            }
            Dialect::Postgres => {
                let pool = sqlx::postgres::PgPoolOptions::new().max_connections(4).connect(&db.url).await?;
                let s = PostgresStore::new(pool);
                s.migrate().await?;
                AppSessionStore::Postgres(s)
            }
        };
        Ok(store)
    }

    /// Deletes expired sessions every `period` until the task is dropped.
    pub fn spawn_cleanup(&self, period: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let store = self.clone();
        tokio::spawn(async move {
            let r = match store {
                AppSessionStore::Sqlite(s) => s.continuously_delete_expired(period).await,
                AppSessionStore::Postgres(s) => s.continuously_delete_expired(period).await,
            };
            if let Err(e) = r {
                tracing::warn!(error = %e, "session cleanup stopped");
            }
        })
    }
}

#[async_trait]
impl SessionStore for AppSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            AppSessionStore::Sqlite(s) => s.create(record).await,
            AppSessionStore::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            AppSessionStore::Sqlite(s) => s.save(record).await,
            AppSessionStore::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            AppSessionStore::Sqlite(s) => s.load(id).await,
            AppSessionStore::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            AppSessionStore::Sqlite(s) => s.delete(id).await,
            AppSessionStore::Postgres(s) => s.delete(id).await,
        }
    }
}
