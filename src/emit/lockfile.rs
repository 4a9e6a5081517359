//! The generated crate's `Cargo.lock`: the runtime's dependency set is the same for every crate, so
//! the lock is a template whose root package takes the crate's name, at the place Cargo sorts it
//! to, so that `cargo build --locked` accepts it and a plain `cargo build` leaves it unchanged.

/// The name the template's root package carries.
const PLACEHOLDER: &str = "__CRATE_NAME__";

const TEMPLATE: &str = include_str!("../../templates/Cargo.lock.tmpl");

/// `Cargo.lock` for a crate called `crate_name`.
pub fn lockfile(crate_name: &str) -> Result<String, String> {
    let mut blocks: Vec<String> = TEMPLATE.split("\n\n").map(str::to_string).collect();
    let root = blocks
        .iter()
        .position(|block| block.contains(&format!("name = \"{PLACEHOLDER}\"")))
        .ok_or("the Cargo.lock template has no root package")?;
    let root_block = blocks.remove(root).replace(PLACEHOLDER, crate_name);
    let position = blocks
        .iter()
        .position(|block| package_name(block).is_some_and(|name| name > crate_name))
        .unwrap_or(blocks.len());
    blocks.insert(position, root_block);
    Ok(blocks.join("\n\n"))
}

fn package_name(block: &str) -> Option<&str> {
    let rest = block.strip_prefix("[[package]]\nname = \"")?;
    rest.split('"').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_package_is_renamed_and_sorted() {
        let lock = lockfile("cliniko-mcp").unwrap();
        assert!(!lock.contains(PLACEHOLDER));
        let names: Vec<&str> = lock.split("\n\n").filter_map(package_name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert!(names.contains(&"cliniko-mcp"));
    }
}
