//! The record of what mcpgen wrote into an output folder, `.mcpgen-manifest`: every path with the
//! SHA-256 of the contents it wrote there. A regeneration removes only files listed in it, leaves
//! files edited by hand since (unless forced), and never touches anything else in the folder: a
//! `.git/`, `target/`, `.env` or a user's notes.
//!
//! This module only decides; the command line carries the plan out.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// The manifest's file name in the output folder.
pub const FILE_NAME: &str = ".mcpgen-manifest";

const HEADER: &str = "# Files mcpgen wrote here, with the SHA-256 of what it wrote. mcpgen removes or overwrites only\n# these, and leaves them when they were edited by hand. Do not edit.\n";

/// What mcpgen wrote into an output folder: path (relative, `/`-separated) to SHA-256 in hex.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// Written files and the hashes of their contents.
    pub files: BTreeMap<String, String>,
}

impl Manifest {
    /// The manifest of `files` as mcpgen writes them.
    pub fn of(files: &BTreeMap<String, String>) -> Self {
        Self { files: files.iter().map(|(path, text)| (path.clone(), digest(text.as_bytes()))).collect() }
    }

    /// Reads a manifest; lines are `<sha256>  <path>`, `#` starts a comment.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut files = BTreeMap::new();
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            match line.split_once("  ") {
                Some((hash, path)) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    files.insert(path.to_string(), hash.to_ascii_lowercase());
                }
                _ => return Err(format!("line {} is not `<sha256>  <path>`", number + 1)),
            }
        }
        Ok(Self { files })
    }

    /// The manifest as its file holds it.
    pub fn render(&self) -> String {
        let mut text = HEADER.to_string();
        for (path, hash) in &self.files {
            text.push_str(&format!("{hash}  {path}\n"));
        }
        text
    }
}

/// The SHA-256 of `bytes` in lower-case hex.
pub fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// What a regeneration does in an output folder.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Files to write (new, or changed by the generator).
    pub write: Vec<String>,
    /// Files mcpgen wrote before that the new output drops, unchanged since: removed.
    pub remove: Vec<String>,
    /// Files mcpgen wrote that were edited by hand since: left as they are.
    pub edited: Vec<String>,
    /// Files at paths the new output uses that mcpgen did not write: left as they are.
    pub foreign: Vec<String>,
    /// The manifest to record afterwards.
    pub manifest: Manifest,
}

/// Plans writing `files` into a folder whose previous manifest is `previous` (`None` for a folder
/// mcpgen generated before it kept manifests: its files are overwritten, nothing is removed).
/// `on_disk` reads a file of the folder. With `force`, edited and foreign files are overwritten and
/// edited files the output drops are removed.
pub fn plan(
    previous: Option<&Manifest>,
    on_disk: impl Fn(&str) -> Option<Vec<u8>>,
    files: &BTreeMap<String, String>,
    force: bool,
) -> Plan {
    let mut plan = Plan { manifest: Manifest::of(files), ..Plan::default() };
    for (path, text) in files {
        let Some(current) = on_disk(path) else {
            plan.write.push(path.clone());
            continue;
        };
        if current == text.as_bytes() {
            continue;
        }
        let recorded = previous.map(|manifest| manifest.files.get(path));
        match recorded {
            None => plan.write.push(path.clone()),
            Some(Some(hash)) if *hash == digest(&current) || force => plan.write.push(path.clone()),
            Some(Some(_)) => plan.edited.push(path.clone()),
            Some(None) if force => plan.write.push(path.clone()),
            Some(None) => {
                plan.foreign.push(path.clone());
                plan.manifest.files.remove(path);
            }
        }
    }
    for (path, hash) in previous.map(|manifest| &manifest.files).into_iter().flatten() {
        if files.contains_key(path) || !removable(path) {
            continue;
        }
        match on_disk(path) {
            None => {}
            Some(current) if digest(&current) == *hash || force => plan.remove.push(path.clone()),
            // Edited by hand and no longer generated: it is the user's now.
            Some(_) => plan.edited.push(path.clone()),
        }
    }
    plan
}

/// Whether a manifest path may be removed: relative, inside the folder, and never in `.git/`,
/// `target/` or `.env` (whatever a tampered manifest says).
fn removable(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && parts.iter().all(|part| !part.is_empty() && *part != "." && *part != "..")
        && !matches!(parts.first(), Some(&".git" | &"target" | &".env"))
        && parts.iter().rev().skip(1).all(|folder| !folder.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(path, text)| (path.to_string(), text.to_string())).collect()
    }

    #[test]
    fn a_manifest_reads_back_what_it_writes() {
        let manifest = Manifest::of(&files(&[("src/lib.rs", "x"), ("Cargo.toml", "y")]));
        assert_eq!(Manifest::parse(&manifest.render()).unwrap(), manifest);
        assert!(Manifest::parse("not a manifest").is_err());
    }

    #[test]
    fn only_unedited_files_of_the_manifest_are_removed() {
        let before = files(&[("a.rs", "a"), ("dropped.rs", "d"), ("edited.rs", "e"), ("dropped_edited.rs", "x")]);
        let previous = Manifest::of(&before);
        let disk = files(&[
            ("a.rs", "a"),
            ("dropped.rs", "d"),
            ("edited.rs", "e, changed by hand"),
            ("dropped_edited.rs", "x, changed by hand"),
            ("NOTES.md", "mine"),
            ("new.rs", "someone else's"),
        ]);
        let read = |path: &str| disk.get(path).map(|text| text.as_bytes().to_vec());
        let next = files(&[("a.rs", "a2"), ("edited.rs", "e2"), ("new.rs", "generated")]);
        let plan = plan(Some(&previous), read, &next, false);
        assert_eq!(plan.write, ["a.rs"]);
        assert_eq!(plan.remove, ["dropped.rs"]);
        assert_eq!(plan.edited, ["edited.rs", "dropped_edited.rs"]);
        assert_eq!(plan.foreign, ["new.rs"]);
        assert!(!plan.manifest.files.contains_key("new.rs"));

        let forced = super::plan(Some(&previous), read, &next, true);
        assert_eq!(forced.write, ["a.rs", "edited.rs", "new.rs"]);
        assert_eq!(forced.remove, ["dropped.rs", "dropped_edited.rs"]);
    }

    #[test]
    fn a_tampered_manifest_cannot_remove_what_is_not_generated() {
        for path in
            [".git/config", "target/debug/x", ".env", "../outside", "/etc/passwd", "a/../../b", "docs/.hidden/x"]
        {
            assert!(!removable(path), "{path}");
        }
        assert!(removable(".gitignore") && removable("src/tools/mod.rs") && removable("deploy/k8s/hpa.yaml"));
    }
}
