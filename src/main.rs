//! The `mcpgen` command line: the only code that reads configuration from disk and writes files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mcpgen::listing;
use mcpgen::manifest::{self, Manifest};
use mcpgen::settings::{ApiJob, ProjectConfig, Settings};
use mcpgen::{Output, diag::Diagnostic, load};

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
        /// Generate this spec only (with --out); repeated, the files make one API, merged in order.
        #[arg(long, requires = "out")]
        spec: Vec<PathBuf>,
        /// Output folder for --spec.
        #[arg(long, requires = "spec")]
        out: Option<PathBuf>,
        /// API name for --spec (default: the spec's file stem).
        #[arg(long, requires = "spec")]
        name: Option<String>,
        /// Treat warnings as errors.
        #[arg(long)]
        strict: bool,
        /// Overwrite generated files edited by hand, and remove them when no longer generated.
        #[arg(long)]
        force: bool,
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
    /// Show the tools a spec or an API of mcpgen.toml gives, the size of their list per profile and
    /// mode, and the diagnostics.
    Inspect {
        /// A spec file, or the name of an API of the project file (then with its settings and profiles).
        spec: PathBuf,
        /// API name for a spec file (default: the file stem).
        #[arg(long)]
        name: Option<String>,
        /// The project file that names the APIs.
        #[arg(long, default_value = "mcpgen.toml")]
        config: PathBuf,
        /// Treat warnings as errors.
        #[arg(long)]
        strict: bool,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Generate { config: _, spec, out: Some(out), name, strict, force } if !spec.is_empty() => {
            let name = name.unwrap_or_else(|| file_stem(&spec[0]));
            generate(&[ApiJob { specs: spec, out, settings: Settings::new(name) }], strict, force)
        }
        Command::Generate { config, strict, force, .. } => {
            jobs(&config).and_then(|jobs| generate(&jobs, strict, force))
        }
        Command::Check { config, strict } => jobs(&config).and_then(|jobs| check(&jobs, strict)),
        Command::Inspect { spec, name, config, strict } => {
            inspect_job(spec, name, &config).and_then(|job| inspect(&job, strict))
        }
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
    let text = match std::fs::read_to_string(config) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "{} does not exist.\n\
                 To generate one spec: mcpgen generate --spec FILE --out DIR [--name NAME]\n\
                 To keep a project of APIs, create {} with a table per API, then run mcpgen generate:\n\n\
                 [apis.petstore]\n\
                 spec = \"specs/petstore.yaml\"      # the OpenAPI description, relative to this file\n\
                 out = \"generated/petstore-mcp\"    # the crate folder mcpgen writes\n\
                 env_prefix = \"PETSTORE\"           # prefix of the server's environment variables\n\n\
                 (--config FILE reads another file.)",
                config.display(),
                config.display()
            ));
        }
        Err(error) => return Err(format!("cannot read {}: {error}", config.display())),
    };
    let project = ProjectConfig::parse(&text).map_err(|e| format!("{}: {e}", config.display()))?;
    let root = config.parent().unwrap_or(Path::new(""));
    Ok(project.jobs(root))
}

/// Loads the job's spec files and generates its crate in memory.
fn generate_job(job: &ApiJob) -> Output {
    let documents: Vec<_> = job.specs.iter().map(|spec| load::load_file(spec)).collect();
    mcpgen::generate_merged(&documents, &job.settings)
}

/// Generates each job; reports diagnostics; fails (writing nothing for that API) on errors.
fn run(job: &ApiJob, strict: bool) -> Result<Output, ()> {
    let output = generate_job(job);
    report(&output.diagnostics);
    let warnings = output.diagnostics.iter().filter(|d| !d.is_error()).count();
    if output.has_errors() || (strict && warnings > 0) {
        eprintln!(
            "{}: not generated ({} errors, {warnings} warnings{}); {}",
            job.settings.name,
            output.diagnostics.len() - warnings,
            if strict { ", --strict" } else { "" },
            output.tool_summary()
        );
        return Err(());
    }
    Ok(output)
}

