//! Test cases for a generated crate's own tests, derived from the IR: for each validation rule, the
//! first tool (by name) that has the feature gets a call that breaks exactly that rule, built on
//! minimal valid arguments, with the words the refusal must contain. Positive cases check what the
//! upstream receives (a date-time with an offset goes out in UTC).

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::ir::{Api, Tool};

/// What a case expects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Expect {
    /// An `isError` result containing each fragment, and no upstream request.
    Refused(Vec<String>),
    /// A result that is not an error, and an upstream request containing this text.
    Sent(String),
}

/// One call of a crate's test table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    /// The rule the case checks.
    pub rule: String,
    /// The tool called.
    pub tool: String,
    /// The arguments.
    pub arguments: Value,
    /// What must happen.
    pub expect: Expect,
}

/// Minimal valid arguments of every tool that has them, by tool name.
pub fn valid_arguments(api: &Api) -> Vec<(String, Value)> {
    api.tools().filter_map(|tool| Some((tool.name.clone(), example(&tool.validation_schema)?))).collect()
}

/// The case table of an API.
pub fn cases(api: &Api) -> Vec<Case> {
    let mut tools: Vec<&Tool> = api.tools().collect();
    tools.sort_by(|a, b| a.name.cmp(&b.name));
    let with_args: Vec<(&Tool, Map<String, Value>)> = tools
        .iter()
        .filter_map(|tool| match example(&tool.validation_schema)? {
            Value::Object(map) => Some((*tool, map)),
            _ => None,
        })
        .collect();
    let mut cases = Vec::new();
    let mut add = |rule: &str, found: Option<(&Tool, Map<String, Value>, Expect)>| {
        if let Some((tool, arguments, expect)) = found {
            cases.push(Case {
                rule: rule.into(),
                tool: tool.name.clone(),
                arguments: Value::Object(arguments),
                expect,
            });
        }
    };
    let refused = |fragments: &[&str]| Expect::Refused(fragments.iter().map(|f| (*f).to_string()).collect());

    add(
        "minimal valid arguments are accepted and sent",
        with_args.first().and_then(|(tool, args)| {
            let sent = tool.path_parts.iter().find_map(|part| match part {
                crate::ir::PathPart::Literal(text) => Some(text.clone()),
                crate::ir::PathPart::Param(_) => None,
            })?;
            Some((*tool, args.clone(), Expect::Sent(sent)))
        }),
    );
    add(
        "unknown fields are refused and the allowed ones listed",
        with_args.first().map(|(tool, args)| {
            let mut args = args.clone();
            args.insert("not_a_field".into(), json!(1));
            (*tool, args, refused(&["`not_a_field`: not a field of this tool; allowed fields:"]))
        }),
    );
    add(
        "all violations are reported together",
        with_args.first().map(|(tool, args)| {
            let mut args = args.clone();
            args.insert("first_unknown".into(), json!(1));
            args.insert("second_unknown".into(), json!(2));
            (*tool, args, refused(&["have 2 problems", "`first_unknown`", "`second_unknown`", "nothing was sent"]))
        }),
    );
    add(
        "missing required fields are named",
        // A field with a configured default is filled in when missing, so it cannot show this rule.
        find(&with_args, |schema, required| (required && schema.get("x-default-env").is_none()).then_some(())).map(
            |(tool, mut args, name, ())| {
                args.remove(&name);
                (tool, args, refused(&[&format!("`{name}`: required but missing")]))
            },
        ),
    );
    cases.extend(rule_cases(&with_args));
    cases
}

