//! A tool's input schema over `max_input_schema_bytes` is inlined less deep until it fits, with a
//! located warning that says how large it was and is.

mod common;

use mcpgen::settings::Settings;

#[test]
fn large_input_schemas_are_cut_to_the_budget_with_a_warning() {
    let spec = common::root().join("specs/opera.json");
    let full = common::generate(&spec, &Settings::new("opera"));
    let largest = full.api.tools().map(|tool| tool.input_schema.to_string().len()).max().expect("tools");
    let budget = largest / 2;
    let mut settings = Settings::new("opera");
    settings.max_input_schema_bytes = budget;
    let cut = common::generate(&spec, &settings);
    assert!(!cut.has_errors(), "{:#?}", cut.diagnostics);
    let warnings: Vec<_> = cut.diagnostics.iter().filter(|d| d.message.contains("over the")).collect();
    assert!(!warnings.is_empty());
    for warning in &warnings {
        assert!(
            warning.position.is_some() && warning.message.contains("KiB with `$ref`s inlined 4 levels deep"),
            "{warning}"
        );
    }
    for (before, after) in full.api.tools().zip(cut.api.tools()) {
        let (size_before, size_after) = (before.input_schema.to_string().len(), after.input_schema.to_string().len());
        assert!(size_after <= size_before, "a cut schema is never larger");
        if size_before > budget {
            let warning = warnings.iter().find(|w| w.pointer == after.pointer).expect("a warning for each schema over");
            assert!(size_after <= budget || warning.message.contains("even with no `$ref` inlined"), "{warning}");
        }
    }
    assert_eq!(full.api.tools().count(), cut.api.tools().count(), "no tool is lost");
}
