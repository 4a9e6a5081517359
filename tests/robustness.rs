//! The generator never panics: specs mutated at random, as text and as structure, give output or
//! diagnostics, never a crash; and what they give is deterministic.

mod common;

use mcpgen::load;
use mcpgen::settings::Settings;
use proptest::prelude::*;
use serde_json::Value;

fn sources() -> Vec<String> {
    let root = common::root();
    [
        "specs/calcom.yaml",
        "tests/fixtures/keywords.yaml",
        "tests/fixtures/collisions.yaml",
        "tests/fixtures/recursion.yaml",
        "tests/fixtures/swagger2_formdata.json",
        "tests/fixtures/oas31.yaml",
    ]
    .iter()
    .map(|path| std::fs::read_to_string(root.join(path)).expect("fixture"))
    .collect()
}

fn run(text: &str) {
    let document = load::load_text("mutated.yaml", text, None);
    let output = mcpgen::generate(&document, &Settings::new("mutated"));
    for diagnostic in &output.diagnostics {
        assert!(!diagnostic.message.is_empty() && !diagnostic.help.is_empty());
    }
    if !output.has_errors() {
        assert!(output.files.contains_key("src/main.rs"));
    }
}

/// Text mutations: delete, duplicate or replace a span with YAML/JSON punctuation.
fn mutate_text(source: &str, position: usize, length: usize, kind: u8, noise: &str) -> String {
    let mut cut = position % (source.len() + 1);
    while !source.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut end = (cut + length).min(source.len());
    while !source.is_char_boundary(end) {
        end -= 1;
    }
    match kind % 3 {
        0 => format!("{}{}", &source[..cut], &source[end..]),
        1 => format!("{}{}{}", &source[..end], &source[cut..end], &source[end..]),
        _ => format!("{}{noise}{}", &source[..cut], &source[end..]),
    }
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-z$#/{}\\[\\]~ ]{0,12}".prop_map(Value::String),
        Just(Value::String("#/components/schemas/Nope".into())),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                "(type|items|\\$ref|properties|allOf|oneOf|in|name|schema|required|enum|[a-z]{1,6})",
                inner,
                0..4
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Replaces the node at a random walk of `steps` into the document with `replacement`.
fn graft(node: &mut Value, steps: &[usize], replacement: Value) {
    let Some((step, rest)) = steps.split_first() else {
        *node = replacement;
        return;
    };
    let len = match node {
        Value::Object(map) => map.len(),
        Value::Array(items) => items.len(),
        _ => 0,
    };
    if len == 0 {
        *node = replacement;
        return;
    }
    let child = match node {
        Value::Object(map) => map.values_mut().nth(step % len),
        Value::Array(items) => items.get_mut(step % len),
        _ => None,
    };
    if let Some(child) = child {
        graft(child, rest, replacement);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_text_never_panics(which in 0usize..6, position in 0usize..20_000, length in 0usize..200, kind in any::<u8>(), noise in "[-:{}\\[\\]\"' \n#&*!|>,0-9a-z$]{0,8}") {
        let sources = sources();
        let source = &sources[which % sources.len()];
        run(&mutate_text(source, position, length, kind, &noise));
    }

    #[test]
    fn mutated_structure_never_panics(which in 0usize..6, steps in prop::collection::vec(any::<usize>(), 1..8), replacement in arbitrary_json()) {
        let sources = sources();
        let document = load::load_text("source", &sources[which % sources.len()], None);
        prop_assume!(document.diagnostics.iter().all(|d| !d.is_error()));
        let text = &sources[which % sources.len()];
        let mut value: Value = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).expect("json")
        } else {
            yaml_serde::from_str(text).expect("yaml")
        };
        graft(&mut value, &steps, replacement);
        run(&serde_json::to_string(&value).expect("serialize"));
    }
}

#[test]
fn generation_is_deterministic() {
    for job in common::project_jobs() {
        let first = common::generate_job(&job);
        let second = common::generate_job(&job);
        assert_eq!(first.files, second.files);
    }
}

#[test]
fn tool_names_do_not_depend_on_operation_order() {
    let text = std::fs::read_to_string(common::root().join("tests/fixtures/collisions.yaml")).expect("fixture");
    let mut value: Value = yaml_serde::from_str(&text).expect("yaml");
    let names = |value: &Value| {
        let document = load::load_text("x.json", &serde_json::to_string(value).expect("json"), None);
        let output = mcpgen::generate(&document, &Settings::new("x"));
        let mut names: Vec<(String, String, String)> =
            output.api.tools().map(|t| (t.path.clone(), t.method.as_str().to_string(), t.name.clone())).collect();
        names.sort();
        names
    };
    let before = names(&value);
    let paths = value["paths"].as_object_mut().expect("paths");
    let reversed: serde_json::Map<String, Value> = paths.clone().into_iter().rev().collect();
    *paths = reversed;
    assert_eq!(before, names(&value));
}
