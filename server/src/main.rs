//! `promptdev`: serve the app, or manage operators from the command line.

// Leptos view types of the app nest deeply; laying them out needs more room.
#![recursion_limit = "512"]

use anyhow::Context;
use app::engine::config::Config;
use app::engine::ids::WorkspaceId;
use clap::{Parser, Subcommand};
use server::startup::Application;
use std::io::{BufRead, IsTerminal};

#[derive(Parser)]
#[command(name = "promptdev", version, about = "PromptDev: a workbench for AI companion personas")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (the default). Configured by `promptdev.toml` and environment
    /// variables, see README.
    Serve,
    /// Create an operator with a workspace of their own. Prompts for the password, or
    /// reads it from standard input when that is not a terminal.
    AdminCreate {
        #[arg(long)]
        email: String,
        /// Make the operator a super admin.
        #[arg(long = "super")]
        is_super: bool,
    },
    /// Export a persona (every version, settings, labels) to a folder of `.jinja` files
    /// with a `persona.json` manifest (for git), or to one JSON file.
    PersonaExport {
        /// The operator whose workspace holds the persona.
        #[arg(long)]
        operator: String,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        target: Target,
    },
    /// Import a persona from a folder export or a JSON file.
    PersonaImport {
        /// The operator whose workspace receives the persona (recorded as the importer).
        #[arg(long)]
        operator: String,
        #[command(flatten)]
        target: Target,
        /// When the name exists: ask (fail and say so), new-version or rename.
        #[arg(long, default_value = "ask")]
        on_conflict: String,
        /// The name to use with `--on-conflict rename`.
        #[arg(long)]
        new_name: Option<String>,
    },
    /// Fill a workspace with demo history (three personas, two versions each, ~50
    /// messages per end user over 30 days, a request-log row per five messages), then
    /// aggregate its statistics. For trying the Overview and measuring it at scale.
    SeedDemo {
        /// How many messages (at least 100); users = messages / 50.
        #[arg(long, default_value_t = 100_000)]
        messages: i64,
        /// The operator whose workspace receives the data (the first operator by default).
        #[arg(long, default_value = "admin@promptdev.local")]
        operator: String,
    },
}

/// Where an export goes or an import comes from: exactly one of a folder or a file.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct Target {
    /// A folder: `persona.json` + `v<N>.jinja` files.
    #[arg(long)]
    dir: Option<std::path::PathBuf>,
    /// One JSON file (the dashboard's export format).
    #[arg(long)]
    file: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Bulk seeding runs statements sqlx would report as slow, by design.
    let default_filter = match cli.command {
        Some(Command::SeedDemo { .. }) => "warn,sqlx=error",
        _ => "info,sqlx=warn,tower_sessions=warn,tower_http=warn,llama-cpp-2=warn,llama_cpp_2=warn",
    };
    init_logs(default_filter);
    let config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::AdminCreate { email, is_super } => admin_create(config, &email, is_super).await,
        Command::PersonaExport { operator, name, target } => persona_export(config, &operator, &name, target).await,
        Command::PersonaImport { operator, target, on_conflict, new_name } => {
            persona_import(config, &operator, target, &on_conflict, new_name.as_deref()).await
        }
        Command::SeedDemo { messages, operator } => seed_demo(config, messages, &operator).await,
    }
}

/// Logs to standard error: readable lines on a terminal, one JSON object per event
/// otherwise (or with `PROMPTDEV_LOG_FORMAT=json`; `=text` forces lines), each with the
/// fields of its spans — a request's `request_id`, the one its `x-request-id` header and
/// any error body carry. `RUST_LOG` filters (default: `default_filter`).
fn init_logs(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default_filter.into());
    let json = match std::env::var("PROMPTDEV_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") => false,
        _ => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().with_current_span(false).with_span_list(true).init();
    } else {
        builder.init();
    }
}

/// The database and the workspace of the operator with `email`.
async fn operator_workspace(config: &Config, email: &str) -> anyhow::Result<(app::engine::db::Db, WorkspaceId)> {
    let db = app::engine::db::Db::connect(&config.database_url).await?;
    let ws = app::engine::store::accounts::workspace_of_operator(&db, &email.trim().to_lowercase())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let ws = ws.with_context(|| format!("no active operator {email}"))?;
    Ok((db, ws))
}

