//! Upstream responses as MCP tool results: success as JSON (text and `structuredContent`),
//! failure as an `isError` result with the status, a hint and a short, redacted body excerpt.

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};

use super::descriptor::ToolSpec;
use super::upstream::{UpstreamError, UpstreamResponse};

/// The most body text an error result quotes.
const EXCERPT_BYTES: usize = 1024;

/// Field names whose values are never quoted back.
const SECRET_KEYS: &[&str] = &[
    "password",
    "token",
    "secret",
    "authorization",
    "api_key",
    "apikey",
    "access_token",
    "refresh_token",
    "client_secret",
];

/// The tool result for an upstream response.
pub fn from_response(tool: &ToolSpec, response: UpstreamResponse) -> CallToolResult {
    let status = response.status;
    if status.is_success() {
        if response.body.iter().all(u8::is_ascii_whitespace) {
            return CallToolResult::structured(json!({"status": status.as_u16()}));
        }
        return match serde_json::from_slice::<Value>(&response.body) {
            Ok(value @ Value::Object(_)) => CallToolResult::structured(value),
            Ok(value) => CallToolResult::structured(json!({"result": value})),
            Err(_) => {
                CallToolResult::success(vec![ContentBlock::text(String::from_utf8_lossy(&response.body).into_owned())])
            }
        };
    }
    let reason = status.canonical_reason().unwrap_or("");
    let mut text = format!("The API answered HTTP {} {reason} to {} {}.", status.as_u16(), tool.method, tool.path);
    if let Some(hint) = hint(status.as_u16()) {
        text.push(' ');
        text.push_str(hint);
    }
    let excerpt = excerpt(&response.body);
    if !excerpt.is_empty() {
        text.push_str("\nResponse body: ");
        text.push_str(&excerpt);
    }
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// The tool result when no response came back.
pub fn from_error(tool: &ToolSpec, error: UpstreamError) -> CallToolResult {
    let text = match error {
        UpstreamError::Transport(detail) => format!("Could not complete {} {}: {detail}.", tool.method, tool.path),
        UpstreamError::Token(detail) => format!(
            "Could not obtain an access token for the API: {detail}. Check the client id, secret and token URL settings."
        ),
    };
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// The tool result for arguments that do not fit the tool.
pub fn invalid_arguments(message: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
}

fn hint(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "The request was malformed: check the arguments against the tool's input schema.",
        401 => {
            "The API refused the server's credentials: the operator must check the credential environment variables."
        }
        403 => "The credentials are valid but not allowed to do this.",
        404 => "Nothing was found at that address: check the IDs in the arguments.",
        409 => "The request conflicts with the current state (for example a slot already taken).",
        422 => "The API rejected some fields; see the response body for which.",
        429 => "Too many requests: wait before trying again.",
        500..=599 => "The API failed; trying again later may help.",
        _ => return None,
    })
}

/// At most [`EXCERPT_BYTES`] of the body, with secret-looking values removed.
fn excerpt(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            redact(&mut value);
            value.to_string()
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    let mut end = text.len().min(EXCERPT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut excerpt = text[..end].trim().to_string();
    if end < text.len() {
        excerpt.push('…');
    }
    excerpt
}

fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                let key = key.to_ascii_lowercase();
                if SECRET_KEYS.iter().any(|secret| key.contains(secret)) {
                    *value = Value::String("[redacted]".into());
                } else {
                    redact(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_and_redacted() {
        let body =
            serde_json::to_vec(&json!({"error": "bad", "access_token": "abc", "nested": {"password": "p"}})).unwrap();
        let text = excerpt(&body);
        assert!(!text.contains("abc") && !text.contains("\"p\""), "{text}");
        assert!(excerpt(&vec![b'x'; 5000]).chars().count() <= EXCERPT_BYTES + 1);
    }
}
