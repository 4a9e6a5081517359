//! `mcpgen generate` and `mcpgen check`: regenerate each API's crate, or find where the crates
//! on disk differ from what the specs produce.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mcpgen::diag::{Diagnostic, SkipReason};
use mcpgen::diff::{self, Report};
use mcpgen::manifest::{self, Manifest};
use mcpgen::settings::{ApiJob, SpecSource};
use mcpgen::surface::Surface;
use serde::Serialize;

use crate::Exit;
use crate::project::{self, Project};
use crate::ui::Ui;
use crate::write::{self, add_changelog, read_surface};

/// What generating one API did, as `--format json` reports it.
#[derive(Serialize, Default)]
pub struct Generated {
    /// The API.
    pub name: String,
    /// Its crate folder.
    pub out: PathBuf,
    /// Whether its crate was written.
    pub ok: bool,
    /// Tools generated.
    pub tools: usize,
    /// Operations skipped, by reason.
    pub skipped: BTreeMap<SkipReason, usize>,
    /// Files written.
    pub written: Vec<String>,
    /// Files removed: mcpgen wrote them and no longer generates them.
    pub removed: Vec<String>,
    /// Files kept as they are: edited by hand, or not written by mcpgen.
    pub kept: Vec<String>,
    /// What changed in the tools since the crate was last generated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Report>,
    /// Every diagnostic.
    pub diagnostics: Vec<Diagnostic>,
}

/// Regenerates each job's crate. `project` is `None` for a spec given on the command line.
pub fn generate(project: Option<&Project>, jobs: &[ApiJob], strict: bool, force: bool, ui: &Ui) -> Exit {
    let progress = ui.progress(jobs.len());
    let mut results = Vec::new();
    for job in jobs {
        progress.step(&job.settings.name);
        let result = generate_one(project, job, strict, force, ui);
        progress.done();
        results.push(result);
    }
    drop(progress);
    let failed = results.iter().any(|result| !result.ok);
    if ui.json {
        print_json(&serde_json::json!({ "apis": results }));
    }
    if failed { Exit::Invalid } else { Exit::Success }
}

fn generate_one(project: Option<&Project>, job: &ApiJob, strict: bool, force: bool, ui: &Ui) -> Generated {
    let name = job.settings.name.clone();
    let mut generated = Generated { name: name.clone(), out: job.out.clone(), ..Generated::default() };
    if let Some(project) = project {
        let (errors, warnings) = project.check_copies(job);
        warnings.iter().for_each(|warning| ui.warn(warning));
        if !errors.is_empty() {
            errors.iter().for_each(|error| ui.error(error));
            return generated;
        }
    }
    let mut output = match run(project, job, strict, ui) {
        Ok(output) => output,
        Err(failed) => {
            generated.diagnostics = failed.diagnostics;
            return generated;
        }
    };
    generated.tools = output.api.tools().count();
    generated.skipped = output.skipped();
    let recorded = match read_surface(&job.out) {
        Ok(recorded) => recorded,
        Err(message) => {
            ui.error(format!("{name}: {message}"));
            return generated;
        }
    };
    let surface = Surface::of(&output.api);
    let changes = recorded.as_ref().map(|old| diff::diff(old, &surface));
    add_changelog(&job.out, &mut output, recorded.as_ref(), &surface);
    let plan = match write::write_output(&job.out, &output, force, ui) {
        Ok(plan) => plan,
        Err(message) => {
            ui.error(format!("{name}: {message}"));
            return generated;
        }
    };
    let warnings = output.diagnostics.len();
    ui.say(format!(
        "{name}: {}, {} modules -> {}: {} files written, {} removed, {} kept, {warnings} warnings",
        output.tool_summary(),
        output.api.groups.len(),
        job.out.display(),
        plan.write.len(),
        plan.remove.len(),
        plan.edited.len() + plan.foreign.len(),
    ));
    if let Some(changes) = changes.as_ref().filter(|changes| !changes.is_empty()) {
        ui.say(format!("{name}: tool changes since the last generation: {}", changes.render().trim_end()));
    }
    generated.ok = true;
    generated.written = plan.write;
    generated.removed = plan.remove;
    generated.kept = plan.edited.into_iter().chain(plan.foreign).collect();
    generated.changes = changes;
    generated.diagnostics = output.diagnostics;
    generated
}

