//! Every crate under generated/ builds on its own with its committed lock file, is clippy-clean
//! and passes its own tests; so do crates generated from the hostile fixtures.

mod common;

use mcpgen::listing;
use mcpgen::settings::Settings;

#[test]
fn committed_crates_are_clippy_clean_build_and_pass_their_tests() {
    for job in common::project_jobs() {
        let dir = &job.out;
        assert!(dir.join("Cargo.lock").exists(), "{} has no Cargo.lock", dir.display());
        common::cargo(dir, &["clippy", "--locked", "--all-targets", "--quiet", "--", "-D", "warnings"]);
        common::cargo(dir, &["build", "--locked", "--quiet"]);
        common::cargo(dir, &["test", "--locked", "--quiet"]);
        let crate_name = format!("{}-mcp", job.settings.name);
        let binary = common::generated_target().join("debug").join(&crate_name);
        let printed =
            std::process::Command::new(&binary).arg("tools").env_remove("MCP_PROFILE").output().expect("runs");
        assert!(printed.status.success(), "{crate_name} tools: {}", String::from_utf8_lossy(&printed.stderr));
        let listed: Vec<serde_json::Value> = serde_json::from_slice(&printed.stdout).expect("tool list JSON");
        let output = common::generate_job(&job);
        let expected: Vec<serde_json::Value> =
            output.api.tools().map(|tool| listing::entry(tool, &tool.name)).collect();
        assert_eq!(listed.len(), expected.len(), "{crate_name}");
        for entry in &expected {
            assert!(
                listed.contains(entry),
                "{crate_name} lists {} as the IR says, shared schema text expanded",
                entry["name"]
            );
        }
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
        "empty_form_bodies.yaml",
        "pointer_escapes.yaml",
        "parameter_combinations.yaml",
        "request_bodies.yaml",
        "dangling_refs.yaml",
        "big_numbers.yaml",
        "oas31_keywords.yaml",
        "lenient.yaml",
    ] {
        let name = format!("fixture_{}", fixture.split(['.', '/']).next().expect("stem"));
        let output = common::generate(&fixtures.join(fixture), &Settings::new(name.replace('_', "-")));
        assert!(!output.has_errors(), "{fixture}: {:#?}", output.diagnostics);
        let dir = common::root().join("target/fixture-crates").join(&name);
        common::write_crate(&dir, &output);
        common::cargo(&dir, &["clippy", "--locked", "--all-targets", "--quiet", "--", "-D", "warnings"]);
    }
}

/// Runs the builder stage of a crate's Dockerfile outside Docker: from a copy of the crate folder
/// without what `.dockerignore` leaves out (the build context), each `COPY` and `RUN` in order, in a
/// fresh build folder; then runs the binary the runtime stage copies. Release artifacts go to one
/// shared target folder of the generated crates, so the dependencies build once for all of them.
#[test]
fn dockerfile_build_steps_work_from_the_build_context_alone() {
    let target = common::generated_target();
    for job in common::project_jobs() {
        let crate_name = format!("{}-mcp", job.settings.name);
        let dockerfile = std::fs::read_to_string(job.out.join("Dockerfile")).expect("Dockerfile");
        let ignored: Vec<String> = std::fs::read_to_string(job.out.join(".dockerignore"))
            .expect(".dockerignore")
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .map(str::to_string)
            .collect();
        let context = common::root().join("target/docker-context").join(&crate_name);
        let build = common::root().join("target/docker-build").join(&crate_name);
        for folder in [&context, &build] {
            let _ = std::fs::remove_dir_all(folder);
            std::fs::create_dir_all(folder).expect("mkdir");
        }
        copy_tree(&job.out, &context, &ignored);

        let builder: Vec<String> = instructions(&dockerfile)
            .into_iter()
            .skip_while(|line| !line.starts_with("FROM ") || !line.ends_with(" AS builder"))
            .skip(1)
            .take_while(|line| !line.starts_with("FROM "))
            .collect();
        assert!(builder.iter().any(|line| line.contains("cargo build --profile dist --locked")), "{builder:?}");
        for instruction in &builder {
            if let Some(arguments) = instruction.strip_prefix("COPY ") {
                let parts: Vec<&str> = arguments.split_whitespace().collect();
                let (sources, destination) = parts.split_at(parts.len() - 1);
                for source in sources {
                    let from = context.join(source);
                    let to = build.join(destination[0]).join(if destination[0].ends_with('/') { source } else { "" });
                    if from.is_dir() {
                        copy_tree(&from, &build.join(destination[0]), &[]);
                    } else {
                        std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("COPY {source}: {e}"));
                    }
                }
            } else if let Some(command) = instruction.strip_prefix("RUN ") {
                let status = std::process::Command::new("sh")
                    .args(["-c", command])
                    .current_dir(&build)
                    .env("CARGO_TARGET_DIR", &target)
                    .status()
                    .expect("sh runs");
                assert!(status.success(), "{crate_name}: RUN {command} failed");
            }
        }
        let copied = format!("/build/target/dist/{crate_name}");
        assert!(dockerfile.contains(&format!("COPY --from=builder {copied} ")), "the runtime stage copies {copied}");
        let binary = target.join("dist").join(&crate_name);
        let tools = std::process::Command::new(&binary).arg("tools").output().expect("the dist binary runs");
        assert!(tools.status.success(), "{crate_name} tools: {}", String::from_utf8_lossy(&tools.stderr));
        let listed: serde_json::Value = serde_json::from_slice(&tools.stdout).expect("tool list JSON");
        assert!(listed.as_array().is_some_and(|tools| !tools.is_empty()));
    }
}

/// Dockerfile instructions, continuation lines joined, comments dropped.
fn instructions(dockerfile: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines().filter(|line| !line.trim_start().starts_with('#')) {
        let line = line.trim();
        match line.strip_suffix('\\') {
            Some(head) => current.push_str(head),
            None => {
                current.push_str(line);
                if !current.trim().is_empty() {
                    out.push(current.trim().to_string());
                }
                current.clear();
            }
        }
    }
    out
}

/// Copies `from` into `to`, leaving out top-level entries named in `ignored`.
fn copy_tree(from: &std::path::Path, to: &std::path::Path, ignored: &[String]) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if ignored.contains(&name) {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(&name), &[]);
        } else {
            std::fs::copy(&path, to.join(&name)).expect("copy");
        }
    }
}
