//! An upstream request under construction: path segments percent-encoded one by one, query,
//! headers, cookies and body.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Serialize;
use serde_json::{Map, Value};

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

    /// Adds a form field (lists repeat the name).
    pub fn form_field(&mut self, name: &str, value: &(impl ParamValue + ?Sized)) {
        let pairs = value.param_values().into_iter().map(|v| (name.to_string(), v));
        match &mut self.body {
            RequestBody::Form(fields) => fields.extend(pairs),
            body => *body = RequestBody::Form(pairs.collect()),
        }
    }

    /// Sets the body's content type.
    pub fn set_content_type(&mut self, content_type: &'static str) {
        self.content_type = Some(content_type);
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
