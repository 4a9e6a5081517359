//! `mcpgen generate --watch`: regenerate whenever a spec or the project file changes, printing the
//! summary and the tool changes each time, and keep going after an error.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use mcpgen::settings::{ApiJob, SpecSource};
use notify_debouncer_full::notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, new_debouncer};

use crate::Exit;
use crate::generate;
use crate::project::Project;
use crate::ui::Ui;

/// How long the files must stay quiet before a regeneration: editors write in several steps.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// What is generated: the APIs of a project file, or one API given on the command line.
pub enum Target {
    /// The project file.
    Project(PathBuf),
    /// One API.
    Job(Box<ApiJob>),
}

/// Generates, then regenerates on every change until interrupted.
pub fn watch(target: &Target, strict: bool, force: bool, ui: &Ui) -> Exit {
    let (sender, events) = mpsc::channel::<DebounceEventResult>();
    let mut debouncer = match new_debouncer(DEBOUNCE, None, sender) {
        Ok(debouncer) => debouncer,
        Err(error) => {
            ui.error(format!("cannot watch files: {error}"));
            return Exit::Invalid;
        }
    };
    let mut folders = BTreeSet::new();
    let mut watched = run(target, strict, force, ui);
    loop {
        for folder in watched.iter().filter_map(|file| file.parent()).map(Path::to_path_buf).collect::<BTreeSet<_>>() {
            if !folders.contains(&folder) {
                match debouncer.watch(&folder, RecursiveMode::NonRecursive) {
                    Ok(()) => _ = folders.insert(folder),
                    Err(error) => ui.warn(format!("cannot watch {}: {error}", folder.display())),
                }
            }
        }
        ui.say(format!("watching {} files; Ctrl-C stops", watched.len()));
        // Wait for a batch of events that touches a watched file.
        loop {
            let Ok(batch) = events.recv() else { return Exit::Success };
            let touched = match batch {
                Ok(batch) => batch.iter().flat_map(|event| &event.paths).any(|path| watched.contains(path)),
                Err(errors) => {
                    errors.iter().for_each(|error| ui.warn(format!("watching: {error}")));
                    false
                }
            };
            if touched {
                break;
            }
        }
        watched = run(target, strict, force, ui);
    }
}

/// Generates once; returns the files to watch, as absolute paths.
fn run(target: &Target, strict: bool, force: bool, ui: &Ui) -> BTreeSet<PathBuf> {
    let mut files = BTreeSet::new();
    let absolute = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match target {
        Target::Project(config) => {
            files.insert(absolute(config));
            match Project::load(config) {
                Ok(project) => {
                    let specs = project.jobs.iter().flat_map(|job| &job.specs);
                    files.extend(specs.filter(|spec| !is_fetched(spec)).map(|spec| absolute(spec.path())));
                    generate::generate(Some(&project), &project.jobs, strict, force, ui);
                }
                Err(message) => ui.error(message),
            }
        }
        Target::Job(job) => {
            files.extend(job.specs.iter().filter(|spec| !is_fetched(spec)).map(|spec| absolute(spec.path())));
            generate::generate(None, std::slice::from_ref(job), strict, force, ui);
        }
    }
    files
}

/// Whether a spec was fetched for this run only: there is no file to watch.
fn is_fetched(spec: &SpecSource) -> bool {
    matches!(spec, SpecSource::Fetched { .. })
}
