//! The command line: `serve` (stdio or HTTP), `tools`, `check-config` and `healthcheck`.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use rmcp::ServiceExt;

use super::config::Config;
use super::descriptor::{ApiDescriptor, ToolSpec};
use super::http::{self, HttpOptions};
use super::server::{self, McpServer};
use super::upstream::client_builder;

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
        /// Address for the HTTP transport.
        #[arg(long, env = "MCP_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
    /// Print the tool list as JSON.
    Tools,
    /// Check the configuration and name every missing or bad setting.
    CheckConfig,
    /// Check that a server on this machine is ready (`/readyz`); for container health checks.
    Healthcheck {
        /// The server's address.
        #[arg(long, env = "MCP_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Transport {
    /// Standard input and output.
    Stdio,
    /// Streamable HTTP at `/mcp`.
    Http,
}

/// Runs the command line of the server for `api` with `tools`.
pub fn main(api: &'static ApiDescriptor, tools: &'static [&'static [ToolSpec]]) -> ExitCode {
    let matches = Cli::command().name(api.crate_name).about(format!("MCP server for the {} API", api.title)).get_matches();
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
        Command::Healthcheck { listen } => run(healthcheck(listen)),
        Command::Serve { transport, listen } => {
            let config = match Config::from_env(api) {
                Ok(config) => config,
                Err(problems) => return report(api, &problems),
            };
            let server = match McpServer::new(api, tools, config) {
                Ok(server) => server,
                Err(error) => {
                    eprintln!("error: {error}");
                    return ExitCode::FAILURE;
                }
            };
            match transport {
                Transport::Stdio => run(serve_stdio(server)),
                Transport::Http => match HttpOptions::from_env(listen) {
                    Ok(options) => run(http::serve(server, options)),
                    Err(problems) => {
                        eprintln!("error: the HTTP settings are incomplete:");
                        for problem in problems {
                            eprintln!("  - {problem}");
                        }
                        ExitCode::FAILURE
                    }
                },
            }
        }
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

/// Runs `work` on a multi-threaded runtime; an error ends the process with a message.
fn run(work: impl std::future::Future<Output = Result<(), String>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(work) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve_stdio(server: McpServer) -> Result<(), String> {
    let running = server.serve(rmcp::transport::stdio()).await.map_err(|e| e.to_string())?;
    running.waiting().await.map_err(|e| e.to_string()).map(|_| ())
}

async fn healthcheck(listen: SocketAddr) -> Result<(), String> {
    let host = if listen.ip().is_unspecified() { "127.0.0.1".to_string() } else { listen.ip().to_string() };
    let host = if host.contains(':') { format!("[{host}]") } else { host };
    let url = format!("http://{host}:{}/readyz", listen.port());
    let client = client_builder().timeout(std::time::Duration::from_secs(5)).build().map_err(|e| e.to_string())?;
    let response = client.get(&url).send().await.map_err(|error| format!("{url}: {error}"))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    println!("{body}");
    if status.is_success() { Ok(()) } else { Err(format!("{url} answered {status}")) }
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
