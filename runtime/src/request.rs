//! An upstream request under construction: path segments percent-encoded one by one, query,
//! headers, cookies and body.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use reqwest::header::{HeaderName, HeaderValue};
use serde::Serialize;
use serde_json::{Map, Value};

use super::bodies::{File, FileInput, FormStyle, Part, PartValue, form_pairs, xml_document};
use super::validate::Violation;

/// Characters encoded in a path segment: everything but RFC 3986 unreserved characters and
/// sub-delimiters that are safe in a segment. `/`, `?`, `#` and `%` are always encoded, so a value
/// of `../admin` stays one segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A value that can be sent as a path, query, header or form parameter.
pub trait ParamValue {
    /// The value's text forms (one per element for lists).
    fn param_values(&self) -> Vec<String>;
}

impl ParamValue for str {
    fn param_values(&self) -> Vec<String> {
        vec![self.to_string()]
    }
}

impl ParamValue for String {
    fn param_values(&self) -> Vec<String> {
        vec![self.clone()]
    }
}

impl ParamValue for i64 {
    fn param_values(&self) -> Vec<String> {
        vec![self.to_string()]
    }
}

impl ParamValue for f64 {
    fn param_values(&self) -> Vec<String> {
        vec![self.to_string()]
    }
}

impl ParamValue for bool {
    fn param_values(&self) -> Vec<String> {
        vec![self.to_string()]
    }
}

impl ParamValue for Value {
    fn param_values(&self) -> Vec<String> {
        match self {
            Value::String(text) => vec![text.clone()],
            Value::Array(items) => items.iter().flat_map(ParamValue::param_values).collect(),
            other => vec![other.to_string()],
        }
    }
}

impl<T: ParamValue> ParamValue for Vec<T> {
    fn param_values(&self) -> Vec<String> {
        self.iter().flat_map(ParamValue::param_values).collect()
    }
}

/// The body of an upstream request.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestBody {
    /// No body.
    None,
    /// A JSON document.
    Json(Value),
    /// `application/x-www-form-urlencoded` pairs.
    Form(Vec<(String, String)>),
    /// `multipart/form-data` parts.
    Multipart(Vec<Part>),
    /// Text or bytes sent as they are (text, XML, a file's content).
    Raw(Vec<u8>),
    /// A file sent as the whole body, fetched from its URL before sending.
    File(File),
}

/// An upstream request, built by a tool's arguments.
#[derive(Debug, Clone)]
pub struct UpstreamRequest {
    /// HTTP method.
    pub method: reqwest::Method,
    /// Path under the base URL, already percent-encoded.
    pub path: String,
    /// Query pairs, not yet encoded.
    pub query: Vec<(String, String)>,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Cookies.
    pub cookies: Vec<(String, String)>,
    /// Body.
    pub body: RequestBody,
    /// Content type of the body.
    pub content_type: Option<&'static str>,
    /// Path parameters as sent (name, value), for messages about what was not found.
    pub path_params: Vec<(&'static str, String)>,
    /// Argument values found unusable while building the body (bad base64, a non-XML name).
    pub body_problems: Vec<Violation>,
}

impl UpstreamRequest {
    /// An empty request.
    pub fn new(method: reqwest::Method) -> Self {
        Self {
            method,
            path: String::new(),
            query: Vec::new(),
            headers: Vec::new(),
            cookies: Vec::new(),
            body: RequestBody::None,
            content_type: None,
            path_params: Vec::new(),
            body_problems: Vec::new(),
        }
    }

    /// Appends literal path text from the spec.
    pub fn push_literal(&mut self, text: &str) {
        self.path.push_str(text);
    }

    /// Appends path parameter `name` as one percent-encoded segment (lists joined with commas).
    pub fn push_segment(&mut self, name: &'static str, value: &(impl ParamValue + ?Sized)) {
        let joined = value.param_values().join(",");
        self.path.extend(utf8_percent_encode(&joined, SEGMENT));
        self.path_params.push((name, joined));
    }

    /// Adds a query parameter; lists repeat the name when `explode`, else join with commas.
    pub fn query(&mut self, name: &str, value: &(impl ParamValue + ?Sized), explode: bool) {
        let values = value.param_values();
        if explode {
            self.query.extend(values.into_iter().map(|v| (name.to_string(), v)));
        } else {
            self.query.push((name.to_string(), values.join(",")));
        }
    }

