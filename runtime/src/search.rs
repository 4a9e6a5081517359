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

use std::borrow::Cow;
use std::collections::BTreeMap;

use rust_stemmers::{Algorithm, Stemmer};

/// BM25 term-frequency saturation.
const K1: f32 = 1.2;
/// How much each literal path segment after the first lowers a tool's prior.
const DEPTH_PENALTY: f32 = 0.05;
/// How much a tool's share of the query's concepts scales its score.
const COVERAGE_EXPONENT: f32 = 0.5;
/// How much a capitalised word after the first counts: mostly a value, such as a name.
const NAME_WEIGHT: f32 = 0.3;
/// Weight of a synonym's match relative to the word itself.
const SYNONYM_WEIGHT: f32 = 0.6;
/// Weight of a match on a longer word the query word begins.
const PREFIX_WEIGHT: f32 = 0.5;
/// The shortest query stem that matches longer words by prefix.
const MIN_PREFIX_LEN: usize = 4;
/// Words of a description that are indexed: the first ones say what the operation does.
const MAX_DESCRIPTION_WORDS: usize = 80;
/// Enum values of one input that are indexed.
const MAX_ENUM_WORDS: usize = 20;

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
    /// Its input words, as [`input_words`] gives them.
    pub fields: &'a str,
}

/// The words of a tool's input schema that say what it does: its properties' names and the
/// values their enums allow (`event: APPROVE | REQUEST_CHANGES | COMMENT`), space-separated.
pub fn input_words(schema: &serde_json::Value) -> String {
    let Some(properties) = schema.get("properties").and_then(serde_json::Value::as_object) else {
        return String::new();
    };
    let mut words: Vec<&str> = Vec::new();
    for (name, property) in properties {
        words.push(name);
        let values = property.get("enum").and_then(serde_json::Value::as_array).into_iter().flatten();
        words.extend(values.filter_map(serde_json::Value::as_str).take(MAX_ENUM_WORDS));
    }
    words.join(" ")
}

/// Fields of a tool document.
#[derive(Clone, Copy)]
enum Field {
    Name,
    Title,
    Tags,
    Resource,
    Path,
    Action,
    Description,
    Inputs,
}

/// The number of [`Field`]s.
const FIELDS: usize = 8;

impl Field {
    /// How much a word in this field counts.
    fn weight(self) -> f32 {
        match self {
            Field::Name | Field::Resource => 3.0,
            Field::Title => 2.5,
            Field::Action => 2.0,
            Field::Tags => 1.5,
            Field::Path => 1.0,
            Field::Description => 1.0,
            Field::Inputs => 0.3,
        }
    }

    /// How much the field's length discounts its words (BM25F's `b`): a word says more in a
    /// short name than in a long one (`patients` is about patients, `patient_attachments` less).
    fn length_discount(self) -> f32 {
        match self {
            Field::Resource => 1.0,
            Field::Name | Field::Title | Field::Description | Field::Inputs => 0.75,
            Field::Path | Field::Tags => 0.5,
            Field::Action => 0.0,
        }
    }
}

/// The least inverse document frequency of a concept that names an action (one of the first
/// [`ACTION_GROUPS`] synonym groups): action words are in most tools, yet they tell a tool that
/// lists from one that creates or deletes the same thing.
const ACTION_IDF: f32 = 4.5;
/// How many of the first [`SYNONYMS`] groups name actions.
const ACTION_GROUPS: usize = 4;

/// Words too common in task phrasings to tell tools apart.
const STOP_WORDS: &[&str] = &[
    "a", "about", "all", "an", "and", "any", "are", "as", "at", "be", "by", "can", "could", "do", "does", "for",
    "from", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our",
    "please", "s", "so", "some", "that", "the", "their", "them", "then", "there", "these", "this", "those", "to", "up",
    "next", "us", "want", "was", "we", "what", "when", "where", "which", "will", "with", "would", "you", "your",
];

