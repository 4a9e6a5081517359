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
            let listed = listed_tool(&spec, spec.description, tool.input_schema.clone()).expect("listable");
            let listed = serde_json::to_value(listed).expect("JSON");
            assert_eq!(listed, listing::entry(tool, &tool.name), "{}", tool.name);
        }
    }
}

#[test]
fn the_discovery_list_has_the_size_inspect_reports() {
    let listed = serde_json::to_vec(&mcpgen_runtime::discovery::tools()).expect("JSON");
    assert_eq!(listed.len(), listing::DISCOVERY_LIST_BYTES);
}

#[test]
fn inspect_knows_the_budgets_auto_uses() {
    static API: mcpgen_runtime::ApiDescriptor = mcpgen_runtime::ApiDescriptor {
        crate_name: "budget-mcp",
        title: "Budget",
        version: "0.0.0",
        env_prefix: "BUDGET",
        default_base_url: None,
        auth: &[],
        injected: &[],
        default_vars: &[],
        rate_limit_rps: 0.0,
        rate_limit_burst: 1,
        cache_ttl_seconds: 0,
        user_agent: None,
        shard: None,
        prompts: &[],
        profiles: &[],
        default_profile: "all",
        shared_schemas: &[],
    };
    let options = mcpgen_runtime::catalog::CatalogOptions::from_lookup(&API, |_| None).expect("defaults");
    assert_eq!((options.max_tools, options.max_list_bytes), (listing::AUTO_MAX_TOOLS, listing::AUTO_MAX_BYTES));
}