    /// Adds a header (lists joined with commas).
    pub fn header(&mut self, name: &str, value: &(impl ParamValue + ?Sized)) {
        self.headers.push((name.to_string(), value.param_values().join(",")));
    }

    /// Adds a cookie (lists joined with commas).
    pub fn cookie(&mut self, name: &str, value: &(impl ParamValue + ?Sized)) {
        self.cookies.push((name.to_string(), value.param_values().join(",")));
    }

    /// Sets one property of a JSON object body.
    pub fn json_field(&mut self, name: &str, value: &impl Serialize) {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        match &mut self.body {
            RequestBody::Json(Value::Object(map)) => {
                map.insert(name.to_string(), value);
            }
            body => {
                let mut map = Map::new();
                map.insert(name.to_string(), value);
                *body = RequestBody::Json(Value::Object(map));
            }
        }
    }

    /// Sets the whole JSON body.
    pub fn json_body(&mut self, value: &Value) {
        self.body = RequestBody::Json(value.clone());
    }

    /// Adds a form field spelled in `style` (objects and lists nested deeper use brackets).
    pub fn form_value(&mut self, name: &str, value: &impl Serialize, style: FormStyle) {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        let pairs = form_pairs(name, &value, style);
        match &mut self.body {
            RequestBody::Form(fields) => fields.extend(pairs),
            body => *body = RequestBody::Form(pairs),
        }
    }

    /// Sets the whole form body from an object (its properties are the fields) or a text already
    /// encoded as a form.
    pub fn form_body(&mut self, value: &Value) {
        match value {
            Value::String(encoded) => self.body = RequestBody::Raw(encoded.clone().into_bytes()),
            Value::Object(map) => {
                for (name, item) in map {
                    self.form_value(name, item, FormStyle::DeepObject);
                }
            }
            other => self.body_problems.push(Violation {
                path: "body".into(),
                message: format!("a form body is an object of fields, not {}", kind(other)),
            }),
        }
    }

    /// Adds a multipart part holding a value (text, or JSON for objects and lists).
    pub fn multipart_value(&mut self, name: &str, value: &impl Serialize) {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        if let Some(value) = PartValue::from_json(&value) {
            self.push_part(Part { name: name.to_string(), value });
        }
    }

    /// Sets a multipart body from an object: each property is a part.
    pub fn multipart_body(&mut self, value: &Value) {
        match value {
            Value::Object(map) => {
                for (name, item) in map {
                    self.multipart_value(name, item);
                }
            }
            other => self.body_problems.push(Violation {
                path: "body".into(),
                message: format!("a multipart body is an object of parts, not {}", kind(other)),
            }),
        }
    }

    /// Adds a multipart part holding a file.
    pub fn multipart_file(&mut self, name: &str, input: &FileInput) {
        match input.to_file() {
            Ok(file) => self.push_part(Part { name: name.to_string(), value: PartValue::File(file) }),
            Err(message) => self.body_problems.push(Violation { path: name.to_string(), message }),
        }
    }

    fn push_part(&mut self, part: Part) {
        match &mut self.body {
            RequestBody::Multipart(parts) => parts.push(part),
            body => *body = RequestBody::Multipart(vec![part]),
        }
    }

    /// Sends a file as the whole body; its media type, when given, replaces the declared one.
    pub fn file_body(&mut self, name: &str, input: &FileInput) {
        match input.to_file() {
            Ok(file) => self.body = RequestBody::File(file),
            Err(message) => self.body_problems.push(Violation { path: name.to_string(), message }),
        }
    }

    /// Sends text as the whole body.
    pub fn text_body(&mut self, text: &str) {
        self.body = RequestBody::Raw(text.as_bytes().to_vec());
    }

    /// Writes the fields set so far (with [`Self::json_field`]) as an XML document under `root`.
    pub fn json_to_xml(&mut self, root: &str) {
        let fields = match &self.body {
            RequestBody::Json(Value::Object(fields)) => fields.clone(),
            _ => Map::new(),
        };
        match xml_document(root, &fields) {
            Ok(xml) => self.body = RequestBody::Raw(xml.into_bytes()),
            Err(message) => self.body_problems.push(Violation { path: "body".into(), message }),
        }
    }

    /// Sets the body's content type.
    pub fn set_content_type(&mut self, content_type: &'static str) {
        self.content_type = Some(content_type);
    }

