//! Every real published spec in `../shared/reference-specs/` generates without an error, every
//! warning is located, and the largest ones (Cliniko, OPERA reservations) become crates that build.

mod common;

use std::path::PathBuf;

use mcpgen::settings::Settings;

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

#[test]
fn cliniko_and_opera_reservations_build() {
    let Some(dir) = reference_dir() else { return };
    for (name, spec) in
        [("cliniko_reference", "cliniko/cliniko-openapi.json"), ("opera_rsv_reference", "oracle-opera-ohip/rsv.json")]
    {
        let output = common::generate(&dir.join(spec), &Settings::new(name));
        assert!(!output.has_errors(), "{:#?}", output.diagnostics);
        let crate_dir = common::root().join("target/reference-crates").join(name);
        common::write_crate(&crate_dir, &output);
        common::cargo(&crate_dir, &["build", "--locked", "--quiet"]);
    }
}
