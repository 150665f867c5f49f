//! The producer's modules depend on each other in one direction only: settings and ids at the
//! bottom, messages and errors next, the send path above them, the handles and builders on top.
//! This test reads the `use crate::` lines of `src/` and fails on any import circle, naming it
//! (the crate once had builder -> producer -> builder and error -> send -> error).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: `send.rs` -> `send`, `batching/flush.rs` ->
/// `batching`; `None` for the crate root and binaries.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "bin").then(|| name.to_owned())
}

/// The modules named by the `use crate::` lines of `text`: `use crate::a::B;` and
/// `use crate::{a, b::C};` give `a` (and `b`).
fn imports(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("use crate::") else {
            continue;
        };
        let items = match rest.strip_prefix('{') {
            Some(group) => group.split(',').map(str::trim).collect(),
            None => vec![rest],
        };
        for item in items {
            let name: String = item
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name.chars().next().is_some_and(char::is_lowercase) {
                found.insert(name);
            }
        }
    }
    found
}

/// A circle in `graph`, as the list of modules along it, if there is one.
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut circle = path[at..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file).expect("readable source");
        let edges = graph.entry(module.clone()).or_default();
        edges.extend(imports(&text).into_iter().filter(|m| *m != module));
    }
    assert!(graph.len() > 10, "read the modules: {graph:?}");
    assert!(
        graph["send"].contains("shared"),
        "read the imports: {graph:?}"
    );
    if let Some(circle) = find_circle(&graph) {
        panic!("import circle: {}", circle.join(" -> "));
    }
}

#[test]
fn a_circle_is_found_and_named() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("builder", vec!["producer"]),
        ("producer", vec!["settings", "builder"]),
        ("settings", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(
        find_circle(&graph),
        Some(vec!["builder".into(), "producer".into(), "builder".into()])
    );
    assert_eq!(
        imports("use crate::{error::Error, send};\n    use crate::id::MessageId;"),
        ["error", "id", "send"].map(String::from).into()
    );
}
