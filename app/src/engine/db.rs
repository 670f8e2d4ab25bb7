//! The database: one `AnyPool` over SQLite or PostgreSQL, one set of queries (`$1`
//! placeholders work in both), per-dialect migrations from `migrations/`.

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use std::str::FromStr;

/// SQL dialect behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A connected, migrated database.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub dialect: Dialect,
    /// The URL it was opened with (the session store opens its own typed pool on it).
    pub url: String,
}

impl Db {
    /// One round trip (`SELECT 1`), for health checks. Errors: the database does not answer.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }

    /// Opens the database at `url` (`sqlite://path` creates the file and its directory;
    /// `postgres://…` must exist) and applies pending migrations.
    /// Errors: unreachable server, unwritable path, a failed migration.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        let db = Db::open(url)?;
        db.migrate().await?;
        Ok(db)
    }

    /// The pool for `url` without connecting yet: connections are made on first use, so a
    /// server can start while its database is down and report it on `/ready`. Errors: a
    /// URL that is not `sqlite://…` or `postgres://…` or does not parse; an SQLite
    /// directory that cannot be created.
    pub fn open(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Dialect::Postgres
        } else if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite:// or postgres://");
        };
        let url = if dialect == Dialect::Sqlite { prepare_sqlite_file(url)? } else { url.to_string() };
        let opts = sqlx::any::AnyConnectOptions::from_str(&url).context("parse DATABASE_URL")?;
        let pool = AnyPoolOptions::new()
            .max_connections(if dialect == Dialect::Sqlite { 8 } else { 16 })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        use sqlx::Executor;
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            })
            .connect_lazy_with(opts);
        Ok(Db { pool, dialect, url })
    }

    /// Whether one new connection opens within `within` (the pool would keep retrying
    /// for its whole acquire timeout). Errors: why it did not, for the log.
    pub async fn reachable(&self, within: std::time::Duration) -> anyhow::Result<()> {
        use sqlx::Connection;
        let opts = sqlx::any::AnyConnectOptions::from_str(&self.url).context("parse DATABASE_URL")?;
        let conn = tokio::time::timeout(within, sqlx::AnyConnection::connect_with(&opts))
            .await
            .map_err(|_| anyhow::anyhow!("no answer from {} within {within:?}", redact(&self.url)))?
            .with_context(|| format!("connect to {}", redact(&self.url)))?;
        let _ = conn.close().await;
        Ok(())
    }

    /// Applies pending migrations. Errors: the database does not answer, a migration fails.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        self.migrator().run(&self.pool).await.with_context(|| format!("apply migrations to {}", redact(&self.url)))
    }

    /// The migrations built into this binary for the dialect.
    fn migrator(&self) -> sqlx::migrate::Migrator {
        match self.dialect {
            Dialect::Sqlite => sqlx::migrate!("../migrations/sqlite"),
            Dialect::Postgres => sqlx::migrate!("../migrations/postgres"),
        }
    }

    /// Whether every migration built into this binary is applied (a newer database is
    /// fine). Errors: the database does not answer.
    pub async fn migrations_applied(&self) -> Result<bool, sqlx::Error> {
        let newest = self.migrator().iter().map(|m| m.version).max().unwrap_or(0);
        let applied: Option<i64> =
            match sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&self.pool)
                .await
            {
                Ok(v) => v,
                // No table yet: nothing applied.
                Err(sqlx::Error::Database(_)) => None,
                Err(e) => return Err(e),
            };
        Ok(applied.unwrap_or(0) >= newest)
    }
}

/// Adds `mode=rwc` and creates the parent directory so a fresh checkout just works.
fn prepare_sqlite_file(url: &str) -> anyhow::Result<String> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let file = path.split('?').next().unwrap_or_default();
    if file != ":memory:" && !file.is_empty() {
        if let Some(dir) = std::path::Path::new(file).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        }
    }
    Ok(if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// The URL without its password, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or_default();
            format!("{}{}:***{}", &url[..s + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(redact("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn sqlite_urls_gain_create_mode() {
        let dir = std::env::temp_dir().join(format!("pd-{}", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}/a.db", dir.display());
        assert!(prepare_sqlite_file(&url).unwrap().ends_with("a.db?mode=rwc"));
        assert!(dir.exists());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
