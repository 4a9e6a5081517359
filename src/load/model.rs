//! A JSON value to the `openapiv3` model, one piece at a time: a piece that does not fit the
//! model (a bad schema, a malformed operation) is reported at its pointer and left out, and the
//! rest of the document is still used.

use indexmap::IndexMap;
use openapiv3::{Components, Info, OpenAPI, Operation, PathItem, Paths, ReferenceOr};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::diag::{self, Diagnostic, SkipReason};

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Reads `doc` (already OpenAPI 3.0-shaped) into the typed model.
pub fn read(doc: Value, diagnostics: &mut Vec<Diagnostic>) -> OpenAPI {
    let Value::Object(mut doc) = doc else {
        diagnostics.push(Diagnostic::error(
            "#",
            "the document is not an object",
            "an OpenAPI document is a mapping at the top level",
        ));
        return OpenAPI::default();
    };
    let mut reader = Reader { diagnostics };
    let info = doc.remove("info").and_then(|v| reader.piece::<Info>(v, "#/info")).unwrap_or_else(|| Info {
        title: "API".into(),
        version: "0".into(),
        ..Info::default()
    });
    let servers = reader.list(doc.remove("servers"), "#/servers");
    let security = doc.remove("security").map(|v| reader.list(Some(v), "#/security"));
    let tags = reader.list(doc.remove("tags"), "#/tags");
    let components = doc.remove("components").map(|v| reader.components(v));
    let paths = reader.paths(doc.remove("paths"));
    OpenAPI {
        openapi: doc.remove("openapi").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        info,
        servers,
        paths,
        components,
        security,
        tags,
        ..OpenAPI::default()
    }
}

struct Reader<'d> {
    diagnostics: &'d mut Vec<Diagnostic>,
}