/// Cases for the rules that need a field with a particular feature.
fn rule_cases(with_args: &[(&Tool, Map<String, Value>)]) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut push =
        |rule: &str, fault: Option<(&Tool, Map<String, Value>, String, Value)>, expect: &dyn Fn(&str) -> Expect| {
            if let Some((tool, mut args, name, value)) = fault {
                args.insert(name.clone(), value);
                cases.push(Case {
                    rule: rule.into(),
                    tool: tool.name.clone(),
                    arguments: Value::Object(args),
                    expect: expect(&name),
                });
            }
        };
    let refused = |fragments: Vec<String>| Expect::Refused(fragments);
    let set = |pick: &dyn Fn(&Value) -> Option<Value>| find(with_args, |schema, _| pick(schema));

    push(
        "wrong types are refused with the expected type",
        set(&|s| matches!(kind(s), Some("integer" | "boolean")).then(|| json!("wrong"))),
        &|n| refused(vec![format!("`{n}`: expected")]),
    );
    push(
        "IDs given as JSON numbers are refused, quoted back",
        set(&|s| s.get("x-id").map(|_| json!(1_752_849_161_776_013_508u64))),
        &|n| {
            refused(vec![format!("`{n}`: IDs are strings of digits"), "2^53".into(), "\"1752849161776013508\"".into()])
        },
    );
    push("IDs must be digits", set(&|s| s.get("x-id").map(|_| json!("12ab"))), &|n| {
        refused(vec![format!("`{n}`: IDs are strings of digits only")])
    });
    push(
        "date-times without an offset are refused",
        set(&|s| is_format(s, "date-time").then(|| json!("2025-09-05T10:00:00"))),
        &|n| refused(vec![format!("`{n}`: \"2025-09-05T10:00:00\" has no UTC offset"), "2025-09-05T10:00:00Z".into()]),
    );
    push(
        "date-times with an offset are sent in UTC with Z",
        set(&|s| is_format(s, "date-time").then(|| json!("2025-09-05T20:00:00+10:00"))),
        &|_| Expect::Sent("2025-09-05T10:00:00Z".into()),
    );
    push("dates must be real calendar dates", set(&|s| is_format(s, "date").then(|| json!("2025-02-30"))), &|n| {
        refused(vec![format!("`{n}`: \"2025-02-30\" is not a real calendar date")])
    });
    push(
        "enums list the allowed values",
        set(&|s| {
            s.get("enum").map(|_| {
                if kind(s) == Some("integer") || kind(s) == Some("number") {
                    json!(987_654)
                } else {
                    json!("not-a-choice")
                }
            })
        }),
        &|n| refused(vec![format!("`{n}`: must be one of")]),
    );
    push(
        "strings longer than maxLength are refused",
        set(&|s| {
            s.get("maxLength")
                .and_then(Value::as_u64)
                .filter(|max| {
                    *max < MAX_EXAMPLE_SIZE
                        && kind(s) == Some("string")
                        && s.get("format").is_none()
                        && s.get("enum").is_none()
                })
                .map(|max| json!("x".repeat(max as usize + 1)))
        }),
        &|n| refused(vec![format!("`{n}`: must have at most")]),
    );
    push(
        "numbers below the minimum are refused",
        set(&|s| number_kind(s).then(|| s.get("minimum").and_then(Value::as_f64).map(|m| json!(m - 1.0))).flatten()),
        &|n| refused(vec![format!("`{n}`: must be at least")]),
    );
    push(
        "numbers above the maximum are refused",
        set(&|s| number_kind(s).then(|| s.get("maximum").and_then(Value::as_f64).map(|m| json!(m + 1.0))).flatten()),
        &|n| refused(vec![format!("`{n}`: must be at most")]),
    );
    push(
        "exclusive minimums exclude the bound",
        set(&|s| number_kind(s).then(|| s.get("exclusiveMinimum").cloned()).flatten()),
        &|n| refused(vec![format!("`{n}`: must be greater than")]),
    );
    push(
        "patterns are enforced",
        set(&|s| {
            let pattern = s.get("pattern").and_then(Value::as_str).filter(|_| s.get("x-id").is_none())?;
            let regex = regex::Regex::new(pattern).ok()?;
            ["!!", " ", "\u{0}"].into_iter().find(|candidate| !regex.is_match(candidate)).map(|c| json!(c))
        }),
        &|n| refused(vec![format!("`{n}`: must match the pattern")]),
    );
    push("e-mail addresses are checked", set(&|s| is_format(s, "email").then(|| json!("ann at example"))), &|n| {
        refused(vec![format!("`{n}`: a text of 14 characters is not an e-mail address")])
    });
    push("UUIDs are checked", set(&|s| is_format(s, "uuid").then(|| json!("123"))), &|n| {
        refused(vec![format!("`{n}`: \"123\" is not a UUID")])
    });
    push("URIs are checked", set(&|s| is_format(s, "uri").then(|| json!("not a uri"))), &|n| {
        refused(vec![format!("`{n}`: a text of 9 characters is not an absolute URI")])
    });
    push(
        "array items are checked one by one",
        set(&|s| {
            (kind(s) == Some("array")).then(|| s.get("items")).flatten().and_then(wrong_value).map(|bad| json!([bad]))
        }),
        &|n| refused(vec![format!("`{n}[0]`")]),
    );
    push(
        "nested object fields are checked with their path",
        set(&|s| nested_fault(s).map(|(path, bad)| build_nested(&path, bad))),
        &|n| refused(vec![format!("`{n}.")]),
    );
    push(
        "null is refused where the field is not nullable",
        set(&|s| {
            (s.get("nullable").is_none() && kind(s).is_some() && s.get("readOnly").is_none()).then_some(Value::Null)
        }),
        &|n| refused(vec![format!("`{n}`: "), "null is not allowed".into()]),
    );
    push("read-only fields are refused", set(&|s| s.get("readOnly").map(|_| json!("1"))), &|n| {
        refused(vec![format!("`{n}`: read-only: the API sets it")])
    });
    cases
}

