//! The Grafana dashboard of a server: built as JSON data, every query on a metric the server exports.

use serde_json::{Value, json};

use crate::ir::Api;

/// The dashboard JSON, pretty-printed; its description carries the `@generated` line.
pub fn dashboard(api: &Api, header: &str) -> Result<String, String> {
    let job = &api.crate_name;
    let rate = |metric: &str, by: &str| format!("sum by ({by}) (rate({metric}{{job=\"{job}\"}}[5m]))");
    let quantile = |q: &str| {
        format!(
            "histogram_quantile({q}, sum by (le) (rate(mcp_tool_call_duration_seconds_bucket{{job=\"{job}\"}}[5m])))"
        )
    };
    let panels = [
        panel("Tool calls per second", "reqps", &[(&rate("mcp_tool_calls_total", "tool"), "{{tool}}")]),
        panel(
            "Error rate",
            "percentunit",
            &[(
                &format!(
                    "sum(rate(mcp_tool_calls_total{{job=\"{job}\", outcome=~\"upstream_error|unavailable\"}}[5m])) / sum(rate(mcp_tool_calls_total{{job=\"{job}\"}}[5m]))"
                ),
                "errors",
            )],
        ),
        panel(
            "Tool latency",
            "s",
            &[(&quantile("0.5"), "p50"), (&quantile("0.95"), "p95"), (&quantile("0.99"), "p99")],
        ),
        panel("Upstream status codes", "reqps", &[(&rate("mcp_upstream_requests_total", "status"), "{{status}}")]),
        panel(
            "Upstream retries",
            "reqps",
            &[(&format!("sum(rate(mcp_upstream_retries_total{{job=\"{job}\"}}[5m]))"), "retries")],
        ),
        panel(
            "Circuit breaker (0 closed, 1 half open, 2 open)",
            "none",
            &[(&format!("max(mcp_breaker_state{{job=\"{job}\"}})"), "state")],
        ),
        panel(
            "Rate-limit waits and rejections",
            "reqps",
            &[
                (&format!("sum(rate(mcp_rate_limit_waits_total{{job=\"{job}\"}}[5m]))"), "waits"),
                (&format!("sum(rate(mcp_rate_limit_rejections_total{{job=\"{job}\"}}[5m]))"), "rejections"),
            ],
        ),
        panel(
            "Inbound refusals",
            "reqps",
            &[
                (&format!("sum(rate(mcp_inbound_auth_failures_total{{job=\"{job}\"}}[5m]))"), "auth failures"),
                (&format!("sum(rate(mcp_inbound_rate_limited_total{{job=\"{job}\"}}[5m]))"), "rate limited"),
            ],
        ),
    ];
    let panels: Vec<Value> = panels
        .into_iter()
        .enumerate()
        .map(|(index, mut panel)| {
            panel["id"] = json!(index + 1);
            panel["gridPos"] = json!({"h": 8, "w": 12, "x": (index % 2) * 12, "y": (index / 2) * 8});
            panel
        })
        .collect();
    let dashboard = json!({
        "title": format!("{} MCP server", api.title),
        "uid": job,
        "description": header,
        "tags": ["mcp", job],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "panels": panels,
    });
    serde_json::to_string_pretty(&dashboard).map(|text| text + "\n").map_err(|error| error.to_string())
}

fn panel(title: &str, unit: &str, queries: &[(&str, &str)]) -> Value {
    let targets: Vec<Value> = queries
        .iter()
        .zip('A'..)
        .map(|((expr, legend), ref_id)| json!({"refId": ref_id.to_string(), "expr": expr, "legendFormat": legend, "datasource": {"type": "prometheus", "uid": "prometheus"}}))
        .collect();
    json!({
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "prometheus"},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": targets,
    })
}