/// Groups of words that name the same action or object in API tasks. A query word matches the
/// other words of each group it is in, at [`SYNONYM_WEIGHT`].
const SYNONYMS: &[&[&str]] = &[
    // Actions.
    &["find", "search", "look", "lookup", "list", "show", "get", "fetch", "retrieve", "see", "view", "browse", "query"],
    &[
        "create", "add", "new", "make", "register", "open", "start", "insert", "book", "schedule", "assign", "give",
        "publish",
    ],
    &[
        "update",
        "change",
        "edit",
        "modify",
        "move",
        "reschedule",
        "rename",
        "adjust",
        "amend",
        "patch",
        "replace",
        "push",
        "postpone",
        "delay",
        "shift",
    ],
    &["delete", "remove", "drop", "erase", "destroy", "purge", "discard", "undo", "revert", "reverse"],
    &["cancel", "cancellation", "void", "abort", "revoke", "calloff"],
    &["send", "deliver", "dispatch", "notify", "invite"],
    &["count", "number", "total", "statistics", "stats", "summary"],
    &["upload", "attach", "attachment", "document"],
    &["import", "bring", "transfer", "port"],
    &["batch", "bulk", "mass", "multiple", "many"],
    &["concurrency", "concurrent", "simultaneous", "parallel", "sametime"],
    &["upcoming", "future", "coming"],
    &["upgrade", "upsell"],
    &["download", "export"],
    &["archive", "hide", "deactivate", "disable"],
    &["inactive", "former", "deactivated", "nolonger"],
    &["hours", "workinghours", "openinghours", "availability", "schedule"],
    &["restore", "unarchive", "reactivate", "enable", "recover"],
    &["merge", "combine", "join"],
    &["copy", "duplicate", "clone"],
    &["approve", "accept", "confirm"],
    &["reject", "decline", "deny", "refuse", "turndown"],
    &["absent", "absence", "noshow", "showup", "missed"],
    // Scheduling and hospitality.
    &[
        "book",
        "booking",
        "reserve",
        "reservation",
        "appointment",
        "schedule",
        "visit",
        "session",
        "meeting",
        "consultation",
        "class",
    ],
    &["attendee", "participant", "guest", "invitee"],
    &["conflict", "clash", "overlap", "double", "doublebook"],
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
    &["mr", "mrs", "ms", "person", "patient", "client", "customer"],
    &["team", "organization", "organisation", "org", "company", "group"],
    &["time", "date", "hour", "day", "tomorrow", "today", "morning", "afternoon", "week"],
    // Money.
    &["invoice", "bill", "billing", "charge", "payment", "pay", "paid", "card", "creditcard"],
    &["refund", "reimburse", "chargeback"],
    &["subscription", "plan", "recurring", "membership"],
    &["discount", "coupon", "promotion", "promo", "voucher"],
    &["balance", "funds", "owe", "owing", "outstanding"],
    // Communication.
    &["message", "text", "sms", "chat", "communication"],
    &["email", "mail", "inbox"],
    &["phone", "call", "dial", "telephone", "phoned", "communication"],
    &["note", "comment", "memo", "remark"],
    &["webhook", "callback", "hook", "notification", "notified", "event"],
    &["agent", "bot", "assistant"],
    &["voice", "speech", "audio"],
    &["transcript", "recording"],
    // Source hosting.
    &["repo", "repository", "project"],
    &["star", "stargazer", "starred", "favorite", "favourite", "like"],
    &["issue", "ticket", "bug", "report", "problem"],
    &["pull", "pr", "pullrequest"],
    &["branch", "ref"],
    &["follow", "follower", "watch", "watcher", "subscribe"],
    &["release", "version", "tag", "publish"],
    &["label", "tag", "categorize", "categorise"],
    &["ask", "request", "require"],
    &["fork", "copy"],
    &["permission", "access", "role", "collaborator", "grant"],
    &["secret", "key", "token", "credential"],
    // Records.
    &["detail", "details", "info", "information", "profile", "record"],
    &["history", "log", "activity", "audit"],
    &["address", "street", "city", "postcode", "zip"],
    &["setting", "settings", "preference", "config", "configuration"],
];

