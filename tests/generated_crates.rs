//! Every crate under generated/ builds on its own with its committed lock file, is clippy-clean
//! and passes its own tests; so do crates generated from the hostile fixtures.

mod common;

use mcpgen::settings::Settings;

#[test]
fn committed_crates_are_clippy_clean_build_and_pass_their_tests() {
    for job in common::project_jobs() {
        let dir = &job.out;
        assert!(dir.join("Cargo.lock").exists(), "{} has no Cargo.lock", dir.display());
        common::cargo(dir, &["clippy", "--locked", "--all-targets", "--quiet", "--", "-D", "warnings"]);
        common::cargo(dir, &["build", "--locked", "--quiet"]);
        common::cargo(dir, &["test", "--locked", "--quiet"]);
    }
}

#[test]
fn crates_from_hostile_fixtures_compile_clippy_clean() {
    let fixtures = common::root().join("tests/fixtures");
    for fixture in [
        "keywords.yaml",
        "collisions.yaml",
        "recursion.yaml",
        "oas31.yaml",
        "swagger2_formdata.json",
        "missing_operation_ids.yaml",
        "external/main.yaml",
    ] {
        let name = format!("fixture_{}", fixture.split(['.', '/']).next().expect("stem"));
        let output = common::generate(&fixtures.join(fixture), &Settings::new(name.replace('_', "-")));
        assert!(!output.has_errors(), "{fixture}: {:#?}", output.diagnostics);
        let dir = common::root().join("target/fixture-crates").join(&name);
        common::write_crate(&dir, &output);
        common::cargo(&dir, &["clippy", "--locked", "--all-targets", "--quiet", "--", "-D", "warnings"]);
    }
}
