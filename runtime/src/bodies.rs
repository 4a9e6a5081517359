//! Request bodies besides JSON: form fields in the styles OpenAPI names (and the bracket convention
//! payment APIs use for nesting), multipart parts, files given as base64 content or by URL, raw text
//! and bytes, and XML written from the same arguments.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Map, Value};

/// How a form field's value is spelled: OpenAPI `encoding` `style` and `explode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormStyle {
    /// `style: form`: lists repeat the name when exploded, else join with commas; an exploded
    /// object's properties are fields of their own.
    Form {
        /// Whether lists repeat the name and objects spread into fields.
        explode: bool,
    },
    /// Lists joined with spaces.
    SpaceDelimited,
    /// Lists joined with `|`.
    PipeDelimited,
    /// Brackets: `metadata[order_id]=6735`, `expand[]=customer`, `items[0][price]=7`.
    DeepObject,
}

/// The form pairs of one field. Values nested deeper than a style can spell use brackets.
pub fn form_pairs(name: &str, value: &Value, style: FormStyle) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    match (value, style) {
        (Value::Null, _) => {}
        (Value::Array(_) | Value::Object(_), FormStyle::DeepObject) => brackets(name, value, &mut pairs),
        (Value::Array(items), _) if items.iter().all(is_scalar) => {
            let texts = items.iter().filter_map(text);
            match style {
                FormStyle::Form { explode: true } => pairs.extend(texts.map(|t| (name.to_string(), t))),
                _ => pairs.push((name.to_string(), texts.collect::<Vec<_>>().join(delimiter(style)))),
            }
        }
        (Value::Object(map), _) if map.values().all(is_scalar) => match style {
            FormStyle::Form { explode: true } => {
                pairs.extend(map.iter().filter_map(|(k, v)| Some((k.clone(), text(v)?))));
            }
            _ => {
                let joined: Vec<String> =
                    map.iter().filter_map(|(k, v)| Some([k.clone(), text(v)?])).flatten().collect();
                pairs.push((name.to_string(), joined.join(delimiter(style))));
            }
        },
        (Value::Array(_) | Value::Object(_), _) => brackets(name, value, &mut pairs),
        (scalar, _) => pairs.extend(text(scalar).map(|t| (name.to_string(), t))),
    }
    pairs
}

fn delimiter(style: FormStyle) -> &'static str {
    match style {
        FormStyle::SpaceDelimited => " ",
        FormStyle::PipeDelimited => "|",
        FormStyle::Form { .. } | FormStyle::DeepObject => ",",
    }
}

fn is_scalar(value: &Value) -> bool {
    !value.is_array() && !value.is_object()
}

/// The text of a scalar; `None` for `null`, objects and lists.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

fn brackets(prefix: &str, value: &Value, pairs: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                brackets(&format!("{prefix}[{key}]"), item, pairs);
            }
        }
        Value::Array(items) if items.iter().all(is_scalar) => {
            pairs.extend(items.iter().filter_map(text).map(|t| (format!("{prefix}[]"), t)));
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                brackets(&format!("{prefix}[{index}]"), item, pairs);
            }
        }
        scalar => pairs.extend(text(scalar).map(|t| (prefix.to_string(), t))),
    }
}

/// A file as a tool takes it: its content in base64, or a URL the server fetches when its
/// configuration allows that URL; with an optional file name and media type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileInput {
    /// The content, base64-encoded (standard alphabet, padding optional).
    #[serde(default)]
    pub content_base64: Option<String>,
    /// Where the server fetches the content (only under `PREFIX_FILE_URL_PREFIXES`).
    #[serde(default)]
    pub url: Option<String>,
    /// The file name sent with a multipart part.
    #[serde(default)]
    pub filename: Option<String>,
    /// The media type sent with the content.
    #[serde(default)]
    pub content_type: Option<String>,
}

/// A file ready to send, or still to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileContent {
    /// The bytes.
    Bytes(Vec<u8>),
    /// A URL to fetch before sending.
    Url(String),
}

/// A file part or body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Its content.
    pub content: FileContent,
    /// File name.
    pub filename: Option<String>,
    /// Media type.
    pub content_type: Option<String>,
}

impl FileInput {
    /// The file, or what is wrong with the input, in words a caller can act on.
    pub fn to_file(&self) -> Result<File, String> {
        let content = match (&self.content_base64, &self.url) {
            (Some(encoded), None) => {
                let engine = base64::engine::general_purpose::GeneralPurposeConfig::new()
                    .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent);
                let engine = base64::engine::GeneralPurpose::new(&base64::alphabet::STANDARD, engine);
                let compact: String = encoded.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                FileContent::Bytes(
                    engine.decode(compact).map_err(|_| "`content_base64` is not valid base64".to_string())?,
                )
            }
            (None, Some(url)) => FileContent::Url(url.clone()),
            (Some(_), Some(_)) => return Err("give `content_base64` or `url`, not both".into()),
            (None, None) => return Err("give the file as `content_base64` (or as `url`, when allowed)".into()),
        };
        if let Some(content_type) = &self.content_type {
            let (kind, subtype) = content_type.split_once('/').unwrap_or_default();
            let printable = content_type.bytes().all(|b| (b' '..=b'~').contains(&b));
            if !printable || kind.trim().is_empty() || subtype.trim().is_empty() {
                return Err(format!("`content_type` {content_type:?} is not a media type such as `application/pdf`"));
            }
        }
        Ok(File { content, filename: self.filename.clone(), content_type: self.content_type.clone() })
    }
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The field name.
    pub name: String,
    /// What it carries.
    pub value: PartValue,
}