/// Generates a job in memory and reports its diagnostics; `Err` (nothing to write) on errors, or
/// on warnings when `strict`.
pub fn run(
    project: Option<&Project>,
    job: &ApiJob,
    strict: bool,
    ui: &Ui,
) -> Result<mcpgen::Output, Box<mcpgen::Output>> {
    let mut output = project::generate_job(job);
    if let Some(project) = project {
        project::locate_in_config(&mut output, &project.config);
    }
    let fetched = job.specs.iter().filter_map(|spec| match spec {
        SpecSource::Fetched { url, text } => Some((url.as_str(), text.clone())),
        _ => None,
    });
    ui.diagnostics_of(&output.diagnostics, fetched.collect());
    let (errors, warnings) = project::counts(&output.diagnostics);
    if errors > 0 || (strict && warnings > 0) {
        ui.error(format!(
            "{}: not generated ({errors} errors, {warnings} warnings{}); {}",
            job.settings.name,
            if strict { ", --strict" } else { "" },
            output.tool_summary()
        ));
        return Err(Box::new(output));
    }
    Ok(output)
}

/// How one API's crate differs from what its specs produce.
#[derive(Serialize, Default)]
struct Drift {
    name: String,
    out: PathBuf,
    ok: bool,
    /// Files whose contents differ, or that are missing.
    changed: Vec<String>,
    /// Files mcpgen wrote that it no longer generates.
    stale: Vec<String>,
    diagnostics: Vec<Diagnostic>,
}

/// Regenerates every job in memory; exits 1 with a unified diff when the crates on disk differ.
pub fn check(project: &Project, jobs: &[ApiJob], strict: bool, ui: &Ui) -> Exit {
    let mut diff_text = String::new();
    let mut drifts = Vec::new();
    for job in jobs {
        let (errors, warnings) = project.check_copies(job);
        warnings.iter().for_each(|warning| ui.warn(warning));
        errors.iter().for_each(|error| ui.error(error));
        let mut drift = Drift { name: job.settings.name.clone(), out: job.out.clone(), ..Drift::default() };
        if !errors.is_empty() {
            drifts.push(drift);
            continue;
        }
        let mut output = match run(Some(project), job, strict, ui) {
            Ok(output) => output,
            Err(failed) => {
                drift.diagnostics = failed.diagnostics;
                drifts.push(drift);
                continue;
            }
        };
        drift.ok = true;
        match compare(&job.out, &mut output, &mut diff_text) {
            Ok((changed, stale)) => (drift.changed, drift.stale) = (changed, stale),
            Err(message) => {
                ui.error(format!("{}: {message}", job.settings.name));
                drift.ok = false;
            }
        }
        drift.diagnostics = output.diagnostics;
        drifts.push(drift);
    }
    let failed = drifts.iter().any(|drift| !drift.ok);
    let drifted = drifts.iter().any(|drift| !drift.changed.is_empty() || !drift.stale.is_empty());
    if ui.json {
        print_json(&serde_json::json!({ "up_to_date": !failed && !drifted, "apis": drifts }));
    } else if drifted {
        print!("{diff_text}");
        ui.error("generated files differ from what the specs produce; run `mcpgen generate`");
    } else if !failed {
        ui.say(format!("generated/ is up to date ({} APIs)", jobs.len()));
    }
    match (failed, drifted) {
        (true, _) => Exit::Invalid,
        (false, true) => Exit::Changed,
        (false, false) => Exit::Success,
    }
}

/// The files of `out` that differ from `output` (with their diff appended to `diff_text`), and the
/// stale ones.
fn compare(
    out: &Path,
    output: &mut mcpgen::Output,
    diff_text: &mut String,
) -> Result<(Vec<String>, Vec<String>), String> {
    let recorded_manifest = write::read_manifest(out)?;
    let recorded_surface = read_surface(out)?;
    add_changelog(out, output, recorded_surface.as_ref(), &Surface::of(&output.api));
    let mut files = output.files.clone();
    files.insert(manifest::FILE_NAME.to_string(), Manifest::of(&output.files).render());
    let mut changed = Vec::new();
    for (path, text) in &files {
        let on_disk = std::fs::read_to_string(out.join(path)).unwrap_or_default();
        if on_disk != *text {
            let shown = out.join(path).display().to_string();
            let diff = similar::TextDiff::from_lines(&on_disk, text);
            diff_text.push_str(
                &diff.unified_diff().context_radius(3).header(&format!("a/{shown}"), &format!("b/{shown}")).to_string(),
            );
            changed.push(path.clone());
        }
    }
    let stale: Vec<String> = recorded_manifest
        .iter()
        .flat_map(|manifest| manifest.files.keys())
        .filter(|path| !files.contains_key(*path) && out.join(path).exists())
        .cloned()
        .collect();
    for path in &stale {
        diff_text.push_str(&format!("stale file {} (mcpgen generate removes it)\n", out.join(path).display()));
    }
    Ok((changed, stale))
}

/// Prints a JSON document on stdout.
pub fn print_json(value: &impl Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(error) => eprintln!("error: cannot print JSON: {error}"),
    }
}
