//! `mcpgen diff`: every kind of change between two specs, classified, in human and JSON form;
//! exit codes for CI; and the changelog a regeneration writes from the same changes.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn mcpgen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcpgen")).args(args).current_dir(dir).output().expect("mcpgen runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const OLD: &str = "tests/fixtures/diff/old.yaml";
const NEW: &str = "tests/fixtures/diff/new.yaml";

#[test]
fn every_change_kind_is_found_and_classified() {
    let root = common::root();
    let human = mcpgen(&root, &["diff", OLD, NEW, "--name", "clinic", "--color", "never"]);
    assert_eq!(human.status.code(), Some(0), "reporting alone succeeds");
    insta::assert_snapshot!("diff_human", stdout(&human));

    let json = mcpgen(&root, &["diff", OLD, NEW, "--name", "clinic", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON on stdout");
    insta::assert_json_snapshot!("diff_json", report);

    let kinds = |class: &str| -> Vec<String> {
        report[class]
            .as_array()
            .expect(class)
            .iter()
            .map(|change| change["kind"].as_str().expect("kind").to_string())
            .collect()
    };
    let (breaking, non_breaking) = (kinds("breaking"), kinds("non_breaking"));
    for kind in [
        "tool_removed",
        "tool_renamed",
        "argument_added_required",
        "argument_removed",
        "argument_retyped",
        "argument_made_required",
        "enum_values_removed",
        "format_tightened",
        "pattern_tightened",
        "bound_tightened",
        "auth_changed",
    ] {
        assert!(breaking.iter().any(|found| found == kind), "{kind} is breaking: {breaking:?}");
        assert!(!non_breaking.iter().any(|found| found == kind && kind != "argument_retyped"), "{kind}");
    }
    for kind in [
        "tool_added",
        "route_changed",
        "argument_added_optional",
        "argument_made_optional",
        "enum_values_added",
        "format_loosened",
        "pattern_loosened",
        "bound_loosened",
        "base_url_changed",
        // Accepting null as well rejects nothing that was accepted.
        "argument_retyped",
    ] {
        assert!(non_breaking.iter().any(|found| found == kind), "{kind} is not breaking: {non_breaking:?}");
    }
    for change in report["breaking"].as_array().into_iter().chain(report["non_breaking"].as_array()).flatten() {
        assert!(change.get("tool").is_some() && change["detail"].is_string(), "{change}");
    }
}

#[test]
fn fail_on_breaking_exits_1_and_bad_input_exits_2() {
    let root = common::root();
    let breaking = mcpgen(&root, &["diff", OLD, NEW, "--fail-on", "breaking"]);
    assert_eq!(breaking.status.code(), Some(1), "{}", String::from_utf8_lossy(&breaking.stderr));
    assert!(String::from_utf8_lossy(&breaking.stderr).contains("12 breaking changes"));

    // Only additions: nothing breaks.
    let additions = mcpgen(&root, &["diff", NEW, OLD, "--fail-on", "breaking", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&additions.stdout).expect("JSON");
    assert!(!report["breaking"].as_array().expect("list").is_empty(), "the reverse diff breaks too");
    let same = mcpgen(&root, &["diff", NEW, NEW, "--fail-on", "breaking"]);
    assert_eq!(same.status.code(), Some(0));
    assert_eq!(stdout(&same), "no changes to the tools\n");

    let broken = mcpgen(&root, &["diff", OLD, "tests/fixtures/not_yaml.yaml", "--color", "never"]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("not_yaml.yaml:3:1"));
    let missing = mcpgen(&root, &["diff", OLD]);
    assert_eq!(missing.status.code(), Some(2), "an API name that is not in mcpgen.toml");
    let usage = mcpgen(&root, &["diff"]);
    assert_eq!(usage.status.code(), Some(2), "clap's usage error");
}

/// A project whose API `clinic` is generated from a local spec, edited afterwards.
#[test]
fn regenerating_an_edited_spec_writes_the_changes_to_the_changelog() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("clinic.yaml");
    std::fs::copy(common::root().join(OLD), &spec).expect("copy");
    std::fs::write(dir.path().join("mcpgen.toml"), "[apis.clinic]\nspec = \"clinic.yaml\"\nout = \"out\"\n")
        .expect("toml");
    assert!(mcpgen(dir.path(), &["generate"]).status.success());
    let changelog = dir.path().join("out/CHANGELOG.md");
    let first = std::fs::read_to_string(&changelog).expect("changelog");
    assert!(first.contains("## API version 1.0.0\n\n- First generated, with 5 tools."), "{first}");
    std::fs::write(&changelog, format!("{first}\nReleased to the front desk.\n")).expect("a note by hand");

    std::fs::copy(common::root().join(NEW), &spec).expect("edit");
    let pending = mcpgen(dir.path(), &["diff", "clinic", "--format", "json", "--fail-on", "breaking"]);
    assert_eq!(pending.status.code(), Some(1), "the edit breaks clients");
    let report: serde_json::Value = serde_json::from_slice(&pending.stdout).expect("JSON");
    assert_eq!(report["breaking"].as_array().map(Vec::len), Some(12));
    assert_eq!(mcpgen(dir.path(), &["check"]).status.code(), Some(1), "the crate drifted");

    let regenerated = mcpgen(dir.path(), &["generate"]);
    assert!(regenerated.status.success());
    assert!(stdout(&regenerated).contains("tool changes since the last generation: 12 breaking, 11 non-breaking"));
    let second = std::fs::read_to_string(&changelog).expect("changelog");
    let newest = second.find("## API version 2.0.0 (was 1.0.0)").expect("a new entry");
    assert!(newest < second.find("## API version 1.0.0").expect("the old entry"), "newest first:\n{second}");
    assert!(second.contains("Breaking:\n\n- authentication no longer HTTP Basic"), "{second}");
    assert!(second.contains("- create_patient: `date_of_birth` added, required (string)"), "{second}");
    assert!(second.contains("- list_practitioners: added (GET /practitioners)"), "{second}");
    assert!(second.contains("Released to the front desk."), "the note is kept:\n{second}");
    let check = mcpgen(dir.path(), &["check"]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    let quiet = mcpgen(dir.path(), &["diff", "clinic", "--fail-on", "breaking"]);
    assert_eq!((quiet.status.code(), stdout(&quiet)), (Some(0), "no changes to the tools\n".to_string()));
}
