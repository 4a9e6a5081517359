//! What the command line prints: diagnostics rendered with their source line (colour only where
//! wanted), `--format json` for machines, `--quiet` and `--verbose`, and shell completions.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn mcpgen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcpgen"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("mcpgen runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const ESCAPE: char = '\u{1b}';

#[test]
fn diagnostics_show_the_source_line_with_a_caret() {
    let root = common::root();
    let plain = mcpgen(&root, &["inspect", "tests/fixtures/dangling_refs.yaml", "--color", "never"]);
    insta::assert_snapshot!("rendered_diagnostics", stderr(&plain));
    let broken = mcpgen(&root, &["inspect", "tests/fixtures/not_yaml.yaml", "--color", "never"]);
    assert_eq!(broken.status.code(), Some(2));
    insta::assert_snapshot!("rendered_load_error", stderr(&broken));
    assert!(!stderr(&plain).contains(ESCAPE), "no colour when asked for none");
    let coloured = mcpgen(&root, &["inspect", "tests/fixtures/dangling_refs.yaml", "--color", "always"]);
    assert!(stderr(&coloured).contains(ESCAPE), "colour when asked for");
    assert!(!stdout(&coloured).contains(ESCAPE), "the tool table stays plain");
}

/// Runs `mcpgen ARGS` on a pseudo-terminal (util-linux `script`), with `NO_COLOR` as given.
fn on_a_terminal(args: &str, no_color: Option<&str>) -> String {
    let mut command = Command::new("script");
    command
        .args(["-qec", &format!("{} {args}", env!("CARGO_BIN_EXE_mcpgen")), "/dev/null"])
        .current_dir(common::root())
        .env_remove("NO_COLOR");
    if let Some(value) = no_color {
        command.env("NO_COLOR", value);
    }
    let output = command.output().expect("util-linux `script` runs (Debian bsdutils)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn colour_is_automatic_on_a_terminal_unless_no_color_is_set() {
    let args = "inspect tests/fixtures/dangling_refs.yaml";
    assert!(on_a_terminal(args, None).contains("\u{1b}[1m"), "a terminal gets colour");
    assert!(!on_a_terminal(args, Some("1")).contains(ESCAPE), "NO_COLOR turns it off");
    assert!(on_a_terminal(args, Some("")).contains(ESCAPE), "an empty NO_COLOR is unset");
    assert!(on_a_terminal(&format!("{args} --color always"), Some("1")).contains(ESCAPE), "--color always wins");
    assert!(!on_a_terminal(&format!("{args} --color never"), None).contains(ESCAPE));
}

#[test]
fn inspect_and_check_print_json() {
    let root = common::root();
    let inspected = mcpgen(&root, &["inspect", "tests/fixtures/dangling_refs.yaml", "--format", "json"]);
    assert!(stderr(&inspected).is_empty(), "JSON mode puts diagnostics in the document: {}", stderr(&inspected));
    let json: serde_json::Value = serde_json::from_slice(&inspected.stdout).expect("JSON");
    insta::assert_json_snapshot!("inspect_json", json);

    let checked = mcpgen(&root, &["check", "--format", "json"]);
    assert_eq!(checked.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&checked.stdout).expect("JSON");
    insta::assert_json_snapshot!("check_json", json);
}

#[test]
fn generate_prints_json_and_honours_quiet_and_verbose() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(common::root().join("tests/fixtures/diff/old.yaml"), dir.path().join("clinic.yaml")).expect("copy");
    std::fs::write(dir.path().join("mcpgen.toml"), "[apis.clinic]\nspec = \"clinic.yaml\"\nout = \"out\"\n")
        .expect("toml");
    let verbose = mcpgen(dir.path(), &["generate", "--verbose"]);
    assert!(stdout(&verbose).contains("wrote out/src/tools/mod.rs"), "{}", stdout(&verbose));

    std::fs::copy(common::root().join("tests/fixtures/diff/new.yaml"), dir.path().join("clinic.yaml")).expect("edit");
    let generated = mcpgen(dir.path(), &["generate", "--format", "json"]);
    assert_eq!(generated.status.code(), Some(0));
    let mut json: serde_json::Value = serde_json::from_slice(&generated.stdout).expect("JSON");
    let written = json["apis"][0]["written"].as_array().map(Vec::len).expect("written files");
    assert!(written > 5, "{json}");
    json["apis"][0]["written"] = "[the files written]".into();
    insta::assert_json_snapshot!("generate_json", json);

    let quiet = mcpgen(dir.path(), &["generate", "--quiet"]);
    assert_eq!((quiet.status.code(), stdout(&quiet)), (Some(0), String::new()));
    let quiet_failure = mcpgen(dir.path(), &["generate", "--quiet", "--spec", "missing.yaml", "--out", "x"]);
    assert_eq!(quiet_failure.status.code(), Some(2));
    assert!(stderr(&quiet_failure).contains("error"), "errors still show: {}", stderr(&quiet_failure));
    assert_eq!(mcpgen(dir.path(), &["generate", "-q", "-v"]).status.code(), Some(2), "--quiet and --verbose conflict");
}

