//! Bytes to a [`Document`]: YAML or JSON; Swagger 2.0 upgraded and OpenAPI 3.1 rewritten into the
//! OpenAPI 3.0 model; file `$ref`s inlined; every problem a located [`Diagnostic`].

mod model;
mod oas31;
mod refs;
mod source_map;
mod swagger2;
mod text;

use std::path::Path;

use openapiv3::OpenAPI;
use serde_json::Value;

use crate::diag::Diagnostic;
pub use source_map::SourceMap;

/// A loaded spec: the typed model, the diagnostics of loading, and what is needed to locate any
/// later diagnostic in the file the user wrote.
#[derive(Debug, Clone)]
pub struct Document {
    /// The spec in the OpenAPI 3.0 model.
    pub spec: OpenAPI,
    /// The spec's file name, as diagnostics show it.
    pub file: String,
    /// Problems found while loading, already located.
    pub diagnostics: Vec<Diagnostic>,
    source_map: SourceMap,
    pointer_aliases: &'static [(&'static str, &'static str)],
}

impl Document {
    /// Fills in the file and position of a diagnostic whose pointer is into this document.
    pub fn locate(&self, mut diagnostic: Diagnostic) -> Diagnostic {
        diagnostic.file.clone_from(&self.file);
        if diagnostic.position.is_none() {
            let pointer = self.original_pointer(&diagnostic.pointer);
            diagnostic.position = self.source_map.locate(&pointer);
        }
        diagnostic
    }

    /// The pointer of the same node in the original file (Swagger 2.0 keeps definitions elsewhere).
    fn original_pointer(&self, pointer: &str) -> String {
        if self.source_map.contains(pointer) {
            return pointer.to_string();
        }
        for (upgraded, original) in self.pointer_aliases {
            if let Some(rest) = pointer.strip_prefix(upgraded) {
                return format!("{original}{rest}");
            }
        }
        pointer.to_string()
    }
}

/// Loads a spec file. Never fails: a file that cannot be used gives an empty spec and errors.
pub fn load_file(path: &Path) -> Document {
    let file = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => load_text(&file, &text, Some(path)),
            Err(error) => failed(
                &file,
                Diagnostic::error("#", format!("the file is not UTF-8: {error}"), "save the spec as UTF-8"),
            ),
        },
        Err(error) => failed(
            &file,
            Diagnostic::error(
                "#",
                format!("cannot read the spec: {error}"),
                "check the path in mcpgen.toml or on the command line",
            ),
        ),
    }
}

/// Loads a spec from text; `path` (when known) anchors relative file `$ref`s.
pub fn load_text(file: &str, text: &str, path: Option<&Path>) -> Document {
    let source_map = SourceMap::build(text);
    let mut diagnostics = Vec::new();
    let mut aliases: &'static [(&str, &str)] = &[];
    let spec = match text::parse(text) {
        Ok(value) => {
            let value = match version(&value) {
                Version::Swagger2 => {
                    aliases = swagger2::POINTER_ALIASES;
                    match value {
                        Value::Object(map) => swagger2::upgrade(map, &mut diagnostics),
                        _ => Value::Null,
                    }
                }
                Version::OpenApi31 => {
                    let mut value = value;
                    oas31::downgrade(&mut value, &mut diagnostics);
                    value
                }
                Version::OpenApi30 => {
                    let mut value = value;
                    oas31::normalize(&mut value, &mut diagnostics);
                    value
                }
                Version::Unknown(found) => {
                    diagnostics.push(Diagnostic::error(
                        "#",
                        format!("not an OpenAPI document ({found})"),
                        "the document needs `openapi: 3.0.x`, `openapi: 3.1.x` or `swagger: \"2.0\"` at the top level",
                    ));
                    Value::Null
                }
            };
            if value.is_null() {
                OpenAPI::default()
            } else {
                let mut value = value;
                refs::inline(&mut value, path, &mut diagnostics);
                model::read(value, &mut diagnostics)
            }
        }
        Err(error) => {
            diagnostics.push(*error);
            OpenAPI::default()
        }
    };
    let mut document =
        Document { spec, file: file.to_string(), diagnostics: Vec::new(), source_map, pointer_aliases: aliases };
    document.diagnostics = diagnostics.into_iter().map(|d| document.locate(d)).collect();
    document
}

fn failed(file: &str, diagnostic: Diagnostic) -> Document {
    let mut diagnostic = diagnostic;
    diagnostic.file = file.to_string();
    Document {
        spec: OpenAPI::default(),
        file: file.to_string(),
        diagnostics: vec![diagnostic],
        source_map: SourceMap::default(),
        pointer_aliases: &[],
    }
}

enum Version {
    Swagger2,
    OpenApi30,
    OpenApi31,
    Unknown(String),
}

fn version(value: &Value) -> Version {
    let text = |key: &str| value.get(key).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
    match (text("swagger"), text("openapi")) {
        (Some(v), _) if v.starts_with("2.") => Version::Swagger2,
        (_, Some(v)) if v.starts_with("3.0") => Version::OpenApi30,
        (_, Some(v)) if v.starts_with("3.1") || v.starts_with("3.2") => Version::OpenApi31,
        (Some(v), _) => Version::Unknown(format!("swagger: {v}")),
        (_, Some(v)) => Version::Unknown(format!("openapi: {v}")),
        _ if value.is_object() => Version::Unknown("no `openapi` or `swagger` field".into()),
        _ => Version::Unknown("the top level is not a mapping".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swagger_diagnostics_point_into_the_original_file() {
        let doc = load_text(
            "s.yaml",
            "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\ndefinitions:\n  Bad:\n    type: string\n    maxLength: x\n",
            None,
        );
        let diagnostic = &doc.diagnostics[0];
        assert_eq!(diagnostic.pointer, "#/components/schemas/Bad");
        assert_eq!(diagnostic.position.map(|p| p.line), Some(5));
        assert_eq!(diagnostic.file, "s.yaml");
    }

    #[test]
    fn non_openapi_input_is_an_error_not_a_panic() {
        for text in ["", "[]", "42", "openapi: 4.0.0", "swagger: 1.2", "\u{0}"] {
            let doc = load_text("x", text, None);
            assert!(doc.diagnostics.iter().any(Diagnostic::is_error), "{text:?}");
        }
    }
}
