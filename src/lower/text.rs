//! Cleaning spec prose for models: HTML tags removed, entities decoded, whitespace tidied.

/// The most characters a tool description keeps; longer ones end with `…`.
pub const MAX_DESCRIPTION_CHARS: usize = 1200;

/// A description fit for a tool or field: plain text, paragraphs kept, trimmed; `None` if empty.
pub fn clean_description(text: &str) -> Option<String> {
    let plain = decode_entities(&strip_tags(text));
    let mut paragraphs = Vec::new();
    for paragraph in plain.split("\n\n") {
        let words: Vec<&str> = paragraph.split_whitespace().collect();
        if !words.is_empty() {
            paragraphs.push(words.join(" "));
        }
    }
    let joined = paragraphs.join("\n\n");
    (!joined.is_empty()).then(|| truncate(&joined, MAX_DESCRIPTION_CHARS))
}

/// A one-line title (first line of the cleaned text).
pub fn clean_title(text: &str) -> Option<String> {
    clean_description(text).and_then(|t| t.lines().next().map(|line| truncate(line, 120)))
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// Removes `<tags>`; block tags (`<p>`, `<br>`, `<li>`) become paragraph breaks.
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let Some(end) = after.find('>') else {
            out.push_str(after);
            return out;
        };
        let tag = after[1..end].trim_start_matches('/').to_ascii_lowercase();
        let is_tag = tag.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '!');
        if !is_tag {
            out.push('<');
            rest = &after[1..];
            continue;
        }
        let name: String = tag.chars().take_while(char::is_ascii_alphanumeric).collect();
        if matches!(name.as_str(), "p" | "br" | "li" | "ul" | "ol" | "div" | "tr" | "h1" | "h2" | "h3" | "h4") {
            out.push_str("\n\n");
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn decode_entities(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_removed_and_paragraphs_kept() {
        let text = "<p>Fetch a <b>reservation</b>.</p><p>Time span &lt;= 90   days.</p>";
        assert_eq!(clean_description(text).unwrap(), "Fetch a reservation.\n\nTime span <= 90 days.");
        assert_eq!(clean_description("a < b and c > d").unwrap(), "a < b and c > d");
        assert_eq!(clean_description("  \n "), None);
    }

    #[test]
    fn long_text_is_cut() {
        let text = "word ".repeat(1000);
        let cleaned = clean_description(&text).unwrap();
        assert_eq!(cleaned.chars().count(), MAX_DESCRIPTION_CHARS);
        assert!(cleaned.ends_with('…'));
    }
}
