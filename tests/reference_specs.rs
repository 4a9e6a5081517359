//! Every real published spec in `../shared/reference-specs/` generates without an error and every
//! warning is located; Cliniko, OPERA (six files) and Cal.com, with their profiles, become crates
//! that build clippy-clean.

mod common;

use std::path::PathBuf;

use mcpgen::settings::{ProjectConfig, Settings};

fn reference_dir() -> Option<PathBuf> {
    let dir = common::root().join("../shared/reference-specs");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("note: {} is absent; the reference-spec tests have nothing to check", dir.display());
        None
    }
}

#[test]
fn every_reference_spec_generates_without_error() {
    let Some(dir) = reference_dir() else { return };
    let specs = common::spec_files(&dir);
    assert!(specs.len() >= 15, "expected the reference specs, found {specs:?}");
    for spec in specs {
        let name = spec.file_stem().expect("stem").to_string_lossy().replace('.', "_");
        let output = common::generate(&spec, &Settings::new(name));
        assert!(!output.has_errors(), "{}: {:#?}", spec.display(), output.diagnostics);
        assert!(output.api.tools().next().is_some(), "{} gives no tools", spec.display());
        for diagnostic in &output.diagnostics {
            assert!(diagnostic.position.is_some(), "{}: unlocated {diagnostic}", spec.display());
        }
        assert!(output.files.keys().any(|path| path == "src/main.rs"));
    }
}

/// The reference APIs of `tests/reference/mcpgen.toml` (Cliniko with a `voice` profile, OPERA
/// from its five property modules and its OAuth file with a `front_desk` profile, Cal.com with a
/// `booking` profile) generate without errors and build clippy-clean; the end-to-end tests drive
/// the binaries.
#[test]
fn the_reference_apis_build_clippy_clean_with_their_profiles() {
    let Some(_) = reference_dir() else { return };
    let config = common::root().join("tests/reference/mcpgen.toml");
    let text = std::fs::read_to_string(&config).expect("tests/reference/mcpgen.toml");
    let jobs = ProjectConfig::parse(&text).expect("it parses").jobs(config.parent().expect("folder"));
    assert_eq!(jobs.len(), 3);
    for job in jobs {
        let output = common::generate_job(&job);
        assert!(!output.has_errors(), "{}: {:#?}", job.settings.name, output.diagnostics);
        let selectors = output.diagnostics.iter().filter(|d| d.file == "mcpgen.toml");
        assert_eq!(selectors.count(), 0, "every selector of {} matches", job.settings.name);
        assert_eq!(output.api.profiles.len(), 1, "{}", job.settings.name);
        assert!((3..=8).contains(&output.api.profiles[0].tools.len()), "{:?}", output.api.profiles[0]);
        for (path, text) in &output.files {
            assert!(text.len() <= 1024 * 1024, "{}/{path} is {} bytes", job.settings.name, text.len());
        }
        let tools = output.api.tools().count();
        if tools > 500 {
            assert!(
                output.files["README.md"].contains(&format!("prints all {tools}")),
                "the README lists 500 and says so"
            );
        }
        common::write_crate(&job.out, &output);
        common::cargo(&job.out, &["clippy", "--locked", "--quiet", "--", "-D", "warnings"]);
        common::cargo(&job.out, &["build", "--locked", "--quiet"]);
    }
}