fn generate(jobs: &[ApiJob], strict: bool, force: bool) -> Result<ExitCode, String> {
    let mut failed = false;
    for job in jobs {
        let Ok(output) = run(job, strict) else {
            failed = true;
            continue;
        };
        let written = match write_output(&job.out, &output, force) {
            Ok(written) => written,
            Err(message) => {
                eprintln!("error: {}: {message}", job.settings.name);
                failed = true;
                continue;
            }
        };
        let warnings = output.diagnostics.len();
        println!(
            "{}: {}, {} modules -> {}: {} files written, {} removed, {} kept, {warnings} warnings",
            job.settings.name,
            output.tool_summary(),
            output.api.groups.len(),
            job.out.display(),
            written.write.len(),
            written.remove.len(),
            written.edited.len() + written.foreign.len(),
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
        let expected_manifest = Manifest::of(&output.files);
        let recorded = read_manifest(&job.out)?;
        let mut files = output.files.clone();
        files.insert(manifest::FILE_NAME.to_string(), expected_manifest.render());
        for (path, text) in &files {
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
        let stale =
            recorded.iter().flat_map(|manifest| manifest.files.keys()).filter(|path| !files.contains_key(*path));
        for stale in stale.filter(|path| job.out.join(path).exists()) {
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

/// What `inspect` looks at: a spec file with default settings, or an API of the project file.
fn inspect_job(target: PathBuf, name: Option<String>, config: &Path) -> Result<ApiJob, String> {
    if target.is_file() {
        let name = name.unwrap_or_else(|| file_stem(&target));
        return Ok(ApiJob { settings: Settings::new(name), specs: vec![target], out: PathBuf::new() });
    }
    let wanted = target.to_string_lossy().into_owned();
    let jobs =
        jobs(config).map_err(|_| format!("{wanted} is neither a spec file nor an API of {}", config.display()))?;
    let known: Vec<String> = jobs.iter().map(|job| job.settings.name.clone()).collect();
    jobs.into_iter().find(|job| job.settings.name == wanted).ok_or_else(|| {
        format!("{wanted} is neither a spec file nor an API of {} (it has {})", config.display(), known.join(", "))
    })
}

fn inspect(job: &ApiJob, strict: bool) -> Result<ExitCode, String> {
    let output = generate_job(job);
    report(&output.diagnostics);
    let tools: Vec<_> = output.api.tools().collect();
    println!("{:<48} {:<7} {:<60} {:>6}", "TOOL", "METHOD", "PATH", "PARAMS");
    for tool in &tools {
        println!("{:<48} {:<7} {:<60} {:>6}", tool.name, tool.method.as_str(), tool.path, tool.fields.len());
    }
    println!();
    println!(
        "{:<24} {:>6} {:>12} {:>8} {:>16} {:>8}  AUTO",
        "PROFILE", "TOOLS", "ALL: BYTES", "TOKENS", "DISCOVERY: BYTES", "TOKENS"
    );
    for profile in listing::profiles(&output.api) {
        let discovery = listing::DISCOVERY_LIST_BYTES;
        println!(
            "{:<24} {:>6} {:>12} {:>8} {:>16} {:>8}  {}",
            profile.profile,
            profile.tools,
            profile.all_bytes,
            profile.all_bytes / 4,
            discovery,
            discovery / 4,
            profile.auto_mode()
        );
    }
    println!(
        "(tokens are estimated at 4 bytes each; `auto` lists all up to {} tools and {} bytes, else discovery; default profile: {})",
        listing::AUTO_MAX_TOOLS,
        listing::AUTO_MAX_BYTES,
        output.api.default_profile
    );
    let warnings = output.diagnostics.iter().filter(|d| !d.is_error()).count();
    println!("{}; {} errors, {warnings} warnings", output.tool_summary(), output.diagnostics.len() - warnings);
    Ok(if output.has_errors() || (strict && warnings > 0) { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn report(diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        eprintln!("{diagnostic}\n");
    }
}

/// Writes the output into `out`: files whose contents changed, then removes files mcpgen wrote
/// before that the output drops, as `.mcpgen-manifest` records them, and records the new manifest.
/// Files edited by hand are kept (and named) unless `force`; nothing mcpgen did not write is
/// touched. Refuses a folder that mcpgen did not generate, and one that holds a crate of another
/// name.
fn write_output(out: &Path, output: &Output, force: bool) -> Result<manifest::Plan, String> {
    let previous = read_manifest(out)?;
    let cargo_toml = std::fs::read_to_string(out.join("Cargo.toml")).ok();
    let generated_before = cargo_toml.as_deref().is_some_and(|text| text.contains("@generated by mcpgen"));
    if previous.is_none() && !generated_before && !is_empty_folder(out)? {
        return Err(format!(
            "{} holds files that mcpgen did not generate; choose an empty folder or one mcpgen generated",
            out.display()
        ));
    }
    let existing_name = cargo_toml.as_deref().and_then(package_name);
    if let Some(existing) = existing_name.filter(|existing| *existing != output.api.crate_name) {
        let keep = existing.strip_suffix("-mcp").unwrap_or(&existing);
        return Err(format!(
            "{} holds the crate `{existing}`, but this run would make it `{}`, renaming the crate, its binary and every \
             environment variable. Pass `--name {keep}` (or rename the API in mcpgen.toml) to keep `{existing}`, or \
             choose another --out.",
            out.display(),
            output.api.crate_name
        ));
    }
    let read = |path: &str| std::fs::read(out.join(path)).ok();
    let plan = manifest::plan(previous.as_ref(), read, &output.files, force);
    for path in &plan.write {
        let target = out.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&target, &output.files[path]).map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    }
    for path in &plan.remove {
        let target = out.join(path);
        std::fs::remove_file(&target).map_err(|e| format!("cannot remove {}: {e}", target.display()))?;
        println!("removed {}", target.display());
        // Folders mcpgen emptied go too; a folder that still holds anything stays.
        for folder in target.ancestors().skip(1).take_while(|folder| *folder != out) {
            if std::fs::remove_dir(folder).is_err() {
                break;
            }
        }
    }
    for path in &plan.edited {
        eprintln!(
            "warning: {} was edited by hand since mcpgen wrote it; kept as it is (--force overwrites it)",
            out.join(path).display()
        );
    }
    for path in &plan.foreign {
        eprintln!(
            "warning: {} was not written by mcpgen; kept, so the crate lacks its generated version (--force overwrites it)",
            out.join(path).display()
        );
    }
    let manifest_path = out.join(manifest::FILE_NAME);
    let text = plan.manifest.render();
    if std::fs::read_to_string(&manifest_path).ok().as_deref() != Some(text.as_str()) {
        std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
        std::fs::write(&manifest_path, text).map_err(|e| format!("cannot write {}: {e}", manifest_path.display()))?;
    }
    Ok(plan)
}

/// The folder's manifest, if it has one.
fn read_manifest(out: &Path) -> Result<Option<Manifest>, String> {
    let path = out.join(manifest::FILE_NAME);
    match std::fs::read_to_string(&path) {
        Ok(text) => Manifest::parse(&text).map(Some).map_err(|e| format!("{}: {e}", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(format!("cannot read {}: {error}", path.display())),
    }
}

/// Whether `out` is missing or holds nothing.
fn is_empty_folder(out: &Path) -> Result<bool, String> {
    match std::fs::read_dir(out) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(error) => Err(format!("cannot read {}: {error}", out.display())),
    }
}

/// `package.name` of a Cargo manifest.
fn package_name(cargo_toml: &str) -> Option<String> {
    let manifest: toml::Table = cargo_toml.parse().ok()?;
    manifest.get("package")?.get("name")?.as_str().map(str::to_string)
}

fn file_stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "api".into())
}
