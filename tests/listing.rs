//! The generator's account of what a server lists (`mcpgen inspect`) matches what the runtime
//! really lists.

mod common;

use mcpgen::listing;
use mcpgen_runtime::ToolSpec;
use mcpgen_runtime::catalog::listed_tool;

fn leak(text: &str) -> &'static str {
    Box::leak(text.to_string().into_boxed_str())
}

#[test]
fn each_entry_is_the_one_the_runtime_lists() {
    for job in common::project_jobs() {
        let output = common::generate_job(&job);
        for tool in output.api.tools() {
            let spec = ToolSpec {
                name: leak(&tool.name),
                title: tool.title.as_deref().map(leak),
                description: leak(&tool.description),
                input_schema: leak(&tool.input_schema.to_string()),
                validation: "{}",
                method: tool.method.as_str(),
                path: leak(&tool.path),
                tags: &[],
                read_only: tool.annotations.read_only,
                destructive: tool.annotations.destructive,
                idempotent: tool.annotations.idempotent,
                idempotency_key: None,
                cacheable: false,
                defaults: &[],
                build: |_| Err(String::new()),
            };
            let listed = serde_json::to_value(listed_tool(&spec, spec.description).expect("listable")).expect("JSON");
            assert_eq!(listed, listing::entry(tool, &tool.name), "{}", tool.name);
        }
    }
}

#[test]
fn the_discovery_list_has_the_size_inspect_reports() {
    let listed = serde_json::to_vec(&mcpgen_runtime::discovery::tools()).expect("JSON");
    assert_eq!(listed.len(), listing::DISCOVERY_LIST_BYTES);
}
