//! `$ref` handling before the typed model: relative file references and local references to
//! anything that is not a named component are inlined. References to components stay, and are
//! resolved during lowering. The network is never used.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use crate::diag::{self, Diagnostic, Severity};
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
///
/// A reference into a component schema (`#/components/schemas/A/properties/b`) is not inlined: its
/// target is copied into `components/schemas` under the name `A/properties/b` and referenced by
/// that name, so recursion through it is cut by depth like any component's, instead of being
/// expanded once per path through the document.
pub fn inline(root: &mut Value, file: Option<&Path>, diagnostics: &mut Vec<Diagnostic>) {
    let snapshot = root.clone();
    let mut resolver = Resolver {
        files: BTreeMap::new(),
        stack: Vec::new(),
        hoisted: BTreeMap::new(),
        warned: BTreeSet::new(),
        diagnostics,
    };
    let base = Base { file: file.map(Path::to_path_buf), document: &snapshot, is_root: true };
    resolver.walk(root, &base, "#");
    let mut done = BTreeSet::new();
    while let Some((name, fragment)) =
        resolver.hoisted.iter().find(|(name, _)| !done.contains(*name)).map(|(n, f)| (n.clone(), f.clone()))
    {
        done.insert(name.clone());
        let Some(mut schema) = lookup(&snapshot, &fragment).cloned() else { continue };
        resolver.walk(&mut schema, &base, &format!("#{fragment}"));
        if let Some(Value::Object(schemas)) = root.pointer_mut("/components/schemas") {
            schemas.insert(name, schema);
        }
    }
}

struct Base<'a> {
    file: Option<PathBuf>,
    document: &'a Value,
    is_root: bool,
}

struct Resolver<'d> {
    files: BTreeMap<PathBuf, Value>,
    stack: Vec<String>,
    /// Component schemas made of targets inside component schemas: name to pointer.
    hoisted: BTreeMap<String, String>,
    /// Cycles already reported, so a cycle reached along many paths is reported once.
    warned: BTreeSet<String>,
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
                    // Data and vendor extensions are never read through: a reference inside them does
                    // not matter to any tool, resolvable or not.
                    if !matches!(key.as_str(), "example" | "examples" | "default" | "enum") && !key.starts_with("x-") {
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
        let hoisted = inside_component_schema(fragment).filter(|_| file_part.is_empty() && base.is_root);
        if let Some(name) = hoisted
            && lookup(base.document, fragment).is_some_and(Value::is_object)
        {
            let reference = diag::pointer(["components", "schemas", name.as_str()]);
            self.hoisted.entry(name).or_insert_with(|| fragment.to_string());
            return Some(json!({ "$ref": reference }));
        }
        if file_part.contains("://") {
            self.diagnostics.push(Diagnostic::warning(
                pointer,
                format!("remote reference `{target}` is not fetched; the value is accepted as any JSON"),
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
            if self.warned.insert(key) {
                self.diagnostics.push(Diagnostic::warning(
                    pointer,
                    format!("reference cycle through `{target}` outside components"),
                    "move the recursive schema under #/components/schemas so it can be referenced by name",
                ));
            }
            return Some(json!({}));
        }
        let loaded;
        let document = if file_part.is_empty() {
            base.document
        } else {
            loaded = match &file {
                Some(path) => match self.load_file(path, file_part, pointer) {
                    Some(document) => document,
                    None => return Some(json!({})),
                },
                None => return Some(json!({})),
            };
            &loaded
        };
        let Some(mut resolved) = lookup(document, fragment).cloned() else {
            // Only what a tool reads can suffer from it: the value is accepted as any JSON there,
            // and a parameter or body it leaves empty is reported where it is read.
            self.diagnostics.push(Diagnostic::warning(
                pointer,
                format!("`$ref: {target}` points at nothing; the value is accepted as any JSON"),
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

    /// The parsed file; `None` (reported) when it cannot be read or parsed.
    fn load_file(&mut self, path: &Path, written: &str, pointer: &str) -> Option<Value> {
        if let Some(document) = self.files.get(path) {
            return Some(document.clone());
        }
        let parsed = std::fs::read_to_string(path)
            .map_err(|error| {
                Box::new(Diagnostic::warning(
                    pointer,
                    format!("cannot read referenced file `{written}`: {error}; the value is accepted as any JSON"),
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
                error.severity = Severity::Warning;
                self.diagnostics.push(*error);
                None
            }
        }
    }
}

fn is_component(fragment: &str) -> bool {
    let segments: Vec<&str> = fragment.trim_start_matches('/').split('/').collect();
    matches!(segments.as_slice(), ["components", kind, _] if COMPONENT_KINDS.contains(kind))
}

/// For a pointer inside a component schema (`/components/schemas/A/properties/b`), the name its
/// target takes as a component of its own (`A/properties/b`).
fn inside_component_schema(fragment: &str) -> Option<String> {
    let rest = fragment.strip_prefix("/components/schemas/")?;
    let segments: Vec<String> = rest.split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect();
    (segments.len() > 1).then(|| segments.join("/"))
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
    fn refs_inside_component_schemas_become_components_of_their_own() {
        // A cycle through a property of a component is cut by the lowerer's depth, not expanded
        // along every path that reaches it.
        let mut doc = json!({"components": {"schemas": {
            "Server": {"properties": {"nic": {"properties": {"server": {"$ref": "#/components/schemas/Server/properties/nic/properties/peer"}, "peer": {"$ref": "#/components/schemas/Server"}}}}},
            "Use": {"$ref": "#/components/schemas/Server/properties/nic"}
        }}});
        let mut diagnostics = Vec::new();
        inline(&mut doc, None, &mut diagnostics);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["Use"]["$ref"], "#/components/schemas/Server~1properties~1nic");
        assert_eq!(schemas["Server/properties/nic"]["properties"]["peer"]["$ref"], "#/components/schemas/Server");
        assert_eq!(
            schemas["Server/properties/nic"]["properties"]["server"]["$ref"],
            "#/components/schemas/Server~1properties~1nic~1properties~1peer"
        );
        assert_eq!(schemas["Server/properties/nic/properties/peer"]["$ref"], "#/components/schemas/Server");
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
    }

    #[test]
    fn a_cycle_reached_along_many_paths_is_reported_once() {
        let mut doc =
            json!({"x": {"a": {"$ref": "#/x"}, "b": {"$ref": "#/x"}}, "y": [{"$ref": "#/x"}, {"$ref": "#/x"}]});
        let mut diagnostics = Vec::new();
        inline(&mut doc, None, &mut diagnostics);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
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
