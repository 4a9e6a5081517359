//! The one place spec prose becomes a doc comment.

use proc_macro2::TokenStream;
use quote::quote;

/// `#[doc]` attributes for `text`: a leading space on each line, `[brackets]` escaped so rustdoc
/// sees no links, bare URLs in `<>`, code fences marked `text` so nothing runs as a doctest.
pub fn doc_attrs(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| format!(" {}", escape_line(line)));
    quote! { #(#[doc = #lines])* }
}

fn escape_line(line: &str) -> String {
    if line.trim_start().starts_with("```") {
        return "```text".to_string();
    }
    let escaped = line.replace('[', "\\[").replace(']', "\\]");
    escaped
        .split(' ')
        .map(|word| {
            if (word.starts_with("http://") || word.starts_with("https://")) && !word.contains('>') {
                format!("<{word}>")
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_is_escaped() {
        assert_eq!(escape_line("see [Ordering](https://x.io/a)"), "see \\[Ordering\\](https://x.io/a)");
        assert_eq!(escape_line("docs at https://x.io"), "docs at <https://x.io>");
        assert_eq!(escape_line("```rust"), "```text");
        assert_eq!(doc_attrs("a\nb").to_string(), "# [doc = \" a\"] # [doc = \" b\"]");
    }
}
