//! `cargo xtask deps` (also a CI step): the library crates stay lean. For each library it runs
//! `cargo tree -p <crate> -e normal --prefix none`, prints how many distinct packages the
//! crate pulls into a user's build, and fails when one of them is a CLI-only dependency
//! (those belong to `rmq-tools`). The crates with a `metrics` feature are checked with it on
//! too: it may add the `metrics` facade, never an exporter or a recorder (the application
//! picks those). Each library is also resolved with `--no-default-features`: that minimal tree
//! must hold no TLS and no compression codec (the features remove them), and it must build:
//! `cargo check --no-default-features` per library and `cargo test -p rmq-protocol
//! --no-default-features` (the codec-off error paths).

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

/// What the `tls`, `zlib`, `lz4` and `zstd` features add: absent from every minimal tree.
const FEATURE_GATED: &[&str] = &[
    "rustls",
    "tokio-rustls",
    "webpki-roots",
    "flate2",
    "lz4_flex",
    "zstd",
    "ruzstd",
];

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
        self.named(CLI_ONLY)
    }

    /// The TLS and codec packages in the tree, by name: none may be in a minimal tree.
    pub fn feature_gated(&self) -> Vec<&str> {
        self.named(FEATURE_GATED)
    }

    /// The packages in the tree whose name is one of `names`.
    fn named(&self, names: &[&str]) -> Vec<&str> {
        self.packages
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| names.contains(name))
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

/// Which features a tree or build is resolved with.
#[derive(Debug, Clone, Copy)]
enum Features {
    /// The crate's defaults.
    Default,
    /// None at all (`--no-default-features`).
    Minimal,
    /// The defaults plus these.
    With(&'static str),
}

impl Features {
    /// The cargo arguments that select them.
    fn args(self) -> Vec<&'static str> {
        match self {
            Features::Default => Vec::new(),
            Features::Minimal => vec!["--no-default-features"],
            Features::With(features) => vec!["--features", features],
        }
    }
}

/// The normal dependency tree of `krate` with `features`.
fn tree(krate: &str, features: Features) -> Result<Tree> {
    let mut cmd = crate::cargo();
    cmd.args(["tree", "-p", krate, "-e", "normal", "--prefix", "none"]);
    cmd.args(features.args());
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

/// Prints each library's dependency count, default and minimal; fails naming every library
/// with a CLI dependency, a metrics recorder, or TLS or a codec left in its minimal tree, then
/// builds the minimal libraries and runs rmq-protocol's tests without its codecs.
pub fn run(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        bail!("usage: cargo xtask deps");
    }
    let mut offenders = Vec::new();
    for krate in LIBRARIES {
        let minimal = tree(krate, Features::Minimal)?;
        let tree = tree(krate, Features::Default)?;
        let cli = tree.cli_only();
        println!(
            "{krate:<22} {:>4} packages, {:>4} with --no-default-features",
            tree.packages.len(),
            minimal.packages.len()
        );
        if !cli.is_empty() {
            offenders.push(format!("{krate} pulls {}", cli.join(", ")));
        }
        let gated = minimal.feature_gated();
        if !gated.is_empty() {
            offenders.push(format!(
                "{krate} with --no-default-features still pulls {} (make it optional, \
                 behind the tls/zlib/lz4/zstd features)",
                gated.join(", ")
            ));
        }
    }
    for krate in WITH_METRICS {
        let tree = tree(krate, Features::With("metrics"))?;
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
            "library crates pull CLI-only dependencies (move the tool to rmq-tools), metrics \
             recorders (leave them to the application) or TLS and codecs they cannot leave \
             out: {}",
            offenders.join("; ")
        );
    }
    build_minimal()
}

/// Each library builds with `--no-default-features`, and rmq-protocol's tests pass without
/// its codecs (a codec left out is a typed error, never a panic).
fn build_minimal() -> Result<()> {
    for krate in LIBRARIES {
        crate::run_cmd(
            crate::cargo()
                .args(["check", "-p", krate])
                .args(Features::Minimal.args()),
        )?;
    }
    crate::run_cmd(
        crate::cargo()
            .args(["test", "-p", "rmq-protocol"])
            .args(Features::Minimal.args()),
    )
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
    fn finds_tls_and_codecs_left_in_a_tree() {
        let text = format!(
            "{TREE}rustls v0.23.31\nflate2 v1.1.2\nzstd v0.13.3\nzstd-sys v2.0.15\nruzstd v0.7.3\n"
        );
        let tree = Tree::parse("rmq-client-admin", &text);
        assert_eq!(tree.feature_gated(), ["flate2", "rustls", "ruzstd", "zstd"]);
        assert!(Tree::parse("rmq-client-admin", TREE)
            .feature_gated()
            .is_empty());
    }

    #[test]
    fn minimal_features_disable_the_defaults() {
        assert_eq!(Features::Minimal.args(), ["--no-default-features"]);
        assert!(Features::Default.args().is_empty());
        assert_eq!(Features::With("metrics").args(), ["--features", "metrics"]);
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
