//! `cargo xtask tidy`, also run as a plain `#[test]`: checks the style guide can verify
//! mechanically. Files over 800 lines, `#[ignore]`d tests, and public `get_` functions (other
//! than std-style `get_mut`, `get_or_*`) fail.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

/// The line cap for any Rust file.
const MAX_LINES: usize = 800;

pub fn run(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        bail!("usage: cargo xtask tidy");
    }
    let problems = check(&crate::root());
    if problems.is_empty() {
        println!("tidy: ok");
        return Ok(());
    }
    for p in &problems {
        eprintln!("tidy: {p}");
    }
    bail!("tidy found {} problem(s)", problems.len())
}

/// Every problem in the workspace's Rust files, one line each.
pub fn check(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    collect(root, &mut files);
    files.sort();
    let ignore_attr = concat!("#[", "ignore");
    let mut problems = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let shown = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        let lines = text.lines().count();
        if lines > MAX_LINES {
            problems.push(format!(
                "{shown}: {lines} lines (cap {MAX_LINES}); split it by concern"
            ));
        }
        for (i, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if code.starts_with(ignore_attr) {
                problems.push(format!("{shown}:{}: #[ignore]: tests never skip", i + 1));
            }
            if is_pub_getter(code) {
                problems.push(format!(
                    "{shown}:{}: `get_` fn: getters are bare (`fn topic(&self)`)",
                    i + 1
                ));
            }
        }
    }
    problems
}

fn is_pub_getter(code: &str) -> bool {
    let Some(rest) = code.strip_prefix("pub") else {
        return false;
    };
    // `pub fn`, `pub(crate) fn`, `pub async fn`, `pub const fn`, ...
    let rest = rest.strip_prefix("(crate)").unwrap_or(rest);
    let mut words = rest.split_whitespace();
    let fn_name = loop {
        match words.next() {
            Some("fn") => break words.next(),
            Some("async" | "const" | "unsafe" | "extern" | "\"C\"") => continue,
            _ => return false,
        }
    };
    fn_name
        .is_some_and(|n| n.starts_with("get_") && !STD_GET_NAMES.iter().any(|ok| n.starts_with(ok)))
}

/// `get_` names with std precedent (`get_mut`, `Option::get_or_insert`, `OnceLock::get_or_init`):
/// the Rust API Guidelines' getter rule allows them, and they are not Java-style getters.
const STD_GET_NAMES: &[&str] = &["get_mut", "get_ref", "get_unchecked", "get_or_"];

/// Rust files under `dir`, skipping build output, VCS data and hidden folders.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !(name.starts_with('.') || name == "target" || name.starts_with("target-")) {
                collect(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_is_tidy() {
        let problems = check(&crate::root());
        assert!(
            problems.is_empty(),
            "run `cargo xtask tidy`:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn getter_detection_covers_visibility_and_qualifiers() {
        assert!(is_pub_getter("pub fn get_topic(&self) -> &str {"));
        assert!(is_pub_getter("pub(crate) async fn get_route(&self) {"));
        assert!(!is_pub_getter("pub fn get(&self, key: &str) {"));
        assert!(!is_pub_getter(
            "pub fn get_or_create(config: Config) -> Result<Self> {"
        ));
        assert!(!is_pub_getter("pub fn get_mut(&mut self) -> &mut T {"));
        assert!(!is_pub_getter("fn get_private(&self) {"));
        assert!(!is_pub_getter("pub struct get_x;"));
    }
}
