//! The command line: `serve`, `tools` and `check-config`.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use rmcp::ServiceExt;

use super::config::Config;
use super::descriptor::{ApiDescriptor, ToolSpec};
use super::server::{self, McpServer};
use super::upstream::Upstream;

#[derive(Parser)]
#[command(version, about = "An MCP server for an HTTP API")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve MCP.
    Serve {
        /// The transport.
        #[arg(long, env = "MCP_TRANSPORT", value_enum, default_value_t = Transport::Stdio)]
        transport: Transport,
    },
    /// Print the tool list as JSON.
    Tools,
    /// Check the configuration and name every missing or bad setting.
    CheckConfig,
}

#[derive(Clone, Copy, ValueEnum)]
enum Transport {
    /// Standard input and output.
    Stdio,
}

/// Runs the command line of the server for `api` with `tools`.
pub fn main(api: &'static ApiDescriptor, tools: &'static [&'static [ToolSpec]]) -> ExitCode {
    let matches =
        Cli::command().name(api.crate_name).about(format!("MCP server for the {} API", api.title)).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    init_logging();
    match cli.command {
        Command::Tools => print_tools(tools),
        Command::CheckConfig => match Config::from_env(api) {
            Ok(_) => {
                println!("configuration is complete");
                ExitCode::SUCCESS
            }
            Err(problems) => report(api, &problems),
        },
        Command::Serve { transport: Transport::Stdio } => serve_stdio(api, tools),
    }
}

fn print_tools(tools: &'static [&'static [ToolSpec]]) -> ExitCode {
    let list: Result<Vec<_>, _> = tools.iter().flat_map(|group| group.iter()).map(server::tool).collect();
    match list.and_then(|list| serde_json::to_string_pretty(&list).map_err(|e| e.to_string())) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn report(api: &ApiDescriptor, problems: &[super::config::ConfigProblem]) -> ExitCode {
    eprintln!("error: the configuration is incomplete:");
    for problem in problems {
        eprintln!("  - {problem}");
    }
    eprintln!("Variables this server reads:");
    for (var, required) in Config::variables(api) {
        eprintln!("  {var}{}", if required { " (required)" } else { "" });
    }
    ExitCode::FAILURE
}

fn serve_stdio(api: &'static ApiDescriptor, tools: &'static [&'static [ToolSpec]]) -> ExitCode {
    let config = match Config::from_env(api) {
        Ok(config) => config,
        Err(problems) => return report(api, &problems),
    };
    let server = match Upstream::new(config).and_then(|upstream| McpServer::new(api, tools, upstream)) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        let running = server.serve(rmcp::transport::stdio()).await.map_err(|e| e.to_string())?;
        running.waiting().await.map_err(|e| e.to_string())
    });
    match outcome {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the server stopped");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr (stdout carries the stdio transport): JSON lines when `LOG_FORMAT=json`.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::env::var("LOG_FORMAT").is_ok_and(|format| format.eq_ignore_ascii_case("json")) {
        builder.json().init();
    } else {
        builder.with_ansi(false).init();
    }
}