impl Reader<'_> {
    fn piece<T: DeserializeOwned>(&mut self, value: Value, pointer: &str) -> Option<T> {
        self.piece_or_skip(value, pointer, None)
    }

    /// Reads a piece; `skip` marks the warning of a piece that does not fit as costing a tool.
    fn piece_or_skip<T: DeserializeOwned>(
        &mut self,
        value: Value,
        pointer: &str,
        skip: Option<SkipReason>,
    ) -> Option<T> {
        match serde_json::from_value(value) {
            Ok(piece) => Some(piece),
            Err(error) => {
                let mut diagnostic = Diagnostic::warning(
                    pointer,
                    format!("this part of the spec does not fit the OpenAPI model: {error}"),
                    "fix it to match the OpenAPI specification; it is left out",
                );
                diagnostic.skipped = skip;
                self.diagnostics.push(diagnostic);
                None
            }
        }
    }

    fn list<T: DeserializeOwned>(&mut self, value: Option<Value>, pointer: &str) -> Vec<T> {
        match value {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .filter_map(|(i, item)| self.piece(item, &diag::child(pointer, i.to_string())))
                .collect(),
            Some(_) => {
                self.diagnostics.push(Diagnostic::warning(
                    pointer,
                    "expected a list",
                    "write a YAML/JSON list here; it is left out",
                ));
                Vec::new()
            }
        }
    }

    fn map<T: DeserializeOwned>(&mut self, value: Option<Value>, pointer: &str) -> IndexMap<String, T> {
        match value {
            None | Some(Value::Null) => IndexMap::new(),
            Some(Value::Object(map)) => map
                .into_iter()
                .filter_map(|(name, item)| {
                    let piece = self.piece(item, &diag::child(pointer, &name))?;
                    Some((name, piece))
                })
                .collect(),
            Some(_) => {
                self.diagnostics.push(Diagnostic::warning(
                    pointer,
                    "expected a mapping",
                    "write a mapping here; it is left out",
                ));
                IndexMap::new()
            }
        }
    }

    /// A parameter list, each read alone; a parameter with neither `schema` nor `content` (which
    /// the model requires) takes any value, with a warning.
    fn parameters<T: DeserializeOwned>(&mut self, value: Option<Value>, pointer: &str) -> Vec<T> {
        let value = value.map(|mut value| {
            if let Value::Array(items) = &mut value {
                for (index, item) in items.iter_mut().enumerate() {
                    self.give_schema(item, &diag::child(pointer, index.to_string()));
                }
            }
            value
        });
        self.list(value, pointer)
    }

    fn give_schema(&mut self, parameter: &mut Value, pointer: &str) {
        let Value::Object(parameter) = parameter else { return };
        let declared = ["schema", "content", "$ref"].iter().any(|key| parameter.contains_key(*key));
        if !declared && parameter.get("in").is_some_and(Value::is_string) {
            self.diagnostics.push(Diagnostic::warning(
                pointer,
                "the parameter has neither `schema` nor `content`",
                "add a `schema`; until then the parameter takes any value",
            ));
            parameter.insert("schema".into(), Value::Object(Map::new()));
        }
    }

    fn components(&mut self, value: Value) -> Components {
        let Value::Object(mut map) = value else { return Components::default() };
        if let Some(Value::Object(parameters)) = map.get_mut("parameters") {
            for (name, parameter) in parameters.iter_mut() {
                self.give_schema(parameter, &diag::pointer(["components", "parameters", name.as_str()]));
            }
        }
        let mut take = |key: &str| map.remove(key);
        let (schemas, responses, parameters, examples, request_bodies, headers, security_schemes, links, callbacks) = (
            take("schemas"),
            take("responses"),
            take("parameters"),
            take("examples"),
            take("requestBodies"),
            take("headers"),
            take("securitySchemes"),
            take("links"),
            take("callbacks"),
        );
        Components {
            schemas: self.map(schemas, "#/components/schemas"),
            responses: self.map(responses, "#/components/responses"),
            parameters: self.map(parameters, "#/components/parameters"),
            examples: self.map(examples, "#/components/examples"),
            request_bodies: self.map(request_bodies, "#/components/requestBodies"),
            headers: self.map(headers, "#/components/headers"),
            security_schemes: self.map(security_schemes, "#/components/securitySchemes"),
            links: self.map(links, "#/components/links"),
            callbacks: self.map(callbacks, "#/components/callbacks"),
            ..Components::default()
        }
    }

    fn paths(&mut self, value: Option<Value>) -> Paths {
        let mut paths = IndexMap::new();
        let Some(Value::Object(items)) = value else { return Paths::default() };
        for (path, item) in items {
            let pointer = diag::pointer(["paths", path.as_str()]);
            if let Value::Object(item) = item {
                paths.insert(path, ReferenceOr::Item(self.path_item(item, &pointer)));
            }
        }
        Paths { paths, ..Paths::default() }
    }

    fn path_item(&mut self, mut item: Map<String, Value>, pointer: &str) -> PathItem {
        let mut operation = |method: &str, reader: &mut Self| -> Option<Operation> {
            let value = item.remove(method)?;
            let mut value = value;
            // Parameters one by one, so a single bad parameter does not cost the operation; responses
            // and callbacks (which no tool needs) read apart, so a bad one costs nothing.
            let (parameters, responses, callbacks) = match &mut value {
                Value::Object(op) => {
                    let parts = (op.remove("parameters"), op.remove("responses"), op.remove("callbacks"));
                    op.insert("responses".into(), Value::Object(Map::new()));
                    parts
                }
                _ => (None, None, None),
            };
            let op_pointer = diag::child(pointer, method);
            let mut op: Operation = reader.piece_or_skip(value, &op_pointer, Some(SkipReason::Malformed))?;
            op.parameters = reader.parameters(parameters, &diag::child(&op_pointer, "parameters"));
            if let Some(responses) = responses.map(with_response_descriptions) {
                op.responses = reader.piece(responses, &diag::child(&op_pointer, "responses")).unwrap_or_default();
            }
            op.callbacks = reader.map(callbacks, &diag::child(&op_pointer, "callbacks"));
            Some(op)
        };
        let get = operation("get", self);
        let put = operation("put", self);
        let post = operation("post", self);
        let delete = operation("delete", self);
        let options = operation("options", self);
        let head = operation("head", self);
        let patch = operation("patch", self);
        let trace = operation("trace", self);
        let parameters = self.parameters(item.remove("parameters"), &diag::child(pointer, "parameters"));
        let servers = self.list(item.remove("servers"), &diag::child(pointer, "servers"));
        for key in item.keys().filter(|k| !k.starts_with("x-") && !METHODS.contains(&k.as_str())) {
            if !matches!(key.as_str(), "summary" | "description" | "$ref") {
                self.diagnostics.push(Diagnostic::warning(
                    diag::child(pointer, key),
                    format!("unknown path item field `{key}`"),
                    "path items hold operations (get, post, ...), parameters, servers, summary and description",
                ));
            }
        }
        PathItem {
            summary: item.get("summary").and_then(Value::as_str).map(str::to_string),
            description: item.get("description").and_then(Value::as_str).map(str::to_string),
            get,
            put,
            post,
            delete,
            options,
            head,
            patch,
            trace,
            servers,
            parameters,
            ..PathItem::default()
        }
    }
}

