//! The server benchmark's driver (`scripts/bench`) works: run briefly against a debug build of the
//! benchmark's clinic server, it completes every call over both transports and reports each figure.

mod common;

use std::process::Command;

#[test]
fn the_driver_measures_both_transports() {
    let out = common::root().join("target/bench-test/clinic-mcp");
    let generated = Command::new(env!("CARGO_BIN_EXE_mcpgen"))
        .args(["generate", "--quiet", "--force", "--spec", "benches/server/clinic.yaml", "--name", "clinic", "--out"])
        .arg(&out)
        .current_dir(common::root())
        .output()
        .expect("mcpgen runs");
    assert!(generated.status.success(), "{}", String::from_utf8_lossy(&generated.stderr));
    common::cargo(&out, &["build", "--locked", "--quiet"]);
    let server = common::generated_target().join("debug/clinic-mcp");
    let report = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--locked", "--example", "bench-driver", "--"])
        .arg(&server)
        .args(["64", "640"])
        .current_dir(common::root())
        .output()
        .expect("the driver runs");
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(report.status.success(), "{text}\n{}", String::from_utf8_lossy(&report.stderr));
    for row in [
        "| stdio |",
        "| HTTP |",
        "| direct upstream call |",
        "| stdio, 16 in flight |",
        "| HTTP, 16 in flight |",
        "## Resident memory over 640 more calls",
        "| after 64 calls | after 640 calls |",
    ] {
        assert!(text.contains(row), "{row} missing:\n{text}");
    }
    // tools/list of the seven clinic tools, measured as the client receives it.
    let listed = text.lines().find(|line| line.starts_with("| stdio |")).expect("stdio row");
    let bytes: usize = listed.split('|').nth(3).and_then(|cell| cell.trim().parse().ok()).expect("tools/list bytes");
    assert!((2_000..10_000).contains(&bytes), "{listed}");
}
