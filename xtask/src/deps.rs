//! `cargo xtask deps` (also a CI step): the library crates stay lean. For each library it runs
//! `cargo tree -p <crate> -e normal --prefix none`, prints how many distinct packages the
//! crate pulls into a user's build, and fails when one of them is a CLI-only dependency
//! (those belong to `rmq-tools`). The crates with a `metrics` feature are checked with it on
//! too: it may add the `metrics` facade, never an exporter or a recorder (the application
//! picks those).

use std::collections::BTreeSet;

use anyhow::{bail, Context, Result};

/// The crates a user depends on, whose normal dependencies are checked.
const LIBRARIES: &[&str] = &[
    "rmq-protocol",
    "rmq-remoting",
    "rmq-client-core",
    "rmq-client-producer",
    "rmq-client-consumer",
    "rmq-client-admin",
    "rmq-testkit",
];

/// Dependencies only the command-line tools need.
const CLI_ONLY: &[&str] = &["clap", "indicatif", "chrono", "tracing-subscriber"];

/// The libraries with a `metrics` feature.
const WITH_METRICS: &[&str] = &[
    "rmq-client-core",
    "rmq-client-producer",
    "rmq-client-consumer",
];

/// Name prefixes of what records or exports metrics: the application's choice, never a
/// library's dependency.
const RECORDERS: &[&str] = &["metrics-exporter-", "metrics-util"];

/// The normal dependencies of one crate, as `cargo tree` lists them.
#[derive(Debug, PartialEq, Eq)]
pub struct Tree {
    /// Distinct `(name, version)` packages other than the crate itself.
    pub packages: BTreeSet<(String, String)>,
}

impl Tree {
    /// Parses `cargo tree --prefix none` output: one `name vX.Y.Z [(path)] [(*)]` per line,
    /// the root first, repeats marked `(*)`. Lines that do not look like a package are skipped.
    pub fn parse(root: &str, text: &str) -> Tree {
        let packages = text
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let name = words.next()?;
                let version = words.next().filter(|v| v.starts_with('v'))?;
                Some((name.to_owned(), version.to_owned()))
            })
            .filter(|(name, _)| name != root)
            .collect();
        Tree { packages }
    }

    /// The CLI-only packages in the tree, by name.
    pub fn cli_only(&self) -> Vec<&str> {
        self.packages
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| CLI_ONLY.contains(name))
            .collect()
    }

    /// The metrics recorders and exporters in the tree, by name.
    pub fn recorders(&self) -> Vec<&str> {
        self.packages
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| RECORDERS.iter().any(|prefix| name.starts_with(prefix)))
            .collect()
    }
}

/// The normal dependency tree of `krate` with `features` on (none: its defaults).
fn tree(krate: &str, features: Option<&str>) -> Result<Tree> {
    let mut cmd = crate::cargo();
    cmd.args(["tree", "-p", krate, "-e", "normal", "--prefix", "none"]);
    if let Some(features) = features {
        cmd.args(["--features", features]);
    }
    let output = cmd
        .output()
        .with_context(|| format!("cannot run {}", crate::show(&cmd)))?;
    if !output.status.success() {
        bail!(
            "`{}` failed: {}",
            crate::show(&cmd),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(Tree::parse(krate, &String::from_utf8_lossy(&output.stdout)))
}

/// Prints each library's dependency count; fails naming every library with a CLI dependency.
pub fn run(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        bail!("usage: cargo xtask deps");
    }
    let mut offenders = Vec::new();
    for krate in LIBRARIES {
        let tree = tree(krate, None)?;
        let cli = tree.cli_only();
        println!("{krate:<22} {:>4} packages", tree.packages.len());
        if !cli.is_empty() {
            offenders.push(format!("{krate} pulls {}", cli.join(", ")));
        }
    }
    for krate in WITH_METRICS {
        let tree = tree(krate, Some("metrics"))?;
        let mut pulled = tree.cli_only();
        pulled.extend(tree.recorders());
        println!(
            "{krate:<22} {:>4} packages with `metrics`",
            tree.packages.len()
        );
        if !pulled.is_empty() {
            offenders.push(format!(
                "{krate} with `metrics` pulls {}",
                pulled.join(", ")
            ));
        }
    }
    if !offenders.is_empty() {
        bail!(
            "library crates pull CLI-only dependencies (move the tool to rmq-tools) or metrics \
             recorders (leave them to the application): {}",
            offenders.join("; ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = "\
rmq-client-admin v0.1.0 (/work/main/client-admin)
bytes v1.12.1
rmq-client-core v0.1.0 (/work/main/client-core)
bytes v1.12.1 (*)
serde v1.0.228
serde v1.0.228 (*)
";

    #[test]
    fn counts_distinct_packages_without_the_root() {
        let tree = Tree::parse("rmq-client-admin", TREE);
        let names: Vec<&str> = tree.packages.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["bytes", "rmq-client-core", "serde"]);
        assert!(tree.cli_only().is_empty());
    }

    #[test]
    fn finds_cli_only_dependencies() {
        let text = format!("{TREE}clap v4.5.0\nclap_builder v4.5.0\ntracing-subscriber v0.3.19\n");
        let tree = Tree::parse("rmq-client-admin", &text);
        assert_eq!(tree.cli_only(), ["clap", "tracing-subscriber"]);
        assert_eq!(tree.packages.len(), 6);
    }

    #[test]
    fn finds_metrics_recorders_but_not_the_facade() {
        let text = format!(
            "{TREE}metrics v0.24.6\nmetrics-exporter-prometheus v0.17.2\nmetrics-util v0.20.4\n"
        );
        let tree = Tree::parse("rmq-client-admin", &text);
        assert_eq!(
            tree.recorders(),
            ["metrics-exporter-prometheus", "metrics-util"]
        );
        assert!(Tree::parse("x", &format!("{TREE}metrics v0.24.6\n"))
            .recorders()
            .is_empty());
    }

    #[test]
    fn skips_lines_that_are_not_packages() {
        let tree = Tree::parse(
            "x",
            "\nwarning: something\nx v0.1.0\n[build-dependencies]\n",
        );
        assert!(tree.packages.is_empty());
    }
}