    /// The argument values this request cannot carry as given, each as a problem the caller can fix:
    /// a path parameter that is empty, `.` or `..` (URL parsers drop or climb such a segment, even
    /// percent-encoded, so the request would reach another resource), and a header or cookie value
    /// with a control character, a non-ASCII character or (cookies) a `;` or `,`.
    pub fn unsendable(&self) -> Vec<Violation> {
        let mut problems = self.body_problems.clone();
        for (name, value) in &self.path_params {
            if matches!(value.as_str(), "" | "." | "..") {
                problems.push(Violation {
                    path: (*name).to_string(),
                    message: format!("{value:?} cannot be a path parameter: give the real value (an ID, a code)"),
                });
            }
        }
        for (name, value) in &self.headers {
            let printable = value.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b));
            if HeaderName::from_bytes(name.as_bytes()).is_err() || HeaderValue::from_str(value).is_err() || !printable {
                problems.push(Violation {
                    path: name.clone(),
                    message: "a header value must be printable ASCII text without line breaks or control characters"
                        .into(),
                });
            }
        }
        for (name, value) in &self.cookies {
            let plain =
                |text: &str| text.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b';' | b',' | b'"' | b'\\'));
            if !plain(name) || !plain(value) {
                problems.push(Violation {
                    path: name.clone(),
                    message: "a cookie value must be printable ASCII without spaces, `;`, `,`, quotes or backslashes"
                        .into(),
                });
            }
        }
        problems
    }
}

/// How a message names the kind of a JSON value.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn path_segments_cannot_escape() {
        let mut request = UpstreamRequest::new(reqwest::Method::GET);
        request.push_literal("/patients/");
        request.push_segment("id", "../admin?x=1#f");
        assert_eq!(request.path, "/patients/..%2Fadmin%3Fx=1%23f");
        assert_eq!(request.path_params, [("id", "../admin?x=1#f".to_string())]);
    }

    #[test]
    fn dot_segments_and_empty_path_values_are_unsendable() {
        for value in ["", ".", ".."] {
            let mut request = UpstreamRequest::new(reqwest::Method::DELETE);
            request.push_literal("/profiles/");
            request.push_segment("profileId", value);
            let problems = request.unsendable();
            assert_eq!(problems.len(), 1, "{value:?}");
            assert_eq!(problems[0].path, "profileId");
        }
        let mut request = UpstreamRequest::new(reqwest::Method::GET);
        request.push_segment("id", "...");
        request.push_segment("code", "%2e%2e");
        assert!(request.unsendable().is_empty(), "three dots and encoded dots are ordinary text: {:?}", request.path);
        assert_eq!(request.path, "...%252e%252e");
    }

    #[test]
    fn percent_encoded_dot_segments_are_still_resolved_by_url_parsers() {
        // Why `.` and `..` are refused rather than encoded: `%2E%2E` is a dot segment to URL parsers.
        let url = reqwest::Url::parse("http://127.0.0.1/crm/v1/profiles/%2E%2E").unwrap();
        assert_eq!(url.path(), "/crm/v1/");
    }

    #[test]
    fn header_and_cookie_values_that_http_cannot_carry_are_unsendable() {
        let mut request = UpstreamRequest::new(reqwest::Method::GET);
        request.header("x-request-id", "abc\r\nx-evil: 1");
        request.header("x-note", "caf\u{e9}");
        request.header("x-ok", "plain value");
        request.cookie("session", "a;b");
        let problems: Vec<String> = request.unsendable().into_iter().map(|p| p.path).collect();
        assert_eq!(problems, ["x-request-id", "x-note", "session"]);
    }

    #[test]
    fn query_arrays_repeat_or_join() {
        let mut request = UpstreamRequest::new(reqwest::Method::GET);
        request.query("q[]", &vec!["a:=1".to_string(), "b:>2".to_string()], true);
        request.query("sort", &vec!["x".to_string(), "y".to_string()], false);
        assert_eq!(
            request.query,
            [("q[]".into(), "a:=1".into()), ("q[]".into(), "b:>2".into()), ("sort".into(), "x,y".into())]
        );
    }

    #[test]
    fn json_fields_build_one_object() {
        let mut request = UpstreamRequest::new(reqwest::Method::POST);
        request.json_field("a", &1);
        request.json_field("b", &"x");
        assert_eq!(request.body, RequestBody::Json(json!({"a": 1, "b": "x"})));
    }
}
