//! `mcpgen update`: fetch the specs an API takes from URLs, show what changed in its tools, keep
//! the new copies, record them in `mcpgen.lock`, and regenerate. A fetch that fails, or a spec
//! that does not generate, changes nothing on disk.

use mcpgen::lock::LockedSpec;
use mcpgen::manifest::digest;
use mcpgen::settings::{ApiJob, SpecSource};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::Exit;
use crate::fetch::{Fetched, Fetcher};
use crate::generate;
use crate::project::{self, Project};
use crate::ui::Ui;
use crate::write::write_atomically;

/// One spec of an API after fetching.
struct Spec {
    source: SpecSource,
    bytes: Vec<u8>,
    /// The lock entry to record.
    locked: Option<LockedSpec>,
    /// The SHA-256 the lock recorded before, if any.
    previous: Option<String>,
    changed: bool,
}

/// Updates each job's fetched specs; regenerates those that changed.
pub fn update(project: &mut Project, jobs: &[ApiJob], fetcher: &Fetcher, strict: bool, force: bool, ui: &Ui) -> Exit {
    let mut exit = Exit::Success;
    for job in jobs {
        if let Err(message) = update_one(project, job, fetcher, strict, force, ui) {
            ui.error(format!("{}: {message}", job.settings.name));
            exit = Exit::Invalid;
        }
    }
    exit
}

fn update_one(
    project: &mut Project,
    job: &ApiJob,
    fetcher: &Fetcher,
    strict: bool,
    force: bool,
    ui: &Ui,
) -> Result<(), String> {
    let name = &job.settings.name;
    if job.specs.iter().all(|source| source.url().is_none()) {
        ui.say(format!("{name}: its specs are files, not URLs; nothing to fetch"));
        return Ok(());
    }
    let now = OffsetDateTime::now_utc();
    let fetched_at = now.replace_nanosecond(0).unwrap_or(now).format(&Rfc3339).map_err(|e| e.to_string())?;
    let mut specs = Vec::new();
    for source in &job.specs {
        specs.push(
            fetch(project, name, source, fetcher, &fetched_at)
                .map_err(|message| format!("{message}; nothing changed"))?,
        );
    }
    if specs.iter().all(|spec| !spec.changed) {
        ui.say(format!("{name}: up to date ({} specs unchanged)", specs.len()));
        return Ok(());
    }
    let texts: Vec<(String, String)> = specs
        .iter()
        .map(|spec| (spec.source.path().display().to_string(), String::from_utf8_lossy(&spec.bytes).into_owned()))
        .collect();
    let documents: Vec<_> = texts
        .iter()
        .zip(&specs)
        .map(|((file, text), spec)| mcpgen::load::load_text(file, text, Some(spec.source.path())))
        .collect();
    let (_, diagnostics) = mcpgen::lower_merged(&documents, &job.settings);
    let (errors, warnings) = project::counts(&diagnostics);
    if errors > 0 || (strict && warnings > 0) {
        // The copies on disk are the old ones: the lines shown come from what was fetched.
        ui.diagnostics_of(&diagnostics, texts.iter().map(|(file, text)| (file.as_str(), text.clone())).collect());
        return Err(format!(
            "the fetched spec does not generate ({errors} errors, {warnings} warnings); nothing changed"
        ));
    }
    for spec in specs.iter().filter(|spec| spec.changed) {
        let short = |sha: &str| sha.get(..12).unwrap_or(sha).to_string();
        let now = spec.locked.as_ref().map(|locked| short(&locked.sha256)).unwrap_or_default();
        let url = spec.source.url().unwrap_or_default();
        match &spec.previous {
            Some(previous) => ui.say(format!("{name}: {url} changed: sha256 {now}... (was {}...)", short(previous))),
            None => ui.say(format!("{name}: {url} fetched: sha256 {now}...")),
        }
    }
    for spec in specs.iter().filter(|spec| spec.changed) {
        write_atomically(spec.source.path(), &spec.bytes)?;
    }
    project.lock.set(name, specs.into_iter().filter_map(|spec| spec.locked).collect());
    write_atomically(&project.lock_path(), project.lock.render().as_bytes())?;
    match generate::generate(Some(project), std::slice::from_ref(job), strict, force, ui) {
        Exit::Success => Ok(()),
        _ => Err("fetched and locked, but not regenerated".into()),
    }
}

/// Fetches one spec; a file source is read as it is.
fn fetch(
    project: &Project,
    api: &str,
    source: &SpecSource,
    fetcher: &Fetcher,
    fetched_at: &str,
) -> Result<Spec, String> {
    let SpecSource::Url { url, stored } = source else {
        let bytes =
            std::fs::read(source.path()).map_err(|e| format!("cannot read {}: {e}", source.path().display()))?;
        return Ok(Spec { source: source.clone(), bytes, locked: None, previous: None, changed: false });
    };
    let kept = std::fs::read(stored).ok();
    let recorded = project.lock.get(api, url);
    let previous = recorded.map(|recorded| recorded.sha256.clone());
    let locked = recorded.filter(|locked| kept.as_deref().is_some_and(|kept| digest(kept) == locked.sha256));
    let file = stored.strip_prefix(&project.root).unwrap_or(stored).to_string_lossy().replace('\\', "/");
    match (fetcher.fetch(url, locked.and_then(|locked| locked.etag.as_deref()))?, locked, kept) {
        (Fetched::NotModified, Some(locked), Some(kept)) => Ok(Spec {
            source: source.clone(),
            bytes: kept,
            locked: Some(locked.clone()),
            previous: None,
            changed: false,
        }),
        (Fetched::NotModified, ..) => Err(format!("{url} answered 304 Not Modified, but no copy of it is kept")),
        (Fetched::Document { bytes, etag }, locked, _) => {
            let sha256 = digest(&bytes);
            if let Some(locked) = locked.filter(|locked| locked.sha256 == sha256) {
                return Ok(Spec {
                    source: source.clone(),
                    bytes,
                    locked: Some(locked.clone()),
                    previous,
                    changed: false,
                });
            }
            let entry = LockedSpec {
                api: api.to_string(),
                url: url.clone(),
                file,
                sha256,
                fetched_at: fetched_at.to_string(),
                etag,
            };
            Ok(Spec { source: source.clone(), bytes, locked: Some(entry), previous, changed: true })
        }
    }
}