/// The content of a multipart part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartValue {
    /// Text, with the media type of structured values (`application/json` for objects and lists).
    Text {
        /// The text.
        text: String,
        /// Its media type, when not plain text.
        content_type: Option<&'static str>,
    },
    /// A file.
    File(File),
}

impl PartValue {
    /// A value as a multipart part: text as it is, numbers and booleans as text, objects and lists
    /// as JSON (the OpenAPI default for multipart).
    pub fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::Null => None,
            Value::Array(_) | Value::Object(_) => {
                Some(PartValue::Text { text: value.to_string(), content_type: Some("application/json") })
            }
            scalar => Some(PartValue::Text { text: text(scalar)?, content_type: None }),
        }
    }
}

/// An XML document: the root element and its children, one per field, in order. Objects become
/// nested elements; lists repeat the element. A key that is not an XML name (a caller's `a><b`) is
/// refused, naming it, rather than written as markup.
pub fn xml_document(root: &str, fields: &Map<String, Value>) -> Result<String, String> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    element(root, &Value::Object(fields.clone()), &mut out)?;
    Ok(out)
}

fn element(name: &str, value: &Value, out: &mut String) -> Result<(), String> {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
    if !valid {
        return Err(format!("`{name}` cannot be an XML element name"));
    }
    match value {
        Value::Null => {}
        Value::Array(items) => {
            for item in items {
                element(name, item, out)?;
            }
        }
        Value::Object(map) => {
            out.push_str(&format!("<{name}>"));
            for (key, item) in map {
                element(key, item, out)?;
            }
            out.push_str(&format!("</{name}>"));
        }
        scalar => {
            let text = text(scalar).unwrap_or_default();
            out.push_str(&format!("<{name}>{}</{name}>", quick_xml::escape::escape(text.as_str())));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn encoded(pairs: &[(String, String)]) -> Vec<String> {
        pairs.iter().map(|(k, v)| format!("{k}={v}")).collect()
    }

    #[test]
    fn deep_objects_use_brackets_at_every_level() {
        let style = FormStyle::DeepObject;
        assert_eq!(encoded(&form_pairs("metadata", &json!({"order_id": "6735"}), style)), ["metadata[order_id]=6735"]);
        assert_eq!(
            encoded(&form_pairs("expand", &json!(["customer", "invoice"]), style)),
            ["expand[]=customer", "expand[]=invoice"]
        );
        let items = json!([{"price": "price_1", "quantity": 2}, {"price": "price_2", "quantity": 1}]);
        assert_eq!(
            encoded(&form_pairs("items", &items, FormStyle::Form { explode: true })),
            ["items[0][price]=price_1", "items[0][quantity]=2", "items[1][price]=price_2", "items[1][quantity]=1"]
        );
    }

    #[test]
    fn form_styles_follow_explode_and_delimiters() {
        let list = json!(["a", "b"]);
        assert_eq!(encoded(&form_pairs("x", &list, FormStyle::Form { explode: true })), ["x=a", "x=b"]);
        assert_eq!(encoded(&form_pairs("x", &list, FormStyle::Form { explode: false })), ["x=a,b"]);
        assert_eq!(encoded(&form_pairs("x", &list, FormStyle::SpaceDelimited)), ["x=a b"]);
        assert_eq!(encoded(&form_pairs("x", &list, FormStyle::PipeDelimited)), ["x=a|b"]);
        let object = json!({"R": 100, "G": 200});
        assert_eq!(encoded(&form_pairs("color", &object, FormStyle::Form { explode: true })), ["R=100", "G=200"]);
        assert_eq!(encoded(&form_pairs("color", &object, FormStyle::Form { explode: false })), ["color=R,100,G,200"]);
        assert_eq!(encoded(&form_pairs("n", &json!(1.5), FormStyle::DeepObject)), ["n=1.5"]);
        assert!(form_pairs("n", &Value::Null, FormStyle::DeepObject).is_empty());
    }

    #[test]
    fn files_come_as_base64_or_a_url_never_both() {
        let input = |value: Value| serde_json::from_value::<FileInput>(value).unwrap();
        let file = input(json!({"content_base64": "aGVs\nbG8", "filename": "a.txt", "content_type": "text/plain"}));
        assert_eq!(file.to_file().unwrap().content, FileContent::Bytes(b"hello".to_vec()));
        let by_url = input(json!({"url": "https://files.example.com/a.pdf"})).to_file().unwrap();
        assert_eq!(by_url.content, FileContent::Url("https://files.example.com/a.pdf".into()));
        assert!(input(json!({"content_base64": "***"})).to_file().unwrap_err().contains("not valid base64"));
        assert!(
            input(json!({"content_base64": "aA==", "url": "https://x"})).to_file().unwrap_err().contains("not both")
        );
        assert!(input(json!({})).to_file().is_err());
        let injected = input(json!({"content_base64": "aA==", "content_type": "text/plain\r\nX-Admin: 1"}));
        assert!(injected.to_file().unwrap_err().contains("is not a media type"));
        assert!(serde_json::from_value::<FileInput>(json!({"path": "/etc/passwd"})).is_err());
    }

    #[test]
    fn xml_is_written_from_the_arguments_and_escaped() {
        let fields = json!({"Name": "a<b & \"c\"", "Tags": ["x", "y"], "Owner": {"Id": 7}, "Gone": null});
        let xml = xml_document("CreateInput", fields.as_object().unwrap()).unwrap();
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CreateInput><Name>a&lt;b &amp; &quot;c&quot;</Name>\
             <Tags>x</Tags><Tags>y</Tags><Owner><Id>7</Id></Owner></CreateInput>"
        );
        let injected = json!({"Owner": {"a><script": 1}});
        let refused = xml_document("CreateInput", injected.as_object().unwrap()).unwrap_err();
        assert!(refused.contains("`a><script` cannot be an XML element name"), "{refused}");
    }
}