/// Words that make a phrasal verb with the word before them (`check in`, `show up`).
const PARTICLES: &[&str] = &["in", "up", "out", "down", "on", "off", "over", "back"];

/// First words of a question, which asks to read.
const QUESTION_WORDS: &[&str] = &[
    "what", "which", "who", "whose", "when", "where", "is", "are", "was", "has", "have", "does", "do", "did", "how",
    "any",
];

/// Verbs that, first in a task, say it writes (`comment on the issue`, `star the repo`).
const WRITE_VERBS: &[&str] = &[
    "comment",
    "star",
    "fork",
    "tag",
    "label",
    "lock",
    "unlock",
    "mark",
    "charge",
    "refund",
    "pay",
    "approve",
    "reject",
    "decline",
    "confirm",
    "merge",
    "send",
    "upload",
    "invite",
    "archive",
    "restore",
    "import",
    "verify",
    "reserve",
    "hold",
    "block",
    "subscribe",
    "follow",
    "watch",
    "unstar",
    "note",
    "attach",
    "link",
    "enable",
    "disable",
];

/// The actions a writing verb implies.
const WRITE_ACTIONS: &str = "create update change";

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
    "next",
    "tonight",
    "pm",
    "noon",
    "oclock",
    "morning",
    "afternoon",
    "evening",
];

/// Words a time word adds to the query.
const TIME_EXPANSION: &[&str] = &["appointment", "booking", "reservation"];

/// A search index over a server's tools.
pub struct SearchIndex {
    /// By stem: each tool that has it, with its length-normalised, field-weighted frequency.
    postings: BTreeMap<String, Vec<(u32, f32)>>,
    /// The number of tools.
    tools: usize,
    /// Each tool's prior: general operations (short paths) before specific ones.
    priors: Vec<f32>,
    /// Stemmed synonym groups, the [`ACTION_GROUPS`] first.
    synonyms: Vec<Vec<String>>,
    /// Stems of [`TIME_EXPANSION`].
    time_stems: Vec<String>,
    /// Stems of [`WRITE_ACTIONS`].
    write_stems: Vec<String>,
    stemmer: Stemmer,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("tools", &self.tools).field("stems", &self.postings.len()).finish()
    }
}

/// One concept of a query: the terms that stand for it, with their weights, the word itself first.
struct Concept<'s> {
    terms: Vec<(Cow<'s, str>, f32)>,
    /// How many of the query's concepts a tool that has this one covers: 1 for a word, 2 for a
    /// joined pair of words (which covers both).
    covers: u16,
    /// How much the concept counts ([`NAME_WEIGHT`] for a name).
    scale: f32,
    /// The least inverse document frequency the concept is given.
    least_idf: f32,
}

/// The stems of one tool's fields.
type FieldStems = [Vec<String>; FIELDS];

