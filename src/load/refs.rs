//! `$ref` handling before the typed model: relative file references and local references to
//! anything that is not a named component are inlined. References to components stay, and are
//! resolved during lowering. The network is never used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use crate::diag::{self, Diagnostic};
use crate::load::text;

/// Component kinds a `#/components/<kind>/<name>` reference may name and keep.
const COMPONENT_KINDS: &[&str] = &[
    "schemas",
    "parameters",
    "requestBodies",
    "responses",
    "securitySchemes",
    "headers",
    "examples",
    "links",
    "callbacks",
];

/// Inlines file references and non-component local references of `root` (read from `file`).
pub fn inline(root: &mut Value, file: Option<&Path>, diagnostics: &mut Vec<Diagnostic>) {
    let snapshot = root.clone();
    let mut resolver = Resolver { files: BTreeMap::new(), stack: Vec::new(), diagnostics };
    let base = Base { file: file.map(Path::to_path_buf), document: &snapshot, is_root: true };
    resolver.walk(root, &base, "#");
}

struct Base<'a> {
    file: Option<PathBuf>,
    document: &'a Value,
    is_root: bool,
}

struct Resolver<'d> {
    files: BTreeMap<PathBuf, Value>,
    stack: Vec<String>,
    diagnostics: &'d mut Vec<Diagnostic>,
}

impl Resolver<'_> {
    fn walk(&mut self, value: &mut Value, base: &Base<'_>, pointer: &str) {
        if let Some(target) = value.get("$ref").and_then(Value::as_str).map(str::to_string) {
            if let Some(replacement) = self.resolve(&target, base, pointer) {
                *value = replacement;
            }
            return;
        }
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    if !matches!(key.as_str(), "example" | "examples" | "default" | "enum") {
                        self.walk(child, base, &diag::child(pointer, key));
                    }
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter_mut().enumerate() {
                    self.walk(item, base, &diag::child(pointer, index.to_string()));
                }
            }
            _ => {}
        }
    }

    /// The value that replaces a `$ref`, or `None` to keep the reference as it is.
    fn resolve(&mut self, target: &str, base: &Base<'_>, pointer: &str) -> Option<Value> {
        let (file_part, encoded) = target.split_once('#').unwrap_or((target, ""));
        // A fragment is a URI fragment: percent-decoded before its `~1`/`~0` (RFC 6901, section 6).
        let decoded = percent_decode_str(encoded).decode_utf8_lossy();
        let fragment = decoded.as_ref();
        if file_part.is_empty() && base.is_root && is_component(fragment) {
            // Components are found by name: the reference keeps the name, not its URI encoding.
            return (fragment != encoded).then(|| json!({"$ref": format!("#{fragment}")}));
        }
        if file_part.contains("://") {
            self.diagnostics.push(Diagnostic::error(
                pointer,
                format!("remote reference `{target}` is not fetched"),
                "download the referenced file next to the spec and use a relative path",
            ));
            return Some(json!({}));
        }
        let file = if file_part.is_empty() {
            base.file.clone()
        } else {
            let dir = base.file.as_deref().and_then(Path::parent).unwrap_or(Path::new("."));
            Some(dir.join(file_part))
        };
        let key =
            format!("{}#{fragment}", file.as_deref().map(Path::display).map(|d| d.to_string()).unwrap_or_default());
        if self.stack.contains(&key) {
            self.diagnostics.push(Diagnostic::warning(
                pointer,
                format!("reference cycle through `{target}` outside components"),
                "move the recursive schema under #/components/schemas so it can be referenced by name",
            ));
            return Some(json!({}));
        }
        let loaded;
        let document = if file_part.is_empty() {
            base.document
        } else {
            loaded = match &file {
                Some(path) => self.load_file(path, pointer)?,
                None => return Some(json!({})),
            };
            &loaded
        };
        let Some(mut resolved) = lookup(document, fragment).cloned() else {
            self.diagnostics.push(Diagnostic::error(
                pointer,
                format!("`$ref: {target}` points at nothing"),
                "check the file name and the JSON pointer after `#`",
            ));
            return Some(json!({}));
        };
        self.stack.push(key);
        let inner = Base { file, document, is_root: base.is_root && file_part.is_empty() };
        self.walk(&mut resolved, &inner, pointer);
        self.stack.pop();
        Some(resolved)
    }

    fn load_file(&mut self, path: &Path, pointer: &str) -> Option<Value> {
        if let Some(document) = self.files.get(path) {
            return Some(document.clone());
        }
        let parsed = std::fs::read_to_string(path)
            .map_err(|error| {
                Box::new(Diagnostic::error(
                    pointer,
                    format!("cannot read referenced file {}: {error}", path.display()),
                    "reference files relative to the spec that refers to them",
                ))
            })
            .and_then(|text| text::parse(&text));
        match parsed {
            Ok(document) => {
                self.files.insert(path.to_path_buf(), document.clone());
                Some(document)
            }
            Err(mut error) => {
                error.pointer = pointer.to_string();
                self.diagnostics.push(*error);
                Some(json!({}))
            }
        }
    }
}

fn is_component(fragment: &str) -> bool {
    let segments: Vec<&str> = fragment.trim_start_matches('/').split('/').collect();
    matches!(segments.as_slice(), ["components", kind, _] if COMPONENT_KINDS.contains(kind))
}

/// Follows an RFC 6901 pointer (`/a/b~1c`, without the leading `#`, already percent-decoded).
pub fn lookup<'v>(document: &'v Value, fragment: &str) -> Option<&'v Value> {
    if fragment.is_empty() || fragment == "/" {
        return Some(document);
    }
    document.pointer(fragment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_refs_stay_and_others_are_inlined() {
        let mut doc = json!({
            "paths": {"/a": {"get": {"parameters": [{"$ref": "#/paths/~1b/get/parameters/0"}]}},
                      "/b": {"get": {"parameters": [{"name": "x", "in": "query"}]}}},
            "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {}}}
        });
        let mut diagnostics = Vec::new();
        inline(&mut doc, None, &mut diagnostics);
        assert_eq!(doc["paths"]["/a"]["get"]["parameters"][0]["name"], "x");
        assert_eq!(doc["components"]["schemas"]["A"]["$ref"], "#/components/schemas/B");
        assert!(diagnostics.is_empty());
    }

    #[test]
    fn remote_refs_are_refused() {
        let mut doc = json!({"a": {"$ref": "https://example.com/x.yaml#/A"}});
        let mut diagnostics = Vec::new();
        inline(&mut doc, None, &mut diagnostics);
        assert_eq!(doc["a"], json!({}));
        assert!(diagnostics[0].message.contains("not fetched"));
    }

    #[test]
    fn cycles_outside_components_are_cut() {
        let mut doc = json!({"x": {"a": {"$ref": "#/x"}}});
        let mut diagnostics = Vec::new();
        inline(&mut doc, None, &mut diagnostics);
        assert_eq!(diagnostics.len(), 1);
    }
}
