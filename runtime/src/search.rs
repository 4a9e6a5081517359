//! Offline tool search for discovery mode: ranks a server's tools for a task described in the
//! words a user or a voice agent uses ("who starred this repo", "move Mrs Smith's 3pm to Thursday").
//!
//! Each tool is a document of weighted fields (name, title, tags, path, description, input
//! fields, and the action its method implies). Words are split at case and punctuation changes,
//! stemmed (Snowball English) and scored with BM25F. A query word also matches, at lower weight,
//! its synonyms from a small thesaurus of the words people use for API actions and objects, and
//! the longer words it begins (`star` finds `stargazers`). Written here rather than taken from a
//! search engine crate: those build on-disk indexes and weigh megabytes, while a few thousand
//! short documents fit in a map built on first use.

use std::collections::BTreeMap;

use rust_stemmers::{Algorithm, Stemmer};

/// BM25 term-frequency saturation.
const K1: f32 = 1.2;
/// BM25 length normalisation.
const B: f32 = 0.4;
/// Weight of a synonym's match relative to the word itself.
const SYNONYM_WEIGHT: f32 = 0.6;
/// Weight of a match on a longer word the query word begins.
const PREFIX_WEIGHT: f32 = 0.5;
/// The shortest query stem that matches longer words by prefix.
const MIN_PREFIX_LEN: usize = 4;
/// Words of a description that are indexed: the first ones say what the operation does.
const MAX_DESCRIPTION_WORDS: usize = 80;

/// The text of one tool, as the index reads it.
#[derive(Debug, Clone, Copy)]
pub struct ToolText<'a> {
    /// The tool name (`list_patients`).
    pub name: &'a str,
    /// Its title, if any.
    pub title: Option<&'a str>,
    /// Its description.
    pub description: &'a str,
    /// Its tags.
    pub tags: &'a [&'a str],
    /// The HTTP method.
    pub method: &'a str,
    /// The path template.
    pub path: &'a str,
    /// Names of its input fields, space-separated.
    pub fields: &'a str,
}

/// Fields of a tool document and their weights.
#[derive(Clone, Copy)]
enum Field {
    Name,
    Title,
    Tags,
    Path,
    Action,
    Description,
    Inputs,
}

impl Field {
    fn weight(self) -> f32 {
        match self {
            Field::Name => 3.0,
            Field::Title => 2.5,
            Field::Tags => 2.0,
            Field::Path => 1.5,
            Field::Action => 1.5,
            Field::Description => 1.0,
            Field::Inputs => 0.5,
        }
    }
}

/// Words too common in task phrasings to tell tools apart.
const STOP_WORDS: &[&str] = &[
    "a", "about", "all", "an", "and", "any", "are", "as", "at", "be", "by", "can", "could", "do", "does", "for",
    "from", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our",
    "please", "s", "so", "some", "that", "the", "their", "them", "then", "there", "these", "this", "those", "to", "us",
    "want", "was", "we", "what", "when", "where", "which", "will", "with", "would", "you", "your",
];