impl SearchIndex {
    /// Indexes `tools`; search results are positions in this sequence.
    pub fn new<'a>(tools: impl IntoIterator<Item = ToolText<'a>>) -> Self {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut priors = Vec::new();
        let documents: Vec<FieldStems> = tools
            .into_iter()
            .map(|tool| {
                priors.push(1.0 / (1.0 + DEPTH_PENALTY * literal_segments(tool.path).saturating_sub(1) as f32));
                field_stems(&stemmer, &tool)
            })
            .collect();
        let mut averages = [0.0f32; FIELDS];
        for document in &documents {
            for (average, stems) in averages.iter_mut().zip(document) {
                *average += stems.len() as f32;
            }
        }
        for average in &mut averages {
            *average = (*average / documents.len().max(1) as f32).max(1.0);
        }
        let fields = [
            Field::Name,
            Field::Title,
            Field::Tags,
            Field::Resource,
            Field::Path,
            Field::Action,
            Field::Description,
            Field::Inputs,
        ];
        let mut postings: BTreeMap<String, Vec<(u32, f32)>> = BTreeMap::new();
        for (index, document) in documents.iter().enumerate() {
            let mut frequencies: BTreeMap<&str, f32> = BTreeMap::new();
            for ((field, stems), average) in fields.iter().zip(document).zip(averages) {
                let b = field.length_discount();
                let norm = 1.0 - b + b * stems.len() as f32 / average;
                for stem in stems {
                    *frequencies.entry(stem).or_insert(0.0) += field.weight() / norm;
                }
            }
            let document = u32::try_from(index).unwrap_or(u32::MAX);
            for (stem, frequency) in frequencies {
                postings.entry(stem.to_string()).or_default().push((document, frequency));
            }
        }
        let synonyms = SYNONYMS
            .iter()
            .map(|group| group.iter().flat_map(|word| stems(&stemmer, word, 4, true)).collect())
            .collect();
        let time_stems = TIME_EXPANSION.iter().flat_map(|word| stems(&stemmer, word, 1, false)).collect();
        let write_stems = stems(&stemmer, WRITE_ACTIONS, usize::MAX, false);
        Self { postings, tools: documents.len(), priors, synonyms, time_stems, write_stems, stemmer }
    }

    /// The positions of the tools that best match `query`, best first, at most `limit`.
    ///
    /// Each query word is a concept: the word itself, its synonyms and the longer words it
    /// begins, each at its weight. A tool scores, per concept, its best term's BM25 frequency
    /// part times the concept's inverse document frequency, where tools that only have a
    /// synonym count as partly having the word: a word whose synonyms are everywhere tells
    /// little, and a rare synonym does not outweigh the common word the user said.
    pub fn search(&self, query: &str, limit: usize) -> Vec<usize> {
        let concepts = self.concepts(query);
        let mut scores = vec![0.0f32; self.tools];
        let mut matched_concepts = vec![0u16; self.tools];
        let mut best = vec![0.0f32; self.tools];
        for concept in &concepts {
            self.concept_scores(concept, &mut best);
            for ((total, count), score) in scores.iter_mut().zip(&mut matched_concepts).zip(&best) {
                *total += score;
                if *score > 0.0 {
                    *count += concept.covers;
                }
            }
        }
        // A tool that has more of the task's concepts is the likelier one.
        let counted = concepts.iter().filter(|concept| concept.covers == 1).count().max(1) as f32;
        for ((score, count), prior) in scores.iter_mut().zip(&matched_concepts).zip(&self.priors) {
            *score *= prior * (f32::from(*count) / counted).min(1.0).powf(COVERAGE_EXPONENT);
        }
        let mut ranked: Vec<(usize, f32)> = scores.into_iter().enumerate().filter(|(_, score)| *score > 0.0).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.into_iter().take(limit).map(|(document, _)| document).collect()
    }

    /// What each of `query`'s concepts adds to the score of the tool at `position`, named by its
    /// first term, before coverage and prior: for tuning the index and its thesaurus.
    pub fn explain(&self, query: &str, position: usize) -> Vec<(String, f32)> {
        let mut scores = vec![0.0f32; self.tools];
        self.concepts(query)
            .iter()
            .map(|concept| {
                self.concept_scores(concept, &mut scores);
                let name = concept.terms.first().map_or("", |(term, _)| term).to_string();
                (name, scores.get(position).copied().unwrap_or(0.0))
            })
            .collect()
    }

    /// The concepts of `query`: each word (times left out) and each pair of words joined, with
    /// their expansions; an appointment concept when the query names a time; and a reading
    /// concept when it is a question, or a writing concept when it starts with a verb that
    /// writes.
    fn concepts<'s>(&'s self, query: &str) -> Vec<Concept<'s>> {
        let plain = |word: &str| word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
        let what: Vec<&str> = query.split_whitespace().filter(|word| !is_time_word(&plain(word))).collect();
        let what = what.join(" ");
        let mut words: Vec<(String, bool)> = stems(&self.stemmer, &what, 64, false)
            .into_iter()
            .map(|word| (word, true))
            .chain(compounds(&self.stemmer, &what, 64).into_iter().map(|word| (word, false)))
            .collect();
        words.sort_unstable();
        words.dedup_by(|a, b| a.0 == b.0);
        // Capitalised words after the first are mostly values (`Smith`, `Google`), not what the
        // task does: they count for less.
        let names: Vec<String> = query
            .split_whitespace()
            .skip(1)
            .filter(|word| word.chars().next().is_some_and(char::is_uppercase) && word.chars().any(char::is_lowercase))
            .flat_map(|word| stems(&self.stemmer, word, 1, false))
            .collect();
        let mut concepts: Vec<Concept<'s>> = words
            .into_iter()
            .map(|(word, prefixes)| {
                let least_idf = self.least_idf(&word);
                let scale = if names.contains(&word) { NAME_WEIGHT } else { 1.0 };
                let covers = if prefixes { 1 } else { 2 };
                Concept { terms: self.expansions(&word, prefixes), least_idf, covers, scale }
            })
            .collect();
        if query.split_whitespace().any(|word| is_time_word(&plain(word))) {
            let terms = self.time_stems.iter().map(|word| (word.clone().into(), SYNONYM_WEIGHT)).collect();
            concepts.push(Concept { terms, least_idf: 0.0, covers: 1, scale: 1.0 });
        }
        let first = query.split_whitespace().map(plain).find(|word| !word.is_empty()).unwrap_or_default();
        let implied = if QUESTION_WORDS.contains(&first.as_str()) {
            self.synonyms.first()
        } else if WRITE_VERBS.contains(&first.as_str()) {
            Some(&self.write_stems)
        } else {
            None
        };
        if let Some(actions) = implied {
            let terms = actions.iter().map(|word| (word.as_str().into(), SYNONYM_WEIGHT)).collect();
            concepts.push(Concept { terms, least_idf: ACTION_IDF, covers: 1, scale: 1.0 });
        }
        concepts
    }

    /// Fills `scores` with `concept`'s score in each tool: its best term's BM25 frequency part
    /// times the concept's inverse document frequency.
    fn concept_scores(&self, concept: &Concept<'_>, scores: &mut [f32]) {
        scores.fill(0.0);
        for (term, weight) in &concept.terms {
            for &(document, frequency) in self.postings.get(term.as_ref()).map_or(&[][..], Vec::as_slice) {
                if let Some(entry) = scores.get_mut(document as usize) {
                    *entry = entry.max(weight * frequency * (K1 + 1.0) / (frequency + K1));
                }
            }
        }
        let matched = scores.iter().filter(|score| **score > 0.0).count() as f32;
        let exact = concept
            .terms
            .first()
            .and_then(|(term, _)| self.postings.get(term.as_ref()))
            .map_or(0.0, |p| p.len() as f32);
        let frequency = exact + SYNONYM_WEIGHT * (matched - exact).max(0.0);
        let idf = (1.0 + (self.tools as f32 - frequency + 0.5) / (frequency + 0.5)).ln().max(concept.least_idf);
        for score in scores.iter_mut() {
            *score *= idf * concept.scale;
        }
    }

    /// [`ACTION_IDF`] for a word that names an action, else 0.
    fn least_idf(&self, word: &str) -> f32 {
        let action = self.synonyms.iter().take(ACTION_GROUPS).any(|group| group.iter().any(|member| member == word));
        if action { ACTION_IDF } else { 0.0 }
    }

    /// The terms a query stem matches, with their weights: itself first, its synonyms and, with
    /// `prefixes`, the longer stems it begins.
    fn expansions<'s>(&'s self, word: &str, prefixes: bool) -> Vec<(Cow<'s, str>, f32)> {
        let mut terms: Vec<(Cow<'s, str>, f32)> = vec![(Cow::Owned(word.to_string()), 1.0)];
        let frequency = |term: &str| self.postings.get(term).map_or(0, Vec::len);
        for group in self.synonyms.iter().filter(|group| group.iter().any(|member| member == word)) {
            // Where the tools never say the user's word but say its synonym, the synonym is
            // simply their word for it and counts in full; where they say both, less.
            let most = group.iter().map(|member| frequency(member)).max().unwrap_or(0).max(frequency(word));
            let share = if most == 0 { 1.0 } else { frequency(word) as f32 / most as f32 };
            let weight = 1.0 - (1.0 - SYNONYM_WEIGHT) * share;
            terms.extend(group.iter().filter(|member| *member != word).map(|member| (member.as_str().into(), weight)));
        }
        if prefixes && word.len() >= MIN_PREFIX_LEN {
            let longer = self.postings.range::<str, _>((std::ops::Bound::Excluded(word), std::ops::Bound::Unbounded));
            terms.extend(
                longer
                    .map(|(stem, _)| stem)
                    .take_while(|stem| stem.starts_with(word))
                    .map(|stem| (stem.as_str().into(), PREFIX_WEIGHT)),
            );
        }
        terms
    }
}

