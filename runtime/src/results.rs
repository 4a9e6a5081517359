//! Tool results: success as JSON (text and `structuredContent`); failures as `isError` results that
//! tell the model what happened and what to do: every argument problem at once, or the API's status
//! with a hint for that status, the API's own field errors and a short, redacted body excerpt.

use std::sync::LazyLock;

use regex::Regex;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};

use super::descriptor::{ApiDescriptor, ToolSpec};
use super::upstream::{UpstreamError, UpstreamResponse};
use super::validate::Violation;

/// The most body text an error result quotes.
const EXCERPT_BYTES: usize = 1024;

/// Parts of field names whose values are never quoted back: credentials.
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
    "credential",
];

/// Parts of field names whose values are never quoted back: personal data of patients and guests.
const PERSONAL_KEYS: &[&str] = &[
    "email",
    "phone",
    "mobile",
    "fax",
    "birth",
    "dob",
    "ssn",
    "social_security",
    "medicare",
    "passport",
    "address",
    "postcode",
    "zip",
    "first_name",
    "last_name",
    "firstname",
    "lastname",
    "given_name",
    "family_name",
    "full_name",
    "surname",
    "patient_name",
    "guest_name",
];

/// E-mail addresses, phone numbers and calendar dates in free text.
static PERSONAL_TEXT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+",
        r"|\+\d{8,15}\b",
        r"|(?:\+\d{1,3}[ .-]?)?\(?\b\d{2,4}\)?[ .-]\d{3,4}[ .-]?\d{3,4}\b",
        r"|\b\d{4}-\d{2}-\d{2}\b",
        r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b",
    ))
    .ok()
});

/// What a result needs to know about the call that was made.
pub struct CallContext<'a> {
    /// The API.
    pub api: &'a ApiDescriptor,
    /// The tool.
    pub tool: &'a ToolSpec,
    /// Path parameters as sent.
    pub path_params: &'a [(&'static str, String)],
}

/// The tool result for an upstream response.
pub fn from_response(call: &CallContext<'_>, response: UpstreamResponse) -> CallToolResult {
    let status = response.status;
    if response.truncated {
        let text = format!(
            "The API's answer to {} {} (HTTP {}) is larger than this server reads ({} KiB), so it is not returned. Ask for less: a smaller page size, a narrower filter or date range, or fewer fields.",
            call.tool.method,
            call.tool.path,
            status.as_u16(),
            response.body.len() / 1024
        );
        return CallToolResult::error(vec![ContentBlock::text(text)]);
    }
    if let Some(target) = &response.redirect_to {
        let text = format!(
            "The API answered {} {} with HTTP {}, a redirect to another origin ({target}). It was not followed: credentials and data are only sent to the configured API. The server's operator may need to correct the base URL.",
            call.tool.method,
            call.tool.path,
            status.as_u16()
        );
        return CallToolResult::error(vec![ContentBlock::text(text)]);
    }
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
    let body = serde_json::from_slice::<Value>(&response.body).ok().map(|mut body| {
        redact(&mut body);
        body
    });
    let reason = status.canonical_reason().unwrap_or("");
    let mut text =
        format!("The API answered HTTP {} {reason} to {} {}.", status.as_u16(), call.tool.method, call.tool.path);
    text.push(' ');
    text.push_str(&hint(call, status.as_u16(), response.retry_after_seconds));
    if matches!(status.as_u16(), 400 | 409 | 422)
        && let Some(errors) = body.as_ref().map(api_errors).filter(|errors| !errors.is_empty())
    {
        text.push_str("\nThe API's errors:");
        for error in errors {
            text.push_str("\n- ");
            text.push_str(&error);
        }
    }
    let excerpt = excerpt(&response.body, body.as_ref());
    if !excerpt.is_empty() {
        text.push_str("\nResponse body: ");
        text.push_str(&excerpt);
    }
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// The tool result when no response came back.
pub fn from_error(call: &CallContext<'_>, error: UpstreamError) -> CallToolResult {
    let retry = if call.tool.retry_safe() {
        "Trying again is safe."
    } else {
        "The request may or may not have been applied: check (for example by listing) before trying again."
    };
    let operation = format!("{} {}", call.tool.method, call.tool.path);
    let text = match error {
        UpstreamError::Transport { detail, maybe_applied } => {
            let retry = if maybe_applied { retry } else { "The request did not reach the API; trying again is safe." };
            format!("Could not complete {operation}: {detail}. {retry}")
        }
        UpstreamError::Unsendable(detail) => {
            format!("Could not send {operation}: {detail}. Nothing was sent; change that value and call again.")
        }
        UpstreamError::Token { detail, .. } => format!(
            "Could not obtain an access token for the API: {detail}. The server's operator must check {}.",
            call.api.credential_vars().join(", ")
        ),
        UpstreamError::BreakerOpen { retry_in } => format!(
            "The API has failed repeatedly, so calls to it are paused for {} more seconds; nothing was sent. Try again after that.",
            retry_in.as_secs().max(1)
        ),
        UpstreamError::RateLimited => {
            "Too many calls to the API right now: this server's rate limit allowed no request within the call's time limit; nothing was sent. Try again in a few seconds.".to_string()
        }
        UpstreamError::Deadline { attempts, maybe_applied } => {
            let retry = if maybe_applied { retry } else { "Nothing reached the API; trying again is safe." };
            format!("No answer from {operation} within this call's time limit ({attempts} attempts). {retry}")
        }
    };
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// The tool result for arguments that break the tool's schema: every problem, and that nothing was
/// sent.
pub fn invalid_arguments(tool: &ToolSpec, violations: &[Violation]) -> CallToolResult {
    let count = violations.len();
    let mut text = format!(
        "The arguments of `{}` have {count} problem{}; nothing was sent to the API:",
        tool.name,
        if count == 1 { "" } else { "s" }
    );
    for violation in violations {
        if violation.path.is_empty() {
            text.push_str(&format!("\n- {}", violation.message));
        } else {
            text.push_str(&format!("\n- `{}`: {}", violation.path, violation.message));
        }
    }
    text.push_str("\nFix them all and call the tool again.");
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// The tool result of a call that failed inside this server (a bug, logged): nothing more is known,
/// and whether the request reached the API is unknown.
pub fn internal_error(tool: &ToolSpec) -> CallToolResult {
    let retry =
        if tool.retry_safe() { "Trying again is safe." } else { "Check whether it was applied before trying again." };
    let text =
        format!("The server failed while handling `{}`; the failure is logged for its operator. {retry}", tool.name);
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// The tool result of a call the client cancelled (sent only if the client still listens).
pub fn cancelled(tool: &ToolSpec) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!("The call of `{}` was cancelled by the client.", tool.name))])
}

