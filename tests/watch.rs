//! `mcpgen generate --watch`: an edited spec is regenerated within seconds, with its tool changes
//! printed; a broken edit prints diagnostics and the watch goes on; the next good edit, and an edit
//! of mcpgen.toml, regenerate again.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// The watching process, killed when dropped.
struct Watcher {
    child: Child,
    lines: Receiver<String>,
    seen: String,
}

impl Watcher {
    fn start(dir: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mcpgen"))
            .args(["generate", "--watch", "--color", "never"])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mcpgen starts");
        let (sender, lines) = channel();
        let streams: [Box<dyn Read + Send>; 2] =
            [Box::new(child.stdout.take().expect("stdout")), Box::new(child.stderr.take().expect("stderr"))];
        for stream in streams {
            let sender = sender.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Self { child, lines, seen: String::new() }
    }

    /// Waits for output lines until one contains `wanted`; returns everything read meanwhile.
    fn wait_for(&mut self, wanted: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut read = String::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    read.push_str(&line);
                    read.push('\n');
                    if line.contains(wanted) {
                        self.seen.push_str(&read);
                        return read;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no line with {wanted:?} within 30 s; read:\n{read}\nbefore:\n{}", self.seen);
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(common::root().join("tests/fixtures/diff").join(name)).expect("fixture")
}

#[test]
fn edits_regenerate_errors_do_not_stop_the_watch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("clinic.yaml");
    std::fs::write(&spec, fixture("old.yaml")).expect("spec");
    let config = "[apis.clinic]\nspec = \"clinic.yaml\"\nout = \"out\"\n";
    std::fs::write(dir.path().join("mcpgen.toml"), config).expect("toml");
    let changelog = dir.path().join("out/CHANGELOG.md");

    let mut watcher = Watcher::start(dir.path());
    let first = watcher.wait_for("watching 2 files");
    assert!(first.contains("clinic: 5 tools"), "{first}");

    std::fs::write(&spec, fixture("new.yaml")).expect("edit");
    let edited = watcher.wait_for("tool changes since the last generation");
    assert!(edited.contains("clinic: 5 tools"), "{edited}");
    let changes = watcher.wait_for("list_practitioners: added");
    assert!(changes.contains("retrieve_patient: renamed from `get_patient`"), "{changes}");
    assert!(std::fs::read_to_string(&changelog).expect("changelog").contains("## API version 2.0.0 (was 1.0.0)"));

    std::fs::write(&spec, "openapi: 3.0.3\npaths: [unclosed\n").expect("broken edit");
    let broken = watcher.wait_for("clinic: not generated");
    assert!(broken.contains("error: invalid YAML") && broken.contains("2 | paths: [unclosed"), "located:\n{broken}");

    std::fs::write(&spec, fixture("old.yaml")).expect("good edit");
    let repaired = watcher.wait_for("tool changes since the last generation");
    assert!(repaired.contains("clinic: 5 tools"), "{repaired}");
    assert!(std::fs::read_to_string(&changelog).expect("changelog").contains("## API version 1.0.0 (was 2.0.0)"));

    std::fs::write(dir.path().join("mcpgen.toml"), format!("{config}exclude = [\"deletePatient\"]\n")).expect("toml");
    let settings = watcher.wait_for("clinic: 4 tools");
    assert!(settings.contains("clinic: 4 tools, 0 operations skipped"), "{settings}");
}