/// The first tool and top-level property for which `pick` (given the property's schema and whether it is
/// required) returns something, with the tool's valid arguments.
fn find<'t, T>(
    with_args: &[(&'t Tool, Map<String, Value>)],
    pick: impl Fn(&Value, bool) -> Option<T>,
) -> Option<(&'t Tool, Map<String, Value>, String, T)> {
    for (tool, args) in with_args {
        let schema = &tool.validation_schema;
        let required: Vec<&str> =
            schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        for (name, property) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
            if let Some(found) = pick(property, required.contains(&name.as_str())) {
                return Some((tool, args.clone(), name.clone(), found));
            }
        }
    }
    None
}

fn kind(schema: &Value) -> Option<&str> {
    schema.get("type").and_then(Value::as_str)
}

fn number_kind(schema: &Value) -> bool {
    matches!(kind(schema), Some("integer" | "number")) && schema.get("enum").is_none()
}

fn is_format(schema: &Value, format: &str) -> bool {
    schema.get("format").and_then(Value::as_str) == Some(format) && schema.get("x-id").is_none()
}

/// A value of the wrong type for `schema`.
fn wrong_value(schema: &Value) -> Option<Value> {
    match kind(schema)? {
        "string" => Some(json!(12)),
        "integer" | "number" | "boolean" | "object" | "array" => Some(json!("wrong")),
        _ => None,
    }
}

/// A dotted path to a nested property of an object field, and a wrong value for it.
fn nested_fault(schema: &Value) -> Option<(String, Value)> {
    if kind(schema) != Some("object") {
        return None;
    }
    for (name, property) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
        if property.get("readOnly").is_some() {
            continue;
        }
        if let Some(bad) = wrong_value(property).filter(|_| kind(property) != Some("object")) {
            return Some((name.clone(), bad));
        }
        if let Some((path, bad)) = nested_fault(property) {
            return Some((format!("{name}.{path}"), bad));
        }
    }
    None
}

fn build_nested(path: &str, value: Value) -> Value {
    path.rsplit('.').fold(value, |inner, name| json!({ name: inner }))
}

/// The longest string and array an example builds: a tool whose minimal arguments are larger has no
/// cases (a spec's `minLength: 2147483647` would otherwise write gigabytes of test data).
const MAX_EXAMPLE_SIZE: u64 = 1024;

/// Minimal valid arguments for a validation schema: required properties only, from examples.
/// `None` when a required value cannot be made up (a free-form pattern, an empty enum, a value
/// longer than [`MAX_EXAMPLE_SIZE`]).
pub fn example(schema: &Value) -> Option<Value> {
    if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|values| values.first()) {
        return Some(first.clone());
    }
    if schema.get("x-id").is_some() {
        return Some(json!("42"));
    }
    if let Some(branch) = schema.get("anyOf").and_then(Value::as_array).and_then(|branches| branches.first()) {
        return example(branch);
    }
    match kind(schema) {
        Some("object") => {
            let mut out = Map::new();
            let required =
                schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
            for name in required {
                let property = schema.get("properties").and_then(|p| p.get(name))?;
                out.insert(name.to_string(), example(property)?);
            }
            Some(Value::Object(out))
        }
        Some("array") => {
            let count = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            if count > MAX_EXAMPLE_SIZE {
                return None;
            }
            let item = if count > 0 { Some(example(schema.get("items")?)?) } else { None };
            Some(Value::Array(item.into_iter().cycle().take(count as usize).collect()))
        }
        Some("integer") | Some("number") => {
            let low = schema.get("minimum").and_then(Value::as_f64);
            let exclusive = schema.get("exclusiveMinimum").and_then(Value::as_f64).map(|m| m + 1.0);
            let value = low.or(exclusive).unwrap_or(1.0).max(exclusive.unwrap_or(f64::MIN));
            Some(if kind(schema) == Some("integer") { json!(value.ceil() as i64) } else { json!(value) })
        }
        Some("boolean") => Some(json!(true)),
        Some("string") => {
            let text = match schema.get("format").and_then(Value::as_str) {
                Some("date-time") => "2025-09-05T10:00:00Z",
                Some("date") => "2025-09-05",
                Some("time") => "14:30:00",
                Some("email") => "name@example.com",
                Some("uuid") => "123e4567-e89b-12d3-a456-426614174000",
                Some("uri") => "https://example.com/",
                Some("decimal") => "12.50",
                _ => match schema.get("pattern").and_then(Value::as_str) {
                    Some(pattern) => {
                        let regex = regex::Regex::new(pattern).ok()?;
                        ["example", "example_1", "A1", "1", "a", "EXAMPLE", "+61 400 000 000", "12.50"]
                            .into_iter()
                            .find(|candidate| regex.is_match(candidate))?
                    }
                    None => "example",
                },
            };
            let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0);
            if min > MAX_EXAMPLE_SIZE {
                return None;
            }
            let min = min as usize;
            Some(json!(if text.len() >= min { text.to_string() } else { "x".repeat(min) }))
        }
        _ => Some(json!("example")),
    }
}
