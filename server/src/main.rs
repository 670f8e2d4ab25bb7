//! `promptdev`: serve the app, or manage operators from the command line.

use anyhow::Context;
use app::engine::config::Config;
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
    /// Start the server (the default). Configured by environment variables, see README.
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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            "info,sqlx=warn,tower_sessions=warn,tower_http=warn,llama-cpp-2=warn,llama_cpp_2=warn".into()
        }))
        .init();
    let cli = Cli::parse();
    let config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::AdminCreate { email, is_super } => admin_create(config, &email, is_super).await,
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
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