#[test]
fn help_documents_the_exit_codes_and_completions_are_valid_shell() {
    let root = common::root();
    let help = stdout(&mcpgen(&root, &["--help"]));
    for line in ["0  success", "1  generated files differ", "2  invalid input"] {
        assert!(help.contains(line), "{help}");
    }
    let bash = mcpgen(&root, &["completions", "bash"]);
    assert!(bash.status.success());
    let script = stdout(&bash);
    assert!(script.contains("mcpgen") && script.contains("update") && script.contains("--fail-on"), "{script}");
    let checked = Command::new("bash").args(["-n", "-c", &script]).output().expect("bash runs");
    assert!(checked.status.success(), "bash -n: {}", stderr(&checked));
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let output = mcpgen(&root, &["completions", shell]);
        assert!(output.status.success() && stdout(&output).contains("generate"), "{shell}");
    }
    assert_eq!(mcpgen(&root, &["completions", "tcsh"]).status.code(), Some(2), "an unknown shell is a usage error");
}

/// A project of one large reference spec, whose generation takes over a second.
fn slow_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = common::root().join("../shared/reference-specs/oracle-opera-ohip/rsv.json");
    let config = format!("[apis.rsv]\nspec = {}\nout = \"out\"\n", toml::Value::String(spec.display().to_string()));
    std::fs::write(dir.path().join("mcpgen.toml"), config).expect("toml");
    dir
}

#[test]
fn a_progress_bar_shows_on_a_terminal_only() {
    let dir = slow_project();
    let command = format!("{} generate --color never", env!("CARGO_BIN_EXE_mcpgen"));
    let output =
        Command::new("script").args(["-qec", &command, "/dev/null"]).current_dir(dir.path()).output().expect("script");
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(screen.contains("[0/1] rsv"), "the bar names the API being generated:\n{screen}");
    assert!(screen.contains("rsv: "), "{screen}");

    let piped = mcpgen(dir.path(), &["generate", "--force"]);
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert!(!stderr(&piped).contains("[0/1]") && !stdout(&piped).contains("[0/1]"), "no bar without a terminal");
}

#[test]
fn diagnostics_of_mcpgen_toml_show_the_line_of_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(common::root().join("specs/calcom.yaml"), dir.path().join("calcom.yaml")).expect("copy");
    let config = "[apis.calcom]\nspec = \"calcom.yaml\"\nout = \"out\"\n\n[apis.calcom.profiles.booking]\n\
                  include = [\"get_bookings\", \"no_such_tool\"]\nrename = { get_bookings = \"find bookings\" }\n";
    std::fs::write(dir.path().join("mcpgen.toml"), config).expect("toml");
    let inspected = mcpgen(dir.path(), &["inspect", "calcom", "--color", "never"]);
    assert_eq!(inspected.status.code(), Some(2));
    insta::assert_snapshot!("rendered_config_diagnostics", stderr(&inspected));
    let generated = mcpgen(dir.path(), &["generate", "--color", "never"]);
    assert_eq!(generated.status.code(), Some(2));
    assert!(stderr(&generated).contains("7 | rename = { get_bookings = \"find bookings\" }"), "{}", stderr(&generated));
    assert!(!dir.path().join("out").exists());
}