/// The stems of each field of `tool`.
fn field_stems(stemmer: &Stemmer, tool: &ToolText<'_>) -> FieldStems {
    let tags: Vec<String> = tool.tags.iter().flat_map(|tag| stems(stemmer, tag, usize::MAX, true)).collect();
    [
        stems(stemmer, tool.name, usize::MAX, true),
        tool.title.map(|title| stems(stemmer, title, usize::MAX, false)).unwrap_or_default(),
        tags,
        stems(stemmer, resource(tool.path), usize::MAX, true),
        stems(stemmer, tool.path, usize::MAX, true),
        stems(stemmer, action_words(tool.method, tool.path), usize::MAX, false),
        stems(stemmer, tool.description, MAX_DESCRIPTION_WORDS, false),
        stems(stemmer, tool.fields, usize::MAX, false),
    ]
}

/// The literal segments of `path` that are not versions.
fn literal_segments(path: &str) -> usize {
    path.split('/').filter(|segment| !segment.is_empty() && !segment.starts_with('{') && !is_version(segment)).count()
}

fn is_version(segment: &str) -> bool {
    segment
        .strip_prefix(['v', 'V'])
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
}

/// What an operation acts on: the last literal segment of its path that is not a version
/// (`/repos/{owner}/{repo}/issues/{number}` acts on `issues`, `/bookings/{uid}/cancel` is `cancel`).
fn resource(path: &str) -> &str {
    path.split('/')
        .rev()
        .find(|segment| !segment.is_empty() && !segment.starts_with('{') && !is_version(segment))
        .unwrap_or("")
}

