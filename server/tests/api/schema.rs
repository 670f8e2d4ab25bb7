//! The two migration trees (`migrations/sqlite`, `migrations/postgres`) define the same
//! tables, each with the same columns and the same nullability: both are applied to fresh
//! databases (as `Db::connect` does at startup) and their catalogues compared.

use crate::helpers::{fresh_database, Backend};
use sqlx::Connection;
use std::collections::BTreeMap;

/// Table → column → NOT NULL.
type Schema = BTreeMap<String, BTreeMap<String, bool>>;

/// Not ours: sqlx's bookkeeping and the session store's table (tower-sessions creates it
/// itself; `Db::connect` does not, but a database used by the server has it).
const IGNORED_TABLES: &[&str] = &["_sqlx_migrations", "tower_sessions", "session"];

/// Columns whose nullability differs on purpose: (table, column, why).
const NULLABILITY_EXCEPTIONS: &[(&str, &str, &str)] = &[(
    "user_memory",
    "id",
    "SQLite cannot add a NOT NULL column without a default; a trigger fills it after each \
     insert (PostgreSQL: BIGSERIAL)",
)];

async fn sqlite_schema() -> Schema {
    let url = fresh_database(Backend::Sqlite).await;
    app::engine::db::Db::connect(&url).await.expect("the SQLite migrations apply");
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    // A rowid table's INTEGER PRIMARY KEY is never NULL, though `notnull` says 0.
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT m.name, p.name, p.\"notnull\", p.pk FROM sqlite_master m, pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    collect(rows.into_iter().map(|(t, c, not_null, pk)| (t, c, not_null != 0 || pk != 0)))
}

async fn postgres_schema() -> Schema {
    let url = fresh_database(Backend::Postgres).await;
    app::engine::db::Db::connect(&url).await.expect("the PostgreSQL migrations apply");
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, is_nullable::text FROM information_schema.columns
         WHERE table_schema = current_schema()",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    collect(rows.into_iter().map(|(t, c, nullable)| (t, c, nullable == "NO")))
}

fn collect(rows: impl Iterator<Item = (String, String, bool)>) -> Schema {
    let mut schema = Schema::new();
    for (table, column, not_null) in rows.filter(|(t, _, _)| !IGNORED_TABLES.contains(&t.as_str())) {
        schema.entry(table).or_default().insert(column, not_null);
    }
    schema
}

fn names<V>(map: &BTreeMap<String, V>) -> Vec<&str> {
    map.keys().map(String::as_str).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_migrations_define_the_same_schema() {
    let (sqlite, postgres) = tokio::join!(sqlite_schema(), postgres_schema());
    assert!(sqlite.contains_key("messages") && sqlite.contains_key("user_memory"), "{sqlite:?}");
    assert_eq!(names(&sqlite), names(&postgres), "tables: SQLite (left) vs PostgreSQL (right)");
    let mut differences = Vec::new();
    for (table, sqlite_columns) in &sqlite {
        let postgres_columns = &postgres[table];
        if names(sqlite_columns) != names(postgres_columns) {
            differences.push(format!(
                "{table}: SQLite has {:?}, PostgreSQL has {:?}",
                names(sqlite_columns),
                names(postgres_columns)
            ));
            continue;
        }
        for (column, not_null) in sqlite_columns {
            let excepted = NULLABILITY_EXCEPTIONS.iter().any(|(t, c, _)| t == table && c == column);
            if !excepted && *not_null != postgres_columns[column] {
                differences.push(format!(
                    "{table}.{column}: NOT NULL on {}",
                    if *not_null { "SQLite only" } else { "PostgreSQL only" }
                ));
            }
        }
    }
    for (table, column, why) in NULLABILITY_EXCEPTIONS {
        let (s, p) = (sqlite[*table][*column], postgres[*table][*column]);
        assert!(s != p, "{table}.{column} is listed as an exception ({why}) but now matches: remove it");
    }
    assert!(differences.is_empty(), "the migration trees differ:\n{}", differences.join("\n"));
}
