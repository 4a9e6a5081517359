//! Test support: a recording fake upstream on 127.0.0.1, and the server driven through a real MCP
//! session (rmcp's client over an in-memory stream), so tests see exactly what a client sees.

use std::sync::{Arc, Mutex};

use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::server::api::API;
use crate::server::runtime::config::Config;
use crate::server::runtime::descriptor::AuthSpec;
use crate::server::runtime::server::McpServer;
use crate::server::runtime::upstream::Upstream;
use crate::server::tools::TOOLS;

/// What a case expects.
#[allow(dead_code, reason = "an API's table may need only one kind of expectation")]
pub enum Expect {
    /// An error result containing every fragment, and no upstream request.
    Refused(&'static [&'static str]),
    /// A result that is not an error, and an upstream request containing this text.
    Sent(&'static str),
}

/// One row of a crate's table of argument rules.
pub struct Case {
    /// The rule checked.
    pub rule: &'static str,
    /// The tool called.
    pub tool: &'static str,
    /// The arguments, as JSON.
    pub arguments: &'static str,
    /// What must happen.
    pub expect: Expect,
}

/// An upstream that answers every request with a JSON body that is also a valid OAuth2 token
/// response, and records each request as text: `METHOD /path?query` (decoded), headers, body.
pub struct FakeUpstream {
    /// Its base URL.
    pub url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl FakeUpstream {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let recorded = Arc::clone(&recorded);
                tokio::spawn(answer(socket, recorded));
            }
        });
        Self { url, requests }
    }

    /// How many requests arrived.
    pub fn count(&self) -> usize {
        self.requests.lock().expect("lock").len()
    }

    /// The latest request.
    pub fn last(&self) -> String {
        self.requests.lock().expect("lock").last().cloned().unwrap_or_default()
    }
}

/// Reads one request, records it, then replies: a test that sees the reply sees the record.
async fn answer(mut socket: TcpStream, recorded: Arc<Mutex<Vec<String>>>) -> Option<()> {
    let mut raw = Vec::new();
    let mut buffer = [0u8; 8192];
    let (head_end, length) = loop {
        let read = socket.read(&mut buffer).await.ok()?;
        if read == 0 {
            return None;
        }
        raw.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&raw);
        if let Some(head_end) = text.find("\r\n\r\n") {
            let length = text[..head_end]
                .lines()
                .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                .unwrap_or(0usize);
            break (head_end, length);
        }
    };
    while raw.len() < head_end + 4 + length {
        let read = socket.read(&mut buffer).await.ok()?;
        if read == 0 {
            break;
        }
        raw.extend_from_slice(&buffer[..read]);
    }
    let request = percent_decode_str(&String::from_utf8_lossy(&raw)).decode_utf8_lossy().into_owned();
    recorded.lock().expect("lock").push(request);
    let body = r#"{"access_token":"test-token","expires_in":3600,"ok":true}"#;
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(reply.as_bytes()).await.ok()
}

/// The server under test, reached through an MCP client session.
pub struct Session {
    client: RunningService<RoleClient, ()>,
    /// The fake upstream the server calls.
    pub upstream: FakeUpstream,
}

impl Session {
    /// Starts the fake upstream, the server configured for it, and a client session.
    pub async fn start() -> Self {
        let upstream = FakeUpstream::start().await;
        let config = Config::from_lookup(&API, |var| test_setting(var, &upstream.url)).expect("test configuration");
        let server = McpServer::new(&API, TOOLS, Upstream::new(&API, config).expect("client")).expect("server");
        let (server_io, client_io) = tokio::io::duplex(1 << 20);
        tokio::spawn(async move {
            if let Ok(running) = server.serve(server_io).await {
                let _ = running.waiting().await;
            }
        });
        let client = ().serve(client_io).await.expect("MCP session");
        Self { client, upstream }
    }

    /// Calls a tool; a protocol error fails the test.
    pub async fn call(&self, tool: &str, arguments: Map<String, Value>) -> CallToolResult {
        let params = CallToolRequestParams::new(tool.to_string()).with_arguments(arguments);
        self.client.call_tool(params).await.expect("tools/call answers with a result, not a protocol error")
    }
}

/// A value for each setting the server needs: the fake upstream's URL, placeholders otherwise.
fn test_setting(var: &str, url: &str) -> Option<String> {
    if var == format!("{}_BASE_URL", API.env_prefix) {
        return Some(url.to_string());
    }
    let token_url = API.auth.iter().any(|auth| matches!(auth, AuthSpec::OAuth2ClientCredentials { token_url_var, .. } if *token_url_var == var));
    if token_url {
        return Some(format!("{url}/token"));
    }
    Config::variables(&API).into_iter().any(|(name, required)| required && name == var).then(|| "test-value".to_string())
}

/// The text of a result.
pub fn text(result: &CallToolResult) -> String {
    result.content.iter().filter_map(|block| block.as_text().map(|t| t.text.clone())).collect::<Vec<_>>().join("\n")
}

