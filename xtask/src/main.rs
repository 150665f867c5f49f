//! `cargo xtask`: the workspace's automation (matklad's xtask pattern), one file per task.
//!
//! Run `cargo xtask help` for the commands. Everything here shells out to `$CARGO` and plain
//! Unix tools; the RocketMQ server management is the `rmq-test-servers` library, shared with `rmq-tests`.

mod bench;
mod ci;
mod cluster;
mod demo;
mod deps;
mod fuzz;
mod it;
mod tidy;

// The crates.io server management, shared with `rmq-tests` so that xtask's cluster and the
// tests' private clusters start the same binaries with the same config.
use rmq_test_servers as server;

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

const USAGE: &str = "\
usage: cargo xtask <command>

  ci [--from STEP]           fmt, clippy, tests, docs, benches (build), fuzz (nightly), integration
                             tests on the testkit and on the crates.io servers
  it [--real] [-- ARGS]      integration tests (`cargo test -p rmq-tests`) on the embedded testkit
                             cluster (--real: on the crates.io servers)
  demo [--real]              produce and consume end to end on an embedded rmq-testkit cluster
                             (NAMESRV_ADDR: that cluster; --real: the crates.io servers)
  deps                       each library crate's dependency count, default and minimal features;
                             fails if one pulls clap, indicatif, chrono or tracing-subscriber,
                             or if default-features = false leaves TLS or a codec in
  bench [ARGS..]             cargo bench --workspace [ARGS..], then the producer sink one-shot
  bench compare [OPTIONS]    our bench tools vs Java's (JAVA_BENCH_PRODUCER/_CONSUMER), A B A B on one
                             broker (default: embedded testkit); report in <target>/bench-report/
  fuzz [--keep] [--secs N]   fuzz a scratch copy of fuzz/corpus (nightly); --keep adds new inputs, cmin-minimized
  tidy                       source checks (file size, #[ignore], pub get_ fns)
  cluster up [--brokers N]   start a name server and N (1 or 2) brokers on 127.0.0.1
  cluster down               stop the cluster from the state file
  cluster status             show the cluster and whether it is alive
  cluster kill-broker NAME   SIGKILL one broker
  cluster restart-broker NAME
  help                       this text (also -h, --help, or no command)
";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = run(&args) {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn run(args: &[String]) -> Result<()> {
    let rest = args.get(1..).unwrap_or_default();
    match args.first().map(String::as_str) {
        Some("ci") => ci::run(rest),
        Some("it") => it::run(rest),
        Some("demo") => demo::run(rest),
        Some("deps") => deps::run(rest),
        Some("bench") => bench::run(rest),
        Some("fuzz") => fuzz::run(rest),
        Some("tidy") => tidy::run(rest),
        Some("cluster") => cluster::run(rest),
        None | Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command `{other}`\n{USAGE}"),
    }
}

/// The workspace root (xtask's manifest dir is `<root>/xtask`).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map_or(manifest.clone(), PathBuf::from)
}

/// `$CARGO` (the cargo running us), in the workspace root.
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// Runs `cmd`, echoing it, and fails when it exits non-zero.
pub fn run_cmd(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", show(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {}", show(cmd)))?;
    if !status.success() {
        bail!("`{}` failed: {status}", show(cmd));
    }
    Ok(())
}

/// The command line of `cmd`, for messages.
pub fn show(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().into_owned()];
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    let program = std::path::Path::new(&parts[0])
        .file_name()
        .map(|f| f.to_string_lossy().into_owned());
    if let Some(name) = program {
        parts[0] = name;
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::USAGE;

    /// The string literals of the `Some("..")` match arms in `source`'s `fn run` body.
    fn arms(source: &'static str) -> Vec<&'static str> {
        let start = source.find("fn run(").expect("has fn run");
        let body = &source[start..];
        let body = &body[..body.find("\n}\n").expect("fn run ends")];
        body.split("Some(\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect()
    }

    /// Whether USAGE has a line documenting `command` (`  command` then a space or the end).
    fn documented(command: &str) -> bool {
        USAGE.lines().any(|line| {
            line.strip_prefix("  ")
                .and_then(|l| l.strip_prefix(command))
                .is_some_and(|tail| tail.is_empty() || tail.starts_with(' '))
        })
    }

    #[test]
    fn every_command_is_in_usage() {
        let commands = arms(include_str!("main.rs"));
        assert!(commands.len() >= 8, "{commands:?}");
        for command in commands {
            assert!(documented(command), "`{command}` missing from USAGE");
        }
    }

    #[test]
    fn every_cluster_subcommand_is_in_usage() {
        let subcommands = arms(include_str!("cluster.rs"));
        assert!(subcommands.len() >= 5, "{subcommands:?}");
        for sub in subcommands {
            assert!(
                documented(&format!("cluster {sub}")),
                "`cluster {sub}` missing from USAGE"
            );
        }
    }

    #[test]
    fn documented_rejects_a_missing_command() {
        assert!(documented("tidy"));
        assert!(!documented("tid"));
        assert!(!documented("nosuch"));
    }
}