/// The tool result for arguments the validator accepted but the typed arguments refused.
pub fn unusable_arguments(tool: &ToolSpec, detail: &str) -> CallToolResult {
    let text = format!("The arguments of `{}` could not be used ({detail}); nothing was sent to the API.", tool.name);
    CallToolResult::error(vec![ContentBlock::text(text)])
}

fn hint(call: &CallContext<'_>, status: u16, retry_after: Option<u64>) -> String {
    match status {
        400 => "The request was malformed: check the arguments against the tool's input schema.".into(),
        401 | 403 => format!(
            "The API refused the server's credentials{}. This is not a problem with the arguments: the server's operator must check {}.",
            if status == 403 { " for this operation" } else { "" },
            call.api.credential_vars().join(", ")
        ),
        404 if !call.path_params.is_empty() => {
            let ids: Vec<String> = call.path_params.iter().map(|(name, value)| format!("`{name}` = {value:?}")).collect();
            format!("Nothing was found for {}: check that ID, for example with a list or search tool.", ids.join(", "))
        }
        404 => "Nothing was found at that address.".into(),
        409 => "The request conflicts with the current state (for example a time that is already taken): look up the current state before trying again.".into(),
        422 => "The API rejected some fields; fix them and try again.".into(),
        429 => match retry_after {
            Some(seconds) => format!("Too many requests: wait {} before calling again.", wait_in_words(seconds)),
            None => "Too many requests: wait a few seconds before calling again.".into(),
        },
        500..=599 if call.tool.retry_safe() => "The API failed; this call is safe to retry in a moment.".into(),
        500..=599 => "The API failed. The request may or may not have been applied, so it is not safe to repeat blindly: check first (for example by listing).".into(),
        _ => "Check the arguments and try again.".into(),
    }
}

/// The API's own error messages from common error bodies: a field map (`errors`), Oracle's
/// `o:errorCode`/`title`/`detail`, Django REST framework's field lists, `{error: {message}}`, `message`.
fn api_errors(body: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(map) = body.as_object() else { return errors };
    if let Some(Value::Object(fields)) = map.get("errors") {
        for (field, messages) in fields {
            errors.push(format!("{field}: {}", join_messages(messages)));
        }
    }
    if let Some(code) = map.get("o:errorCode").and_then(Value::as_str) {
        let title = map.get("title").and_then(Value::as_str).unwrap_or_default();
        let detail = map.get("detail").and_then(Value::as_str).unwrap_or_default();
        errors.push(format!(
            "{code}: {}",
            [title, detail].iter().filter(|t| !t.is_empty()).copied().collect::<Vec<_>>().join(" — ")
        ));
        for detail in map.get("o:errorDetails").and_then(Value::as_array).into_iter().flatten() {
            errors.extend(api_errors(detail));
        }
    }
    if let Some(message) = map.get("error").and_then(|e| e.get("message")).and_then(Value::as_str) {
        errors.push(message.to_string());
    }
    if errors.is_empty() {
        for (field, messages) in map {
            match messages {
                Value::Array(items) if items.iter().all(Value::is_string) && !items.is_empty() => {
                    errors.push(format!("{field}: {}", join_messages(messages)));
                }
                Value::String(text) if matches!(field.as_str(), "detail" | "message") => errors.push(text.clone()),
                _ => {}
            }
        }
    }
    errors
}

