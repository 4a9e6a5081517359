//! The committed generated/ tree is exactly what the specs produce (the CI drift check).

mod common;

use std::process::Command;

#[test]
fn generated_tree_is_up_to_date() {
    let output = Command::new(env!("CARGO_BIN_EXE_mcpgen"))
        .arg("check")
        .current_dir(common::root())
        .output()
        .expect("mcpgen runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "generated/ drifted; run `cargo run -- generate` and review:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("up to date"), "{stdout}");
}