/// Groups of words that name the same action or object in API tasks. A query word matches the
/// other words of each group it is in, at [`SYNONYM_WEIGHT`].
const SYNONYMS: &[&[&str]] = &[
    // Actions.
    &["find", "search", "look", "lookup", "list", "show", "get", "fetch", "retrieve", "see", "view", "browse", "query"],
    &["create", "add", "new", "make", "register", "open", "start", "post", "insert"],
    &["update", "change", "edit", "modify", "move", "reschedule", "rename", "adjust", "amend", "patch", "replace"],
    &["delete", "remove", "drop", "erase", "destroy", "purge", "discard"],
    &["cancel", "cancellation", "void", "abort", "revoke", "calloff"],
    &["send", "deliver", "dispatch", "notify", "invite"],
    &["count", "number", "total", "statistics", "stats", "summary"],
    &["upload", "attach", "attachment", "file", "document"],
    &["download", "export", "report"],
    &["archive", "hide", "deactivate", "disable"],
    &["restore", "unarchive", "reactivate", "enable", "recover"],
    &["merge", "combine", "join"],
    &["copy", "duplicate", "clone"],
    &["approve", "accept", "confirm"],
    &["reject", "decline", "deny"],
    // Scheduling and hospitality.
    &["book", "booking", "reserve", "reservation", "appointment", "schedule", "visit", "session"],
    &["available", "availability", "free", "slot", "opening", "vacancy", "open"],
    &["checkin", "arrive", "arrival", "arriving"],
    &["checkout", "depart", "departure", "departing", "leave"],
    &["room", "rooms", "accommodation", "suite"],
    &["rate", "price", "pricing", "tariff", "cost", "fee"],
    &["hotel", "property", "resort", "location", "venue", "site"],
    &["guest", "traveler", "traveller", "visitor"],
    &["doctor", "practitioner", "provider", "clinician", "physician", "therapist", "staff"],
    &["patient", "client", "customer", "person", "contact"],
    &["user", "member", "people", "person", "account", "who", "someone"],
    &["team", "organization", "organisation", "org", "company", "group"],
    &["time", "date", "hour", "day", "tomorrow", "today", "morning", "afternoon", "week"],
    // Money.
    &["invoice", "bill", "billing", "charge", "payment", "pay", "paid"],
    &["refund", "reimburse", "chargeback"],
    &["subscription", "plan", "recurring", "membership"],
    &["discount", "coupon", "promotion", "promo", "voucher"],
    &["balance", "funds", "owe", "owing", "outstanding"],
    // Communication.
    &["message", "text", "sms", "chat"],
    &["email", "mail", "inbox"],
    &["phone", "call", "dial", "telephone"],
    &["note", "comment", "memo", "remark"],
    &["webhook", "callback", "hook", "notification", "event"],
    &["agent", "bot", "assistant"],
    &["voice", "speech", "audio"],
    &["transcript", "recording"],
    // Source hosting.
    &["repo", "repository", "project"],
    &["star", "stargazer", "starred", "favorite", "favourite", "like"],
    &["issue", "ticket", "bug"],
    &["pull", "pr", "pullrequest"],
    &["branch", "ref"],
    &["follow", "follower", "watch", "watcher", "subscribe"],
    &["release", "version", "tag"],
    &["fork", "copy"],
    &["permission", "access", "role", "collaborator"],
    &["secret", "key", "token", "credential"],
    // Records.
    &["detail", "details", "info", "information", "profile", "record"],
    &["history", "log", "activity", "audit"],
    &["address", "street", "city", "postcode", "zip"],
    &["setting", "settings", "preference", "config", "configuration"],
];

/// Time words that say a task is about an appointment or a booking.
const TIME_WORDS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "tomorrow",
    "today",
    "tonight",
    "pm",
    "noon",
    "oclock",
    "morning",
    "afternoon",
    "evening",
];

/// Words a time word adds to the query.
const TIME_EXPANSION: &[&str] = &["appointment", "booking", "time", "schedule"];

/// A search index over a server's tools.
pub struct SearchIndex {
    /// Weighted term frequencies by stem: (tool index, frequency).
    postings: BTreeMap<String, Vec<(u32, f32)>>,
    /// Weighted length of each document.
    lengths: Vec<f32>,
    /// Average weighted length.
    average_length: f32,
    /// Stemmed synonym groups.
    synonyms: Vec<Vec<String>>,
    /// Stems of [`TIME_EXPANSION`].
    time_stems: Vec<String>,
    stemmer: Stemmer,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("tools", &self.lengths.len()).field("stems", &self.postings.len()).finish()
    }
}

