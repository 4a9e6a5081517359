//! The `mcpgen` command line: the only code that reads configuration from disk, writes files or
//! touches the network.

mod compare;
mod fetch;
mod generate;
mod init;
mod inspect;
mod project;
mod ui;
mod update;
mod watch;
mod write;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};
use mcpgen::settings::{ApiJob, Settings};

use crate::compare::FailOn;
use crate::fetch::Fetcher;
use crate::project::Project;
use crate::ui::{ColorChoice, Format, Ui};

const EXIT_CODES: &str = "Exit codes:
  0  success
  1  generated files differ from the specs (check), or a breaking change (diff --fail-on breaking)
  2  invalid input or generation errors, or a usage error";

#[derive(Parser)]
#[command(version, about = "Generate MCP server crates from OpenAPI descriptions", after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to colour diagnostics: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Print only errors and what was asked for.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Also print every file written.
    #[arg(long, short, global = true)]
    verbose: bool,
}

/// The project file.
#[derive(clap::Args)]
struct ProjectFile {
    /// The project file that names the APIs.
    #[arg(long, default_value = "mcpgen.toml")]
    config: PathBuf,
}

/// How strict a run is, and how it prints what it found.
#[derive(clap::Args, Clone, Copy)]
struct Report {
    /// Treat warnings as errors.
    #[arg(long)]
    strict: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Settings shared by the commands that fetch specs.
#[derive(clap::Args, Clone, Copy)]
struct FetchArgs {
    /// Give up on a spec URL after this many seconds.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// Refuse a fetched spec larger than this many bytes.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    max_spec_bytes: u64,
}

impl FetchArgs {
    fn fetcher(self) -> Result<Fetcher, String> {
        Fetcher::new(Duration::from_secs(self.timeout.max(1)), self.max_spec_bytes)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Start a project: write a commented mcpgen.toml for a spec (a file or a URL), or add its API
    /// to the one there.
    Init {
        /// The spec: a file, or an https:// URL. Without one, a skeleton is written.
        spec: Option<String>,
        /// The API's name (default: from the spec's title).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        project: ProjectFile,
        #[command(flatten)]
        fetch: FetchArgs,
    },
    /// Regenerate every API of mcpgen.toml, or one spec with --spec and --out. Reads the copies of
    /// fetched specs that mcpgen.lock records; never the network.
    Generate {
        #[command(flatten)]
        project: ProjectFile,
        /// Generate this spec only (with --out): a file or a URL, fetched now. Repeated, the specs
        /// make one API, merged in order.
        #[arg(long, requires = "out")]
        spec: Vec<String>,
        /// Output folder for --spec.
        #[arg(long, requires = "spec")]
        out: Option<PathBuf>,
        /// API name for --spec (default: the spec's file stem).
        #[arg(long, requires = "spec")]
        name: Option<String>,
        #[command(flatten)]
        report: Report,
        /// Overwrite generated files edited by hand, and remove them when no longer generated.
        #[arg(long)]
        force: bool,
        /// Regenerate whenever a spec or the project file changes, until interrupted.
        #[arg(long, conflicts_with = "format")]
        watch: bool,
        #[command(flatten)]
        fetch: FetchArgs,
    },
    /// Exit 1 with a diff when generated files differ from what the specs produce.
    Check {
        #[command(flatten)]
        project: ProjectFile,
        #[command(flatten)]
        report: Report,
    },
    /// Fetch the specs APIs take from URLs, show what changed in their tools, record them in
    /// mcpgen.lock and regenerate. A failed fetch changes nothing.
    Update {
        /// The APIs to update (default: all).
        apis: Vec<String>,
        #[command(flatten)]
        project: ProjectFile,
        /// Treat warnings as errors.
        #[arg(long)]
        strict: bool,
        /// Overwrite generated files edited by hand.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        fetch: FetchArgs,
    },
    /// Show what changes for clients that call the tools: between two specs (OLD NEW, files or
    /// URLs), or between an API of mcpgen.toml as last generated and its specs now.
    Diff {
        /// OLD NEW, or the name of an API.
        #[arg(num_args = 1..=2, required = true, value_names = ["OLD|API", "NEW"])]
        specs: Vec<String>,
        /// API name for two specs (default: OLD's file stem).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        project: ProjectFile,
        /// For an API: compare with the copies mcpgen.lock records instead of fetching its URLs.
        #[arg(long)]
        offline: bool,
        /// Exit 1 on these changes.
        #[arg(long, value_enum, default_value_t)]
        fail_on: FailOn,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        #[command(flatten)]
        fetch: FetchArgs,
    },
    /// Show the tools a spec or an API of mcpgen.toml gives, the size of their list per profile and
    /// mode, and the diagnostics.
    Inspect {
        /// A spec file or URL, or the name of an API of the project file (then with its settings and
        /// profiles).
        spec: String,
        /// API name for a spec (default: the file stem).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        project: ProjectFile,
        #[command(flatten)]
        report: Report,
        #[command(flatten)]
        fetch: FetchArgs,
    },
    /// Print a completion script for a shell: `mcpgen completions bash > /etc/bash_completion.d/mcpgen`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// How a run ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything went as asked.
    Success,
    /// Generated files drifted, or a breaking change was found where it fails the run.
    Changed,
    /// Invalid input or generation errors.
    Invalid,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(match exit {
            Exit::Success => 0,
            Exit::Changed => 1,
            Exit::Invalid => 2,
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = match &cli.command {
        Command::Generate { report, .. } | Command::Check { report, .. } | Command::Inspect { report, .. } => {
            report.format
        }
        Command::Diff { format, .. } => *format,
        _ => Format::Human,
    };
    let ui = Ui::new(cli.color, cli.quiet, cli.verbose, format);
    match run(cli.command, &ui) {
        Ok(exit) => exit.into(),
        Err(message) => {
            ui.error(message);
            Exit::Invalid.into()
        }
    }
}

fn run(command: Command, ui: &Ui) -> Result<Exit, String> {
    Ok(match command {
        Command::Init { spec, name, project, fetch } => {
            init::init(&project.config, spec.as_deref(), name, &|| fetch.fetcher(), ui)
        }
        Command::Generate { spec, out: Some(out), name, report, force, watch, fetch, .. } if !spec.is_empty() => {
            let strict = report.strict;
            let job = command_line_job(&spec, out, name, fetch)?;
            if watch {
                return Ok(watch::watch(&watch::Target::Job(Box::new(job)), strict, force, ui));
            }
            generate::generate(None, &[job], strict, force, ui)
        }
        Command::Generate { project, report, force, watch: true, .. } => {
            watch::watch(&watch::Target::Project(project.config), report.strict, force, ui)
        }
        Command::Generate { project, report, force, .. } => {
            let project = Project::load(&project.config)?;
            generate::generate(Some(&project), &project.jobs, report.strict, force, ui)
        }
        Command::Check { project, report } => {
            let project = Project::load(&project.config)?;
            generate::check(&project, &project.jobs, report.strict, ui)
        }
        Command::Update { apis, project, strict, force, fetch } => {
            let mut project = Project::load(&project.config)?;
            let jobs = project.select(&apis)?;
            let fetcher = fetch.fetcher()?;
            update::update(&mut project, &jobs, &fetcher, strict, force, ui)
        }
        Command::Diff { specs, name, project, offline, fail_on, fetch, .. } => {
            let report = match specs.as_slice() {
                [old, new] => compare::specs(old, new, name, &|| fetch.fetcher(), ui),
                [api] => {
                    let project = Project::load(&project.config)?;
                    let job = project.select(std::slice::from_ref(api))?.remove(0);
                    compare::api(&job, offline, &|| fetch.fetcher(), ui)
                }
                _ => return Err("give two specs, or the name of an API".into()),
            };
            match report {
                Ok(report) => compare::print(&report, fail_on, ui),
                Err(exit) => exit,
            }
        }
        Command::Inspect { spec, name, project, report, fetch } => {
            let job = inspect_job(&spec, name, &project.config, fetch)?;
            let mut output = project::generate_job(&job);
            project::locate_in_config(&mut output, &project.config);
            inspect::inspect(&job, &output, report.strict, ui)
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "mcpgen", &mut std::io::stdout());
            Exit::Success
        }
    })
}

/// The API of `--spec` and `--out`: files as they are, URLs fetched now, as the user asked (a
/// project keeps and locks its copies instead: `mcpgen update`).
fn command_line_job(specs: &[String], out: PathBuf, name: Option<String>, fetch: FetchArgs) -> Result<ApiJob, String> {
    let name = name.unwrap_or_else(|| project::file_stem(&specs[0]));
    let sources = specs.iter().map(|spec| project::spec_source(spec, || fetch.fetcher())).collect::<Result<_, _>>()?;
    Ok(ApiJob { specs: sources, out, settings: Settings::new(name) })
}

/// What `inspect` looks at: a spec (a URL fetched now) with default settings, or an API of the
/// project file.
fn inspect_job(
    target: &str,
    name: Option<String>,
    config: &std::path::Path,
    fetch: FetchArgs,
) -> Result<ApiJob, String> {
    if mcpgen::settings::is_url(target) || std::path::Path::new(target).is_file() {
        return Ok(ApiJob {
            settings: Settings::new(name.unwrap_or_else(|| project::file_stem(target))),
            specs: vec![project::spec_source(target, || fetch.fetcher())?],
            out: PathBuf::new(),
        });
    }
    let project = Project::load(config)
        .map_err(|_| format!("{target} is neither a spec file nor an API of {}", config.display()))?;
    project.select(&[target.to_string()]).map(|mut jobs| jobs.remove(0)).map_err(|_| {
        let known: Vec<&str> = project.jobs.iter().map(|job| job.settings.name.as_str()).collect();
        format!("{target} is neither a spec file nor an API of {} (it has {})", config.display(), known.join(", "))
    })
}