fn object(json: &str) -> Map<String, Value> {
    match serde_json::from_str(json).expect("case arguments are JSON") {
        Value::Object(map) => map,
        other => panic!("case arguments must be an object, not {other}"),
    }
}

/// Runs every case through one session.
pub async fn run_cases(cases: &[Case]) {
    let session = Session::start().await;
    for case in cases {
        let before = session.upstream.count();
        let result = session.call(case.tool, object(case.arguments)).await;
        let text = text(&result);
        let refused = result.is_error == Some(true);
        match &case.expect {
            Expect::Refused(fragments) => {
                assert!(refused, "{}: `{}` was not refused: {text}", case.rule, case.tool);
                for fragment in *fragments {
                    assert!(text.contains(fragment), "{}: `{}` result lacks {fragment:?}:\n{text}", case.rule, case.tool);
                }
                assert_eq!(session.upstream.count(), before, "{}: a refused call reached the upstream", case.rule);
            }
            Expect::Sent(expected) => {
                assert!(!refused, "{}: `{}` was refused: {text}", case.rule, case.tool);
                assert!(session.upstream.count() > before, "{}: nothing reached the upstream", case.rule);
                let request = session.upstream.last();
                assert!(request.contains(expected), "{}: the upstream request lacks {expected:?}:\n{request}", case.rule);
            }
        }
    }
}

/// Random changes to valid arguments.
#[derive(Debug, Clone)]
enum Change {
    Remove(usize),
    Replace(usize, Value),
    Add(String, Value),
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        Just(Value::String("2025-09-05T10:00:00".into())),
        Just(Value::String("1752849161776013508".into())),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..3).prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        any::<usize>().prop_map(Change::Remove),
        (any::<usize>(), json_value()).prop_map(|(at, value)| Change::Replace(at, value)),
        ("[a-z_]{1,10}", json_value()).prop_map(|(name, value)| Change::Add(name, value)),
    ]
}

/// Random arguments (valid arguments, changed at random) to every tool: the server never fails the
/// protocol; a refused call never reaches the upstream; a call with a field the tool does not have
/// is always refused; an accepted call always does.
pub fn fuzz(valid: &[(&'static str, &'static str)], cases: u32) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let session = runtime.block_on(Session::start());
    let known: Vec<(&str, Map<String, Value>)> = TOOLS
        .iter()
        .flat_map(|group| group.iter())
        .map(|spec| {
            let schema: Value = serde_json::from_str(spec.validation).expect("schema");
            (spec.name, schema["properties"].as_object().cloned().unwrap_or_default())
        })
        .collect();
    let mut runner = TestRunner::new(RunnerConfig { cases, failure_persistence: None, ..RunnerConfig::default() });
    let strategy = (0..valid.len(), prop::collection::vec(change(), 0..4));
    let outcome = runner.run(&strategy, |(which, changes)| {
        let (tool, arguments) = valid[which];
        let mut arguments = object(arguments);
        for change in changes {
            match change {
                Change::Remove(at) if !arguments.is_empty() => {
                    let key = arguments.keys().nth(at % arguments.len()).cloned().unwrap_or_default();
                    arguments.remove(&key);
                }
                Change::Replace(at, value) if !arguments.is_empty() => {
                    let key = arguments.keys().nth(at % arguments.len()).cloned().unwrap_or_default();
                    arguments.insert(key, value);
                }
                Change::Add(name, value) => {
                    arguments.insert(name, value);
                }
                _ => {}
            }
        }
        let fields = known.iter().find(|(name, _)| *name == tool).map(|(_, fields)| fields);
        let has_unknown_field = arguments.keys().any(|key| fields.is_none_or(|fields| !fields.contains_key(key)));
        let has_wrong_type = fields.is_some_and(|fields| {
            arguments.iter().any(|(key, value)| fields.get(key).is_some_and(|schema| !fits_type(schema, value)))
        });
        let before = session.upstream.count();
        let result = runtime.block_on(session.call(tool, arguments));
        let refused = result.is_error == Some(true);
        let reached = session.upstream.count() > before;
        prop_assert!(!(refused && reached), "`{tool}`: a refused call reached the upstream: {}", text(&result));
        prop_assert!(refused || reached, "`{tool}`: an accepted call did not reach the upstream: {}", text(&result));
        prop_assert!(!has_unknown_field || refused, "`{tool}`: a call with an unknown field was accepted");
        prop_assert!(!has_wrong_type || refused, "`{tool}`: a call with a value of the wrong type was accepted");
        Ok::<(), TestCaseError>(())
    });
    if let Err(error) = outcome {
        panic!("{error}");
    }
}

/// Whether `value` has the JSON type the field's schema names (`null` only where nullable; an ID is
/// a string).
fn fits_type(schema: &Value, value: &Value) -> bool {
    if value.is_null() {
        return schema.get("nullable") == Some(&Value::Bool(true)) || schema.get("type").is_none();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => value.is_string(),
        Some("integer") => value.as_f64().is_some_and(|n| n.fract() == 0.0),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        _ => true,
    }
}
