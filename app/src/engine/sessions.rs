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
    /// Opens the store on the app's database (connecting on first use, like
    /// [`Db::open`]); [`AppSessionStore::migrate`] creates its table. Errors: the URL.
    pub fn open_lazy(db: &Db) -> anyhow::Result<Self> {
        Ok(match db.dialect {
            Dialect::Sqlite => {
                let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(4).connect_lazy(&db.url)?;
                AppSessionStore::Sqlite(SqliteStore::new(pool))
            }
            Dialect::Postgres => {
                let pool = sqlx::postgres::PgPoolOptions::new().max_connections(4).connect_lazy(&db.url)?;
                AppSessionStore::Postgres(PostgresStore::new(pool))
            }
        })
    }

    /// Creates the store's table if needed. Errors: the database does not answer.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            AppSessionStore::Sqlite(s) => s.migrate().await?,
            AppSessionStore::Postgres(s) => s.migrate().await?,
        }
        Ok(())
    }

    /// Opens the store on the app's database and creates its table if needed.
    pub async fn open(db: &Db) -> anyhow::Result<Self> {
        let store = Self::open_lazy(db)?;
        store.migrate().await?;
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