/// Words for what a method does to the resource its path names.
fn action_words(method: &str, path: &str) -> &'static str {
    let on_one = path.trim_end_matches('/').ends_with('}');
    match method {
        "GET" if on_one => "get show view read detail",
        "GET" => "list search find show browse",
        "POST" if on_one => "update change edit modify",
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
/// lower-cased, single letters and stop words dropped, at most `limit` words. With `compounds`,
/// the [`compounds`] follow.
fn stems(stemmer: &Stemmer, text: &str, limit: usize, compounds: bool) -> Vec<String> {
    let words: Vec<String> = words(text).filter(|word| word.len() > 1).take(limit).collect();
    let mut out: Vec<String> = words
        .iter()
        .filter(|word| !STOP_WORDS.contains(&word.as_str()))
        .map(|word| stemmer.stem(word).into_owned())
        .collect();
    if compounds {
        out.extend(joined_pairs(stemmer, &words));
    }
    out
}

/// The stems of each pair of adjacent words of `text` joined, where neither is a stop word or the
/// second is a particle: `check_in` gives `checkin`, so a compound may be written either way.
fn compounds(stemmer: &Stemmer, text: &str, limit: usize) -> Vec<String> {
    let words: Vec<String> = words(text).filter(|word| word.len() > 1).take(limit).collect();
    joined_pairs(stemmer, &words)
}

fn joined_pairs(stemmer: &Stemmer, words: &[String]) -> Vec<String> {
    let stop = |word: &String| STOP_WORDS.contains(&word.as_str());
    words
        .windows(2)
        .filter(|pair| !stop(&pair[0]) && (!stop(&pair[1]) || PARTICLES.contains(&pair[1].as_str())))
        .map(|pair| stemmer.stem(&format!("{}{}", pair[0], pair[1])).into_owned())
        .collect()
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