async fn seed_demo(config: Config, messages: i64, operator: &str) -> anyhow::Result<()> {
    let db = app::engine::db::Db::connect(&config.database_url).await?;
    if let Some((email, password)) = app::engine::auth::ensure_first_operator(&db).await? {
        println!("First operator created: {email} / {password} (shown once)");
    }
    let ws = operator_workspace(&config, operator).await?.1;
    let started = std::time::Instant::now();
    let seeded = app::engine::demo::seed(&db, ws, messages, operator, |line| println!("{line}"))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "Seeded {} messages, {} end users, {} request-log rows and personas {} in {:.1} s",
        seeded.messages,
        seeded.users,
        seeded.requests,
        seeded.personas.join(", "),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn persona_export(config: Config, operator: &str, name: &str, target: Target) -> anyhow::Result<()> {
    use app::engine::{personas, transfer};
    let (db, ws) = operator_workspace(&config, operator).await?;
    let id = personas::find_by_name(&db, ws, name.trim())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_context(|| format!("no persona named {name}"))?;
    let export = transfer::export(&db, ws, id).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    match (target.dir, target.file) {
        (Some(dir), _) => {
            transfer::write_folder(&dir, &export)?;
            println!("Exported {} ({} versions) to {}", export.name, export.versions.len(), dir.display());
        }
        (_, Some(file)) => {
            std::fs::write(&file, serde_json::to_string_pretty(&export)? + "\n")
                .with_context(|| format!("writing {}", file.display()))?;
            println!("Exported {} ({} versions) to {}", export.name, export.versions.len(), file.display());
        }
        (None, None) => anyhow::bail!("give --dir or --file"),
    }
    Ok(())
}

async fn persona_import(
    config: Config,
    operator: &str,
    target: Target,
    on_conflict: &str,
    new_name: Option<&str>,
) -> anyhow::Result<()> {
    use app::engine::transfer;
    let (db, ws) = operator_workspace(&config, operator).await?;
    let export = match (target.dir, target.file) {
        (Some(dir), _) => transfer::read_folder(&dir),
        (_, Some(file)) => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            transfer::parse_export(&text)
        }
        (None, None) => anyhow::bail!("give --dir or --file"),
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mode = transfer::parse_conflict(on_conflict).map_err(|e| anyhow::anyhow!("{e}"))?;
    let r = transfer::import(&db, ws, &export, mode, new_name, &operator.trim().to_lowercase())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "Imported {} (id {}): {} version(s) written, production at v{}",
        r.persona.name,
        r.persona.id,
        r.versions_created,
        r.persona.production_version.unwrap_or(r.persona.latest_version)
    );
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    config.check_exposed(&Config::figment())?;
    let app = Application::build(config).await?;
    let base = format!("http://{}", app.addr);
    let line = "=".repeat(64);
    println!("{line}\n PromptDev is running\n   Dashboard: {base}/dashboard\n   Chat:      {base}/chat\n   Health:    {base}/health");
    match &app.first_login {
        Some((email, password)) => println!(
            " First start: an operator was created. Log in with\n   email:    {email}\n   password: {password}\n (shown only this once; add operators with `make admin-create email=…`)"
        ),
        None => println!(" Log in with your operator account (new ones: `make admin-create email=…`)."),
    }
    println!("{line}");
    app.run().await
}

async fn admin_create(config: Config, email: &str, is_super: bool) -> anyhow::Result<()> {
    let password = if std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password(format!("Password for {email}: "))?;
        let again = rpassword::prompt_password("Repeat it: ")?;
        anyhow::ensure!(p == again, "the passwords differ");
        p
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("read the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    let db = app::engine::db::Db::connect(&config.database_url).await?;
    let op = app::engine::auth::create_operator(&db, email, &password, is_super)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("Created operator {} (workspace {}).", op.email, op.workspace_id);
    Ok(())
}
