//! Where a key of `mcpgen.toml` is written, so that a diagnostic located by key
//! (`apis.cliniko.profiles.voice.include[1]`) can show its line.

use toml::de::{DeTable, DeValue};

use crate::diag::Position;

/// The line and column of the value at `key_path` (dotted keys, `[n]` for array items) in `text`.
/// `None` when the text does not parse or has no such key.
pub fn locate(text: &str, key_path: &str) -> Option<Position> {
    let document = DeTable::parse(text).ok()?;
    let mut span = document.span();
    let mut table = Some(document.get_ref());
    for segment in key_path.split('.') {
        let (key, indices) = segment.split_once('[').map_or((segment, ""), |(key, rest)| (key, rest));
        let (_, value) = table?.iter().find(|(name, _)| name.get_ref().as_ref() == key)?;
        span = value.span();
        let mut current = value.get_ref();
        for index in indices.split('[').filter(|index| !index.is_empty()) {
            let index: usize = index.trim_end_matches(']').parse().ok()?;
            let DeValue::Array(items) = current else { return None };
            let item = items.get(index)?;
            span = item.span();
            current = item.get_ref();
        }
        table = match current {
            DeValue::Table(inner) => Some(inner),
            _ => None,
        };
    }
    position(text, span.start)
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> Option<Position> {
    let before = text.get(..offset)?;
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |line| line.chars().count()) + 1;
    Some(Position { line, column })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[apis.cliniko]\nspec = \"a.yaml\"\n\n[apis.cliniko.profiles.voice]\ninclude = [\"a\", { tag = \"b\" }]\nrename = { x = \"y\" }\n";

    #[test]
    fn keys_items_and_inline_tables_are_found() {
        assert_eq!(locate(TEXT, "apis.cliniko.spec"), Some(Position { line: 2, column: 8 }));
        assert_eq!(locate(TEXT, "apis.cliniko.profiles.voice.include[1]"), Some(Position { line: 5, column: 17 }));
        assert_eq!(locate(TEXT, "apis.cliniko.profiles.voice.rename.x"), Some(Position { line: 6, column: 16 }));
        assert_eq!(locate(TEXT, "apis.cliniko.profiles.voice.include[7]"), None);
        assert_eq!(locate(TEXT, "apis.calcom"), None);
        assert_eq!(locate("not = [toml", "not"), None);
    }
}