impl SearchIndex {
    /// Indexes `tools`; search results are positions in this sequence.
    pub fn new<'a>(tools: impl IntoIterator<Item = ToolText<'a>>) -> Self {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut postings: BTreeMap<String, Vec<(u32, f32)>> = BTreeMap::new();
        let mut lengths = Vec::new();
        for (index, tool) in tools.into_iter().enumerate() {
            let mut frequencies: BTreeMap<String, f32> = BTreeMap::new();
            let mut length = 0.0;
            let mut add = |field: Field, text: &str, limit: usize, compounds: bool| {
                let words = stems(&stemmer, text, limit, compounds);
                for word in words {
                    *frequencies.entry(word).or_insert(0.0) += field.weight();
                    length += field.weight();
                }
            };
            add(Field::Name, tool.name, usize::MAX, true);
            if let Some(title) = tool.title {
                add(Field::Title, title, usize::MAX, false);
            }
            for tag in tool.tags {
                add(Field::Tags, tag, usize::MAX, true);
            }
            add(Field::Path, tool.path, usize::MAX, true);
            add(Field::Action, action_words(tool.method, tool.path), usize::MAX, false);
            add(Field::Description, tool.description, MAX_DESCRIPTION_WORDS, false);
            add(Field::Inputs, tool.fields, usize::MAX, false);
            let document = u32::try_from(index).unwrap_or(u32::MAX);
            for (stem, frequency) in frequencies {
                postings.entry(stem).or_default().push((document, frequency));
            }
            lengths.push(length);
        }
        let average_length = if lengths.is_empty() { 1.0 } else { lengths.iter().sum::<f32>() / lengths.len() as f32 };
        let synonyms = SYNONYMS
            .iter()
            .map(|group| group.iter().flat_map(|word| stems(&stemmer, word, 4, true)).collect())
            .collect();
        let time_stems = TIME_EXPANSION.iter().flat_map(|word| stems(&stemmer, word, 1, false)).collect();
        Self { postings, lengths, average_length: average_length.max(1.0), synonyms, time_stems, stemmer }
    }

    /// The number of indexed tools.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// Whether no tool is indexed.
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// The positions of the tools that best match `query`, best first, at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<usize> {
        let mut words = stems(&self.stemmer, query, 64, true);
        words.sort_unstable();
        words.dedup();
        let mut concepts: Vec<Vec<(&str, f32)>> = words.iter().map(|word| self.expansions(word)).collect();
        // A time ("3pm", "Thursday") says the task is about an appointment: one more concept,
        // matched as a synonym is.
        if query.split(|c: char| !c.is_alphanumeric()).any(|word| is_time_word(&word.to_lowercase())) {
            concepts.push(self.time_stems.iter().map(|word| (word.as_str(), SYNONYM_WEIGHT)).collect());
        }
        let mut scores = vec![0.0f32; self.lengths.len()];
        let mut best = vec![0.0f32; self.lengths.len()];
        for terms in concepts {
            best.fill(0.0);
            for (term, weight) in terms {
                for (document, score) in self.term_scores(term) {
                    if let Some(entry) = best.get_mut(document as usize) {
                        *entry = entry.max(score * weight);
                    }
                }
            }
            for (total, score) in scores.iter_mut().zip(&best) {
                *total += score;
            }
        }
        let mut ranked: Vec<(usize, f32)> = scores.into_iter().enumerate().filter(|(_, score)| *score > 0.0).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.into_iter().take(limit).map(|(document, _)| document).collect()
    }

    /// The terms a query stem matches, with their weights: itself, its synonyms and the longer
    /// stems it begins.
    fn expansions<'s>(&'s self, word: &'s str) -> Vec<(&'s str, f32)> {
        let mut terms = vec![(word, 1.0)];
        for group in self.synonyms.iter().filter(|group| group.iter().any(|member| member == word)) {
            terms.extend(group.iter().filter(|member| *member != word).map(|member| (member.as_str(), SYNONYM_WEIGHT)));
        }
        if word.len() >= MIN_PREFIX_LEN {
            let longer = self.postings.range::<str, _>((std::ops::Bound::Excluded(word), std::ops::Bound::Unbounded));
            terms.extend(
                longer
                    .map(|(stem, _)| stem)
                    .take_while(|stem| stem.starts_with(word))
                    .map(|stem| (stem.as_str(), PREFIX_WEIGHT)),
            );
        }
        terms
    }

    /// BM25 scores of `term` in each tool that has it.
    fn term_scores(&self, term: &str) -> Vec<(u32, f32)> {
        let Some(postings) = self.postings.get(term) else { return Vec::new() };
        let total = self.lengths.len() as f32;
        let idf = (1.0 + (total - postings.len() as f32 + 0.5) / (postings.len() as f32 + 0.5)).ln();
        postings
            .iter()
            .map(|&(document, frequency)| {
                let length = self.lengths.get(document as usize).copied().unwrap_or(self.average_length);
                let norm = K1 * (1.0 - B + B * length / self.average_length);
                (document, idf * frequency * (K1 + 1.0) / (frequency + norm))
            })
            .collect()
    }
}