fn join_messages(messages: &Value) -> String {
    match messages {
        Value::Array(items) => items
            .iter()
            .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join("; "),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A wait in words: seconds up to two minutes, then minutes, then hours.
fn wait_in_words(seconds: u64) -> String {
    match seconds {
        0..=120 => format!("{seconds} seconds"),
        121..=7200 => format!("{} minutes", seconds.div_ceil(60)),
        _ => format!("{} hours", seconds.div_ceil(3600)),
    }
}

/// At most [`EXCERPT_BYTES`] of the body (already redacted when it is JSON), with secrets and
/// personal data removed.
fn excerpt(raw: &[u8], body: Option<&Value>) -> String {
    let text = match body {
        Some(value) => value.to_string(),
        None => redact_text(&String::from_utf8_lossy(raw)),
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

/// Replaces the values of secret and personal fields, and secrets and personal data in text.
fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                let key = key.to_ascii_lowercase().replace('-', "_");
                if SECRET_KEYS.iter().chain(PERSONAL_KEYS).any(|part| key.contains(part)) {
                    *value = Value::String("[redacted]".into());
                } else {
                    redact(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        Value::String(text) => *text = redact_text(text),
        _ => {}
    }
}

/// Text with e-mail addresses, phone numbers, dates, bearer tokens and long opaque strings (keys,
/// JWTs) replaced.
fn redact_text(text: &str) -> String {
    let opaque_removed: String = text
        .split_inclusive(char::is_whitespace)
        .map(|word| {
            let core = word.trim_end();
            let opaque = core.len() >= 24
                && core.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=' | '+' | '/'))
                && core.chars().any(|c| c.is_ascii_digit())
                && core.chars().any(|c| c.is_ascii_alphabetic());
            if opaque { word.replacen(core, "[redacted]", 1) } else { word.to_string() }
        })
        .collect();
    match PERSONAL_TEXT.as_ref() {
        Some(personal) => personal.replace_all(&opaque_removed, "[redacted]").into_owned(),
        None => opaque_removed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_and_redacted() {
        let body = json!({"error": "bad", "access_token": "abc", "nested": {"password": "p"}, "note": "key sk_live_4eC39HqLyjWDarjtT1zdp7dc used"});
        let raw = serde_json::to_vec(&body).unwrap();
        let mut redacted = body.clone();
        redact(&mut redacted);
        let text = excerpt(&raw, Some(&redacted));
        assert!(!text.contains("abc") && !text.contains("\"p\"") && !text.contains("sk_live"), "{text}");
        assert!(excerpt(&[b'x'; 5000], None).chars().count() <= EXCERPT_BYTES + 1);
    }

    #[test]
    fn secrets_and_personal_data_are_redacted_from_field_errors_and_excerpts() {
        let mut body = json!({
            "errors": {"api_key": ["sk_live_4eC39HqLyjWDarjtT1zd is revoked"], "password": "hunter2", "starts_at": ["is taken"]},
            "patient": {"email": "ann@example.com", "date_of_birth": "1980-04-02", "note": "call Ann on +61 412 345 678 or (02) 9876 5432, ann.lee@mail.example.org, born 02/04/1980"},
            "appointment": {"starts_at": "2025-09-05T10:00:00Z", "id": "1752849161776013508"}
        });
        redact(&mut body);
        let errors = api_errors(&body).join("\n");
        let text = format!("{errors}\n{}", excerpt(b"", Some(&body)));
        for leaked in [
            "sk_live",
            "hunter2",
            "ann@example.com",
            "1980-04-02",
            "412 345 678",
            "9876 5432",
            "ann.lee@",
            "02/04/1980",
        ] {
            assert!(!text.contains(leaked), "{leaked} leaked: {text}");
        }
        assert!(errors.contains("starts_at: is taken"), "{errors}");
        assert!(text.contains("2025-09-05T10:00:00Z") && text.contains("1752849161776013508"), "{text}");
        assert_eq!(redact_text("reach me at bob@example.com today"), "reach me at [redacted] today");
    }

    #[test]
    fn long_waits_are_said_in_minutes_or_hours() {
        assert_eq!(wait_in_words(30), "30 seconds");
        assert_eq!(wait_in_words(600), "10 minutes");
        assert_eq!(wait_in_words(86_400), "24 hours");
    }

    #[test]
    fn api_errors_from_common_shapes() {
        assert_eq!(
            api_errors(&json!({"message": "Validation Failed", "errors": {"starts_at": "is taken"}})),
            ["starts_at: is taken"]
        );
        assert_eq!(
            api_errors(&json!({"title": "Invalid", "detail": "Room is dirty", "o:errorCode": "FOF00123"})),
            ["FOF00123: Invalid — Room is dirty"]
        );
        assert_eq!(
            api_errors(&json!({"scheduled_at": ["Slot taken.", "Too late."]})),
            ["scheduled_at: Slot taken.; Too late."]
        );
        assert_eq!(
            api_errors(&json!({"status": "error", "error": {"message": "Booking not allowed"}})),
            ["Booking not allowed"]
        );
    }
}
