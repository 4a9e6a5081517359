//! `mcpgen init`: a commented mcpgen.toml for a spec that generates as it is, an API added to an
//! existing project, a skeleton without a spec, and nothing written on a mistake.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use mcpgen::settings::ProjectConfig;

fn mcpgen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcpgen")).args(args).current_dir(dir).output().expect("mcpgen runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn init_writes_a_project_that_generates_and_adds_apis_to_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("specs")).expect("mkdir");
    for spec in ["cliniko.yaml", "calcom.yaml"] {
        std::fs::copy(common::root().join("specs").join(spec), dir.path().join("specs").join(spec)).expect("copy");
    }
    let started = mcpgen(dir.path(), &["init", "specs/cliniko.yaml"]);
    assert!(started.status.success(), "{}", text(&started));
    assert!(text(&started).contains("API `cliniko`, 30 tools") && text(&started).contains("next: `mcpgen generate`"));
    let config = std::fs::read_to_string(dir.path().join("mcpgen.toml")).expect("written");
    insta::assert_snapshot!("init_cliniko", config);
    let project = ProjectConfig::parse(&config).expect("parses");
    let cliniko = &project.apis["cliniko"];
    assert_eq!(cliniko.env_prefix.as_deref(), Some("CLINIKO"));
    assert!(config.contains("CLINIKO_USERNAME, CLINIKO_PASSWORD: HTTP Basic"), "credentials from the security scheme");
    // Every commented example is valid once uncommented.
    let uncommented: String = config
        .lines()
        .map(|line| line.strip_prefix("# ").filter(|l| l.contains(" = ") || l.starts_with('[')).unwrap_or(line))
        .map(|line| format!("{line}\n"))
        .collect();
    let uncommented = uncommented.replace("\"MY_USER\"", "\"CLINIKO_API_KEY\"");
    ProjectConfig::parse(&uncommented).unwrap_or_else(|e| panic!("{e}\n{uncommented}"));

    let added = mcpgen(dir.path(), &["init", "specs/calcom.yaml"]);
    assert!(added.status.success(), "{}", text(&added));
    let both = std::fs::read_to_string(dir.path().join("mcpgen.toml")).expect("written");
    assert!(both.starts_with(&config), "the first API is kept as it was");
    assert_eq!(ProjectConfig::parse(&both).expect("parses").apis.len(), 2);
    let generated = mcpgen(dir.path(), &["generate"]);
    assert!(generated.status.success(), "{}", text(&generated));
    assert!(text(&generated).contains("cliniko: 30 tools") && text(&generated).contains("calcom: 9 tools"));
    assert_eq!(mcpgen(dir.path(), &["check"]).status.code(), Some(0));

    let again = mcpgen(dir.path(), &["init", "specs/calcom.yaml"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again).contains("already has an API `calcom`"), "{}", text(&again));
    assert_eq!(std::fs::read_to_string(dir.path().join("mcpgen.toml")).expect("kept"), both);
}

#[test]
fn init_without_a_spec_writes_a_skeleton_and_a_bad_spec_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broken =
        mcpgen(dir.path(), &["init", common::root().join("tests/fixtures/not_yaml.yaml").to_str().expect("utf8")]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(text(&broken).contains("not_yaml.yaml:3:1"), "{}", text(&broken));
    assert!(!dir.path().join("mcpgen.toml").exists());

    let skeleton = mcpgen(dir.path(), &["init"]);
    assert!(skeleton.status.success(), "{}", text(&skeleton));
    let config = std::fs::read_to_string(dir.path().join("mcpgen.toml")).expect("written");
    assert!(config.contains("# [apis.petstore]"), "{config}");
    let uncommented = config.replace("# [apis", "[apis").replace("# spec", "spec").replace("# out", "out");
    assert!(ProjectConfig::parse(&uncommented).is_ok(), "{uncommented}");
    let twice = mcpgen(dir.path(), &["init"]);
    assert_eq!(twice.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(dir.path().join("mcpgen.toml")).expect("kept"), config);
}