/// Responses with the `description` the model requires and many published specs leave out: the
/// generator never shows it, so an empty one loses nothing.
fn with_response_descriptions(mut responses: Value) -> Value {
    if let Value::Object(map) = &mut responses {
        for response in map.values_mut() {
            if let Value::Object(response) = response
                && !response.contains_key("$ref")
            {
                response.entry("description").or_insert_with(|| Value::String(String::new()));
            }
        }
    }
    responses
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_bad_piece_is_left_out_and_reported() {
        let mut diagnostics = Vec::new();
        let doc = read(
            json!({
                "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
                "paths": {"/a": {"get": {"responses": {}, "parameters": [{"name": "ok", "in": "query", "schema": {"type": "string"}}, {"in": 5}]},
                                 "post": {"requestBody": "nope"}}},
                "components": {"schemas": {"Good": {"type": "string"}, "Bad": {"type": "string", "maxLength": "x"}}}
            }),
            &mut diagnostics,
        );
        let item = doc.paths.paths["/a"].as_item().unwrap();
        assert_eq!(item.get.as_ref().unwrap().parameters.len(), 1);
        assert!(item.post.is_none());
        let schemas = &doc.components.as_ref().unwrap().schemas;
        assert!(schemas.contains_key("Good") && !schemas.contains_key("Bad"));
        let pointers: std::collections::BTreeSet<&str> = diagnostics.iter().map(|d| d.pointer.as_str()).collect();
        let expected = ["#/components/schemas/Bad", "#/paths/~1a/get/parameters/1", "#/paths/~1a/post"];
        assert_eq!(pointers, expected.into_iter().collect());
        assert_eq!(diagnostics.len(), 3);
    }

    #[test]
    fn operations_survive_what_no_tool_needs() {
        let mut diagnostics = Vec::new();
        let doc = read(
            json!({
                "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
                "paths": {"/a": {
                    "get": {"parameters": [{"name": "q", "in": "query"}]},
                    "put": {"responses": {"200": {"content": {}}}, "callbacks": {"c": "#/components/callbacks/x"}},
                    "post": {"responses": {"200": "not a response"}}
                }}
            }),
            &mut diagnostics,
        );
        let item = doc.paths.paths["/a"].as_item().unwrap();
        assert!(item.get.is_some() && item.put.is_some() && item.post.is_some(), "{diagnostics:#?}");
        assert_eq!(item.get.as_ref().unwrap().parameters.len(), 1, "a parameter without a schema takes any value");
        assert_eq!(item.put.as_ref().unwrap().responses.responses.len(), 1, "a response without a description is kept");
        let pointers: Vec<&str> = diagnostics.iter().map(|d| d.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["#/paths/~1a/get/parameters/0", "#/paths/~1a/put/callbacks/c", "#/paths/~1a/post/responses"]
        );
        assert!(diagnostics.iter().all(|d| d.skipped.is_none()));
    }
}