/// Words for what a method does to the resource its path names.
fn action_words(method: &str, path: &str) -> &'static str {
    let on_one = path.trim_end_matches('/').ends_with('}');
    match method {
        "GET" if on_one => "get show view read detail",
        "GET" => "list search find show browse",
        "POST" => "create add new",
        "PUT" | "PATCH" => "update change edit modify",
        "DELETE" => "delete remove",
        _ => "",
    }
}

fn is_time_word(word: &str) -> bool {
    TIME_WORDS.contains(&word)
        || word
            .strip_suffix("am")
            .or_else(|| word.strip_suffix("pm"))
            .is_some_and(|hour| !hour.is_empty() && hour.bytes().all(|b| b.is_ascii_digit() || b == b':'))
}

/// The stems of `text`'s words: split at non-alphanumerics and at lower-to-upper case changes,
/// lower-cased, single letters dropped, at most `limit` words. Stop words give no stem of their
/// own, but with `compounds` each pair of adjacent words also gives the stem of the two joined
/// (`check_in` gives `check` and `checkin`), so a compound may be written either way.
fn stems(stemmer: &Stemmer, text: &str, limit: usize, compounds: bool) -> Vec<String> {
    let words: Vec<String> = words(text).filter(|word| word.len() > 1).take(limit).collect();
    let mut out: Vec<String> = words
        .iter()
        .filter(|word| !STOP_WORDS.contains(&word.as_str()))
        .map(|word| stemmer.stem(word).into_owned())
        .collect();
    if compounds {
        out.extend(words.windows(2).map(|pair| stemmer.stem(&format!("{}{}", pair[0], pair[1])).into_owned()));
    }
    out
}

/// The lower-cased words of `text`, split at non-alphanumerics and camel-case humps.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).flat_map(|chunk| {
        let mut parts = Vec::new();
        let mut current = String::new();
        let mut previous_lower = false;
        for c in chunk.chars() {
            if c.is_uppercase() && previous_lower && !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
            current.extend(c.to_lowercase());
        }
        if !current.is_empty() {
            parts.push(current);
        }
        parts
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool<'a>(name: &'a str, method: &'a str, path: &'a str, description: &'a str) -> ToolText<'a> {
        ToolText { name, title: None, description, tags: &[], method, path, fields: "" }
    }

    fn index() -> SearchIndex {
        SearchIndex::new([
            tool(
                "list_stargazers_for_repo",
                "GET",
                "/repos/{owner}/{repo}/stargazers",
                "Lists the people that have starred the repository.",
            ),
            tool("list_patients", "GET", "/patients", "List patients"),
            tool(
                "update_individual_appointment",
                "PATCH",
                "/individual_appointments/{id}",
                "Update an individual appointment",
            ),
            tool(
                "check_in_reservation",
                "POST",
                "/hotels/{hotelId}/reservations/{id}/checkIn",
                "Check in a reservation",
            ),
            tool("delete_patient", "DELETE", "/patients/{id}", "Delete a patient"),
        ])
    }

    #[test]
    fn words_split_at_case_and_punctuation() {
        let words: Vec<String> = words("listStargazersForRepo /repos/{owner} HTTPServer v2").collect();
        assert_eq!(words, ["list", "stargazers", "for", "repo", "repos", "owner", "httpserver", "v2"]);
    }

    #[test]
    fn the_words_people_use_find_the_operation() {
        let index = index();
        assert_eq!(index.search("who starred this repo", 1), [0]);
        assert_eq!(index.search("move Mrs Smith's 3pm to Thursday", 1), [2]);
        assert_eq!(index.search("checkin the guest", 1), [3]);
        assert_eq!(index.search("remove a patient", 1), [4]);
        assert_eq!(index.search("find a patient", 1), [1]);
    }

    #[test]
    fn results_are_limited_and_nothing_matches_nothing() {
        let index = index();
        assert!(index.search("patients", 1).len() == 1);
        assert!(index.search("zebra quantum", 5).is_empty());
        assert!(index.search("", 5).is_empty());
        assert!(SearchIndex::new([]).search("anything", 5).is_empty());
    }

    #[test]
    fn time_words_include_clock_times() {
        assert!(is_time_word("3pm") && is_time_word("10:30am") && is_time_word("thursday"));
        assert!(!is_time_word("am") && !is_time_word("spam") && !is_time_word("pm2"));
    }
}
