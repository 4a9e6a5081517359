//! Snapshots of what lowering decides (IR), of the tool lists models see, and of the diagnostics
//! of hostile specs. Review changes with `cargo insta review`; CI never accepts them.

mod common;

use mcpgen::settings::Settings;
use serde_json::json;

#[test]
fn project_specs_ir_and_tool_lists() {
    for job in common::project_jobs() {
        let output = common::generate_job(&job);
        assert!(!output.has_errors(), "{:#?}", output.diagnostics);
        let name = &job.settings.name;
        insta::assert_yaml_snapshot!(format!("{name}_ir"), output.api);
        let tools: Vec<_> = output
            .api
            .tools()
            .map(|tool| json!({"name": tool.name, "title": tool.title, "description": tool.description, "annotations": tool.annotations, "inputSchema": tool.input_schema}))
            .collect();
        insta::assert_json_snapshot!(format!("{name}_tools"), tools);
        insta::assert_yaml_snapshot!(format!("{name}_diagnostics"), common::rendered_diagnostics(&output));
    }
}

#[test]
fn hostile_fixtures_diagnostics_and_names() {
    let fixtures = common::root().join("tests/fixtures");
    let mut specs: Vec<_> = std::fs::read_dir(&fixtures)
        .expect("fixtures")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_file())
        .collect();
    specs.push(fixtures.join("external/main.yaml"));
    specs.sort();
    for spec in specs {
        let stem = spec.file_stem().expect("stem").to_string_lossy().into_owned();
        let output = common::generate(&spec, &Settings::new(stem.clone()));
        let tools: Vec<_> = output
            .api
            .tools()
            .map(|tool| {
                let fields: Vec<_> = tool
                    .fields
                    .iter()
                    .map(|f| format!("{} <- {} ({:?} `{}`, {})", f.rust_name, f.input_name, f.location, f.wire_name, if f.required { "required" } else { "optional" }))
                    .collect();
                json!({"name": tool.name, "type": tool.args_type, "operation": format!("{} {}", tool.method.as_str(), tool.path), "fields": fields, "input": tool.input_schema})
            })
            .collect();
        insta::assert_yaml_snapshot!(
            format!("fixture_{stem}"),
            json!({"diagnostics": common::rendered_diagnostics(&output), "tools": tools})
        );
    }
}
