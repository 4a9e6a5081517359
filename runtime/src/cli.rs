//! The command line: `serve` (stdio or HTTP), `tools`, `check-config` and `healthcheck`.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{EnvFilter, FilterExt, LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use super::catalog::{ALL_PROFILE, Catalog, CatalogOptions};
use super::config::{Config, ConfigProblem, Reader};
use super::descriptor::{ApiDescriptor, ToolSpec};
use super::http::{self, HttpOptions};
use super::server::McpServer;
use super::stdio;
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
        #[arg(long, env = "MCP_LISTEN", default_value = DEFAULT_LISTEN)]
        listen: SocketAddr,
    },
    /// Print the profile's tools as JSON, or with `--profiles` the tool names of every profile.
    Tools {
        /// The profile (default: the server's default profile).
        #[arg(long, env = "MCP_PROFILE")]
        profile: Option<String>,
        /// Print every profile's tool names instead.
        #[arg(long)]
        profiles: bool,
    },
    /// Check the configuration and name every missing or bad setting.
    CheckConfig,
    /// Check that a server on this machine is ready (`/readyz`); for container health checks.
    Healthcheck {
        /// The server's address.
        #[arg(long, env = "MCP_LISTEN", default_value = DEFAULT_LISTEN)]
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

/// Dependencies whose logs are capped at `info` whatever `RUST_LOG` says: at `debug` and `trace`
/// they print whole MCP messages, HTTP headers and bodies (tool arguments, credentials, patient data).
const QUIET_DEPENDENCIES: &[&str] = &["rmcp", "hyper", "hyper_util", "h2", "reqwest", "rustls", "axum", "tower", "mio"];

/// Where the HTTP transport listens unless told otherwise.
const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The most bytes of a `/readyz` answer the health check reads.
const MAX_HEALTH_BODY_BYTES: usize = 64 * 1024;

/// Runs the command line of the server for `api` with `tools`.
pub fn main(api: &'static ApiDescriptor, tools: &'static [&'static [ToolSpec]]) -> ExitCode {
    // `.env` in the working directory, when present, fills in what the environment leaves unset.
    let dotenv = match dotenvy::dotenv() {
        Err(error) if !error.not_found() => Some(error),
        _ => None,
    };
    let matches =
        Cli::command().name(api.crate_name).about(format!("MCP server for the {} API", api.title)).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    init_logging();
    if let Some(error) = dotenv {
        eprintln!("error: .env cannot be read: {error}");
        return ExitCode::FAILURE;
    }
    match cli.command {
        Command::Tools { profiles: true, .. } => print_profiles(api, tools),
        Command::Tools { profile, .. } => print_tools(api, tools, profile),
        Command::CheckConfig => check_config(api),
        Command::Healthcheck { listen } => run(tokio::runtime::Builder::new_current_thread(), healthcheck(listen)),
        Command::Serve { transport, listen } => {
            let (config, options) = match (Config::from_env(api), CatalogOptions::from_env(api)) {
                (Ok(config), Ok(options)) => (config, options),
                (config, options) => {
                    let problems: Vec<ConfigProblem> =
                        config.err().into_iter().chain(options.err()).flatten().collect();
                    return report(api, &problems);
                }
            };
            let server = match McpServer::new(api, tools, config, &options) {
                Ok(server) => server,
                Err(error) => {
                    eprintln!("error: {error}");
                    return ExitCode::FAILURE;
                }
            };
            match transport {
                // One client on one connection: a single thread runs its calls, with no hand-offs
                // between workers.
                Transport::Stdio => run(tokio::runtime::Builder::new_current_thread(), stdio::serve(server)),
                Transport::Http => match HttpOptions::from_env(listen) {
                    Ok(options) => run(tokio::runtime::Builder::new_multi_thread(), http::serve(server, options)),
                    Err(problems) => report(api, &problems),
                },
            }
        }
    }
}

fn print_tools(
    api: &'static ApiDescriptor,
    tools: &'static [&'static [ToolSpec]],
    profile: Option<String>,
) -> ExitCode {
    let options =
        match CatalogOptions::from_lookup(api, |var| if var == "MCP_PROFILE" { profile.clone() } else { None }) {
            Ok(options) => options,
            Err(problems) => return report(api, &problems),
        };
    let listed = Catalog::new(api, tools, &options).and_then(|catalog| catalog.tools());
    print_json(listed.and_then(|list| serde_json::to_value(list).map_err(|e| e.to_string())))
}

fn print_profiles(api: &'static ApiDescriptor, tools: &'static [&'static [ToolSpec]]) -> ExitCode {
    let names = std::iter::once(ALL_PROFILE).chain(api.profiles.iter().map(|profile| profile.name));
    let profiles: Result<serde_json::Map<String, serde_json::Value>, String> = names
        .map(|name| {
            let options = CatalogOptions::from_lookup(api, |var| (var == "MCP_PROFILE").then(|| name.to_string()))
                .map_err(|problems| problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))?;
            let catalog = Catalog::new(api, tools, &options)?;
            Ok((name.to_string(), serde_json::json!(catalog.names())))
        })
        .collect();
    print_json(profiles.map(|profiles| serde_json::json!({"default": api.default_profile, "profiles": profiles})))
}

fn print_json(value: Result<serde_json::Value, String>) -> ExitCode {
    match value.and_then(|value| serde_json::to_string_pretty(&value).map_err(|e| e.to_string())) {
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

/// Checks every setting, the HTTP transport's included, and names each problem.
fn check_config(api: &ApiDescriptor) -> ExitCode {
    let mut problems = Config::from_env(api).err().unwrap_or_default();
    problems.extend(CatalogOptions::from_env(api).err().unwrap_or_default());
    let mut reader = Reader::new(|name: &str| std::env::var(name).ok());
    if let Some(listen) = reader.address("MCP_LISTEN").or_else(|| DEFAULT_LISTEN.parse().ok()) {
        problems.extend(HttpOptions::from_env(listen).err().unwrap_or_default());
    }
    problems.extend(reader.into_problems());
    if problems.is_empty() {
        println!("configuration is complete");
        ExitCode::SUCCESS
    } else {
        report(api, &problems)
    }
}

fn report(api: &ApiDescriptor, problems: &[ConfigProblem]) -> ExitCode {
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

/// Runs `work` on the runtime that `builder` makes; an error ends the process with a message.
fn run(mut builder: tokio::runtime::Builder, work: impl std::future::Future<Output = Result<(), String>>) -> ExitCode {
    let runtime = match builder.enable_all().build() {
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

async fn healthcheck(listen: SocketAddr) -> Result<(), String> {
    let host = if listen.ip().is_unspecified() { "127.0.0.1".to_string() } else { listen.ip().to_string() };
    let host = if host.contains(':') { format!("[{host}]") } else { host };
    let url = format!("http://{host}:{}/readyz", listen.port());
    let client = client_builder()?.timeout(std::time::Duration::from_secs(5)).build().map_err(|e| e.to_string())?;
    let mut response = client.get(&url).send().await.map_err(|error| format!("{url}: {error}"))?;
    let status = response.status();
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk[..chunk.len().min(MAX_HEALTH_BODY_BYTES.saturating_sub(body.len()))]);
        if body.len() >= MAX_HEALTH_BODY_BYTES {
            break;
        }
    }
    println!("{}", String::from_utf8_lossy(&body));
    if status.is_success() { Ok(()) } else { Err(format!("{url} answered {status}")) }
}

/// Logs go to stderr (stdout carries the stdio transport): JSON lines when `LOG_FORMAT=json`.
/// `RUST_LOG` chooses the levels, but never lets [`QUIET_DEPENDENCIES`] log below `info`.
fn init_logging() {
    let chosen = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let caps = QUIET_DEPENDENCIES.iter().fold(Targets::new().with_default(LevelFilter::TRACE), |caps, target| {
        caps.with_target(*target, LevelFilter::INFO)
    });
    let filter = chosen.and(caps);
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let layer = if std::env::var("LOG_FORMAT").is_ok_and(|format| format.eq_ignore_ascii_case("json")) {
        layer.json().with_filter(filter).boxed()
    } else {
        layer.with_ansi(false).with_filter(filter).boxed()
    };
    let _ = tracing_subscriber::registry().with(layer).try_init();
}
