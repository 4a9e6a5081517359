//! The command line, run as a user runs it: generate, regenerate, check and inspect.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn mcpgen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcpgen")).args(args).current_dir(dir).output().expect("mcpgen runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// A project folder with one API (Cal.com, the smallest spec) and its mcpgen.toml.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("specs")).expect("mkdir");
    std::fs::copy(common::root().join("specs/calcom.yaml"), dir.path().join("specs/calcom.yaml")).expect("copy");
    std::fs::write(
        dir.path().join("mcpgen.toml"),
        "[apis.calcom]\nspec = \"specs/calcom.yaml\"\nout = \"generated/calcom-mcp\"\n",
    )
    .expect("toml");
    dir
}

#[test]
fn generate_writes_only_changes_and_removes_stale_files() {
    let dir = project();
    let first = mcpgen(dir.path(), &["generate"]);
    assert!(first.status.success(), "{}", text(&first));
    assert!(text(&first).contains("calcom: 9 tools"), "{}", text(&first));
    let crate_dir = dir.path().join("generated/calcom-mcp");
    assert!(crate_dir.join("src/tools/bookings.rs").exists());

    let again = mcpgen(dir.path(), &["generate"]);
    assert!(text(&again).contains("0 files written, 0 removed"), "{}", text(&again));

    std::fs::write(crate_dir.join("src/tools/old_tag.rs"), "// stale").expect("write");
    std::fs::write(crate_dir.join(".env"), "CALCOM_API_KEY=keep-me").expect("write");
    std::fs::create_dir_all(crate_dir.join("target/debug")).expect("mkdir");
    let cleaned = mcpgen(dir.path(), &["generate"]);
    assert!(text(&cleaned).contains("0 files written, 1 removed"), "{}", text(&cleaned));
    assert!(!crate_dir.join("src/tools/old_tag.rs").exists());
    assert!(crate_dir.join(".env").exists() && crate_dir.join("target/debug").exists(), "user files are kept");
}

#[test]
fn check_reports_drift_as_a_diff_and_passes_when_up_to_date() {
    let dir = project();
    assert!(mcpgen(dir.path(), &["generate"]).status.success());
    let clean = mcpgen(dir.path(), &["check"]);
    assert!(clean.status.success(), "{}", text(&clean));
    assert!(text(&clean).contains("up to date"));

    let file = dir.path().join("generated/calcom-mcp/src/tools/bookings.rs");
    let edited =
        std::fs::read_to_string(&file).expect("read").replace("pub struct GetBookingArgs", "pub struct EditedArgs");
    std::fs::write(&file, edited).expect("write");
    std::fs::remove_file(dir.path().join("generated/calcom-mcp/README.md")).expect("remove");
    let drift = mcpgen(dir.path(), &["check"]);
    assert_eq!(drift.status.code(), Some(1));
    let report = text(&drift);
    assert!(report.contains("-pub struct EditedArgs") && report.contains("+pub struct GetBookingArgs"), "{report}");
    assert!(report.contains("b/generated/calcom-mcp/README.md"), "{report}");
}

#[test]
fn a_folder_mcpgen_did_not_write_is_refused() {
    let dir = project();
    let out = dir.path().join("mine");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::write(out.join("notes.txt"), "precious").expect("write");
    let refused = mcpgen(dir.path(), &["generate", "--spec", "specs/calcom.yaml", "--out", "mine"]);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("did not generate"), "{}", text(&refused));
    assert_eq!(std::fs::read_to_string(out.join("notes.txt")).expect("kept"), "precious");
}

#[test]
fn errors_and_strict_warnings_write_nothing() {
    let dir = project();
    let fixtures = common::root().join("tests/fixtures");
    let broken = mcpgen(
        dir.path(),
        &["generate", "--spec", fixtures.join("not_yaml.yaml").to_str().expect("utf8"), "--out", "broken"],
    );
    assert!(!broken.status.success());
    assert!(text(&broken).contains("not_yaml.yaml:3:1"), "{}", text(&broken));
    assert!(!dir.path().join("broken").exists());

    let spec = fixtures.join("oas31.yaml");
    let strict =
        mcpgen(dir.path(), &["generate", "--strict", "--spec", spec.to_str().expect("utf8"), "--out", "strict"]);
    assert!(!strict.status.success(), "{}", text(&strict));
    assert!(!dir.path().join("strict").exists());
    let lenient = mcpgen(dir.path(), &["generate", "--spec", spec.to_str().expect("utf8"), "--out", "lenient"]);
    assert!(lenient.status.success(), "{}", text(&lenient));
}

#[test]
fn inspect_lists_tools_size_and_warnings() {
    let dir = project();
    let inspected = mcpgen(dir.path(), &["inspect", "specs/calcom.yaml"]);
    assert!(inspected.status.success());
    let report = text(&inspected);
    assert!(
        report.contains("create_booking") && report.contains("POST") && report.contains("/v2/bookings"),
        "{report}"
    );
    assert!(report.contains("9 tools; tool list") && report.contains("0 errors, 0 warnings"), "{report}");
}
