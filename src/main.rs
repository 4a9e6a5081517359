//! The `mcpgen` command line: the only code that reads configuration from disk and writes files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mcpgen::settings::{ApiJob, ProjectConfig, Settings};
use mcpgen::{Output, diag::Diagnostic, load};

/// Files and folders inside an output folder that belong to the user, never to mcpgen.
const USER_OWNED: &[&str] = &["target", ".env"];

#[derive(Parser)]
#[command(version, about = "Generate MCP server crates from OpenAPI descriptions")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate every API of mcpgen.toml, or one spec with --spec and --out.
    Generate {
        /// The project file.
        #[arg(long, default_value = "mcpgen.toml")]
        config: PathBuf,
        /// Generate this spec only (with --out).
        #[arg(long, requires = "out")]
        spec: Option<PathBuf>,
        /// Output folder for --spec.
        #[arg(long, requires = "spec")]
        out: Option<PathBuf>,
        /// API name for --spec (default: the spec's file stem).
        #[arg(long, requires = "spec")]
        name: Option<String>,
        /// Treat warnings as errors.
        #[arg(long)]
        strict: bool,
    },
    /// Exit 1 with a diff when generated files differ from what the specs produce.
    Check {
        /// The project file.
        #[arg(long, default_value = "mcpgen.toml")]
        config: PathBuf,
        /// Treat warnings as errors.
        #[arg(long)]
        strict: bool,
    },
    /// Show the tools a spec gives, their size and the diagnostics.
    Inspect {
        /// The spec.
        spec: PathBuf,
        /// API name (default: the spec's file stem).
        #[arg(long)]
        name: Option<String>,
        /// Treat warnings as errors.
        #[arg(long)]
        strict: bool,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Generate { config: _, spec: Some(spec), out: Some(out), name, strict } => {
            let name = name.unwrap_or_else(|| file_stem(&spec));
            generate(&[ApiJob { spec, out, settings: Settings::new(name) }], strict)
        }
        Command::Generate { config, strict, .. } => jobs(&config).and_then(|jobs| generate(&jobs, strict)),
        Command::Check { config, strict } => jobs(&config).and_then(|jobs| check(&jobs, strict)),
        Command::Inspect { spec, name, strict } => inspect(&spec, name, strict),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn jobs(config: &Path) -> Result<Vec<ApiJob>, String> {
    let text = std::fs::read_to_string(config).map_err(|e| format!("cannot read {}: {e}", config.display()))?;
    let project = ProjectConfig::parse(&text).map_err(|e| format!("{}: {e}", config.display()))?;
    let root = config.parent().unwrap_or(Path::new(""));
    Ok(project.jobs(root))
}

/// Generates each job; reports diagnostics; fails (writing nothing for that API) on errors.
fn run(job: &ApiJob, strict: bool) -> Result<Output, ()> {
    let document = load::load_file(&job.spec);
    let output = mcpgen::generate(&document, &job.settings);
    report(&output.diagnostics);
    let warnings = output.diagnostics.iter().filter(|d| !d.is_error()).count();
    if output.has_errors() || (strict && warnings > 0) {
        eprintln!(
            "{}: not generated ({} errors, {warnings} warnings{})",
            job.settings.name,
            output.diagnostics.len() - warnings,
            if strict { ", --strict" } else { "" }
        );
        return Err(());
    }
    Ok(output)
}

fn generate(jobs: &[ApiJob], strict: bool) -> Result<ExitCode, String> {
    let mut failed = false;
    for job in jobs {
        let Ok(output) = run(job, strict) else {
            failed = true;
            continue;
        };
        let (written, removed) = write_output(&job.out, &output.files)?;
        let tools = output.api.tools().count();
        let warnings = output.diagnostics.len();
        println!(
            "{}: {tools} tools, {tools} argument types, {} modules -> {}: {written} files written, {removed} removed, {warnings} warnings",
            job.settings.name,
            output.api.groups.len(),
            job.out.display(),
        );
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn check(jobs: &[ApiJob], strict: bool) -> Result<ExitCode, String> {
    let mut drift = String::new();
    let mut failed = false;
    for job in jobs {
        let Ok(output) = run(job, strict) else {
            failed = true;
            continue;
        };
        let existing = existing_files(&job.out)?;
        for (path, text) in &output.files {
            let on_disk = std::fs::read_to_string(job.out.join(path)).unwrap_or_default();
            if on_disk != *text {
                let shown = job.out.join(path).display().to_string();
                let diff = similar::TextDiff::from_lines(&on_disk, text);
                drift.push_str(
                    &diff
                        .unified_diff()
                        .context_radius(3)
                        .header(&format!("a/{shown}"), &format!("b/{shown}"))
                        .to_string(),
                );
            }
        }
        for stale in existing.iter().filter(|path| !output.files.contains_key(*path)) {
            drift.push_str(&format!("stale file {} (mcpgen generate removes it)\n", job.out.join(stale).display()));
        }
    }
    if failed {
        return Ok(ExitCode::FAILURE);
    }
    if drift.is_empty() {
        println!("generated/ is up to date ({} APIs)", jobs.len());
        Ok(ExitCode::SUCCESS)
    } else {
        print!("{drift}");
        eprintln!("error: generated files differ from what the specs produce; run `mcpgen generate`");
        Ok(ExitCode::FAILURE)
    }
}

fn inspect(spec: &Path, name: Option<String>, strict: bool) -> Result<ExitCode, String> {
    let settings = Settings::new(name.unwrap_or_else(|| file_stem(spec)));
    let document = load::load_file(spec);
    let output = mcpgen::generate(&document, &settings);
    report(&output.diagnostics);
    let tools: Vec<_> = output.api.tools().collect();
    println!("{:<48} {:<7} {:<60} {:>6}", "TOOL", "METHOD", "PATH", "PARAMS");
    for tool in &tools {
        println!("{:<48} {:<7} {:<60} {:>6}", tool.name, tool.method.as_str(), tool.path, tool.fields.len());
    }
    let list: Vec<serde_json::Value> = tools
        .iter()
        .map(|tool| serde_json::json!({"name": tool.name, "description": tool.description, "inputSchema": tool.input_schema}))
        .collect();
    let bytes = serde_json::to_string(&list).map_err(|e| e.to_string())?.len();
    let warnings = output.diagnostics.iter().filter(|d| !d.is_error()).count();
    println!(
        "{} tools; tool list {bytes} bytes (about {} tokens); {} errors, {warnings} warnings",
        tools.len(),
        bytes / 4,
        output.diagnostics.len() - warnings
    );
    Ok(if output.has_errors() || (strict && warnings > 0) { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn report(diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        eprintln!("{diagnostic}\n");
    }
}

/// Writes files whose contents changed and removes files mcpgen no longer generates.
/// Refuses an output folder that holds files but was not written by mcpgen.
fn write_output(out: &Path, files: &BTreeMap<String, String>) -> Result<(usize, usize), String> {
    let existing = existing_files(out)?;
    let owned = existing.is_empty()
        || std::fs::read_to_string(out.join("Cargo.toml")).is_ok_and(|text| text.contains("@generated by mcpgen"));
    if !owned {
        return Err(format!(
            "{} holds files that mcpgen did not generate; choose an empty folder or one mcpgen generated",
            out.display()
        ));
    }
    let mut written = 0;
    for (path, text) in files {
        let target = out.join(path);
        if std::fs::read_to_string(&target).is_ok_and(|current| current == *text) {
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&target, text).map_err(|e| format!("cannot write {}: {e}", target.display()))?;
        written += 1;
    }
    let mut removed = 0;
    for stale in existing.iter().filter(|path| !files.contains_key(*path)) {
        let target = out.join(stale);
        std::fs::remove_file(&target).map_err(|e| format!("cannot remove {}: {e}", target.display()))?;
        removed += 1;
        if let Some(parent) = target.parent().filter(|p| *p != out) {
            let _ = std::fs::remove_dir(parent);
        }
    }
    Ok((written, removed))
}

/// Files under `out` (relative, `/`-separated), leaving out what belongs to the user.
fn existing_files(out: &Path) -> Result<BTreeSet<String>, String> {
    let mut files = BTreeSet::new();
    let mut pending = vec![out.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
        };
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            let relative = path.strip_prefix(out).map_err(|e| e.to_string())?;
            let relative = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            if USER_OWNED.contains(&relative.as_str()) {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else {
                files.insert(relative);
            }
        }
    }
    Ok(files)
}

fn file_stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "api".into())
}
