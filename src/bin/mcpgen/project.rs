//! The project: `mcpgen.toml`, its APIs, and `mcpgen.lock`; and loading an API's specs, from the
//! project's files and the copies of fetched specs, never from the network.

use std::path::{Path, PathBuf};

use mcpgen::diag::Diagnostic;
use mcpgen::lock::{self, Lockfile};
use mcpgen::manifest;
use mcpgen::settings::{ApiJob, CONFIG_FILE, ProjectConfig, SpecSource};
use mcpgen::{Output, load};

use crate::fetch::{Fetched, Fetcher};

/// `mcpgen.toml` read, and the lock beside it.
pub struct Project {
    /// The project file.
    pub config: PathBuf,
    /// The folder of `mcpgen.toml`: paths in it are relative to this.
    pub root: PathBuf,
    /// Its APIs, ready to generate.
    pub jobs: Vec<ApiJob>,
    /// What `mcpgen update` fetched.
    pub lock: Lockfile,
}

impl Project {
    /// Reads `config` and the lock beside it.
    pub fn load(config: &Path) -> Result<Self, String> {
        let text = match std::fs::read_to_string(config) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(format!(
                    "{} does not exist.\n\
                     To start a project: mcpgen init SPEC-or-URL\n\
                     To generate one spec: mcpgen generate --spec FILE --out DIR [--name NAME]\n\
                     (--config FILE reads another project file.)",
                    config.display()
                ));
            }
            Err(error) => return Err(format!("cannot read {}: {error}", config.display())),
        };
        let project = ProjectConfig::parse(&text).map_err(|e| format!("{}: {e}", config.display()))?;
        let root = config.parent().unwrap_or(Path::new("")).to_path_buf();
        let lock_path = root.join(lock::FILE_NAME);
        let lock = match std::fs::read_to_string(&lock_path) {
            Ok(text) => Lockfile::parse(&text).map_err(|e| format!("{}: {e}", lock_path.display()))?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Lockfile::default(),
            Err(error) => return Err(format!("cannot read {}: {error}", lock_path.display())),
        };
        Ok(Self { config: config.to_path_buf(), jobs: project.jobs(&root), root, lock })
    }

    /// The APIs named, in the project's order; every API when none is named.
    pub fn select(&self, names: &[String]) -> Result<Vec<ApiJob>, String> {
        let known: Vec<&str> = self.jobs.iter().map(|job| job.settings.name.as_str()).collect();
        if let Some(unknown) = names.iter().find(|name| !known.contains(&name.as_str())) {
            return Err(format!("no API `{unknown}` in the project (it has {})", known.join(", ")));
        }
        Ok(self.jobs.iter().filter(|job| names.is_empty() || names.contains(&job.settings.name)).cloned().collect())
    }

    /// Where the lock file is.
    pub fn lock_path(&self) -> PathBuf {
        self.root.join(lock::FILE_NAME)
    }

    /// Problems with the copies of fetched specs: never fetched, or changed since.
    pub fn check_copies(&self, job: &ApiJob) -> (Vec<String>, Vec<String>) {
        let (mut errors, mut warnings) = (Vec::new(), Vec::new());
        for source in &job.specs {
            let SpecSource::Url { url, stored } = source else { continue };
            let name = &job.settings.name;
            match (std::fs::read(stored), self.lock.get(name, url)) {
                (Err(_), _) | (_, None) => {
                    errors.push(format!("{name}: {url} has not been fetched yet; run `mcpgen update {name}`"))
                }
                (Ok(bytes), Some(locked)) if manifest::digest(&bytes) != locked.sha256 => warnings.push(format!(
                    "{} changed since `mcpgen update` fetched it (mcpgen.lock records another SHA-256); \
                     `mcpgen update {name}` fetches it again",
                    stored.display()
                )),
                _ => {}
            }
        }
        (errors, warnings)
    }
}

/// Gives the diagnostics located by a key of the project file (`apis.x.profiles.y.include[1]`) that
/// file's path and the line and column of the key.
pub fn locate_in_config(output: &mut Output, config: &Path) {
    let text = std::fs::read_to_string(config).unwrap_or_default();
    for diagnostic in output.diagnostics.iter_mut().filter(|d| d.file == CONFIG_FILE && d.position.is_none()) {
        diagnostic.file = config.display().to_string();
        diagnostic.position = mcpgen::config_location::locate(&text, &diagnostic.pointer);
    }
}

/// Generates `job` in memory from its files and the copies of its fetched specs.
pub fn generate_job(job: &ApiJob) -> Output {
    let documents: Vec<_> = job.specs.iter().map(load_source).collect();
    mcpgen::generate_merged(&documents, &job.settings)
}

/// Loads one spec: its file (for a locked URL, the copy kept), or the text fetched for this run.
pub fn load_source(source: &SpecSource) -> load::Document {
    match source {
        SpecSource::Fetched { url, text } => load::load_text(url, text, None),
        source => load::load_file(source.path()),
    }
}

/// A spec given on the command line: a file, or a URL fetched now.
pub fn spec_source(spec: &str, fetcher: impl FnOnce() -> Result<Fetcher, String>) -> Result<SpecSource, String> {
    if !mcpgen::settings::is_url(spec) {
        return Ok(SpecSource::File(PathBuf::from(spec)));
    }
    match fetcher()?.fetch(spec, None)? {
        Fetched::Document { bytes, .. } => {
            Ok(SpecSource::Fetched { url: spec.to_string(), text: String::from_utf8_lossy(&bytes).into_owned() })
        }
        Fetched::NotModified => Err(format!("{spec} answered 304 Not Modified to a plain request")),
    }
}

/// Loads a spec given on the command line: a file, or a URL fetched now.
pub fn load_spec(spec: &str, fetcher: impl FnOnce() -> Result<Fetcher, String>) -> Result<load::Document, String> {
    Ok(load_source(&spec_source(spec, fetcher)?))
}

/// How many diagnostics are errors and how many warnings.
pub fn counts(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    (errors, diagnostics.len() - errors)
}

/// The API name a spec file gives when none is chosen: its file stem.
pub fn file_stem(spec: &str) -> String {
    let path = spec.split(['?', '#']).next().unwrap_or(spec).trim_end_matches('/');
    Path::new(path).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "api".into())
}
