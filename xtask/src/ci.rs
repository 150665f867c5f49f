//! `cargo xtask ci`: everything CI checks, in order, stopping at the first failure.
//!
//! fmt, clippy, the library crates' dependencies (`deps`), unit/doc/vector tests, rustdoc, bench build, bounded fuzzing (when a nightly
//! toolchain is installed), then the integration tests twice: on the embedded `rmq-testkit`
//! cluster, and on the crates.io servers (a local cluster that is always torn down). `RMQ_FUZZ_SECS` (default 30) bounds each fuzz target.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::cluster::Session;

type Step = (&'static str, fn() -> Result<()>);

const STEPS: &[Step] = &[
    ("fmt", fmt),
    ("clippy", clippy),
    ("deps", deps),
    ("test", test),
    ("doc", doc),
    ("bench-build", bench_build),
    ("fuzz", fuzz),
    ("integration-testkit", integration_testkit),
    ("integration-real", integration_real),
];

pub fn run(args: &[String]) -> Result<()> {
    // `--from STEP` resumes a failed run locally; CI always runs every step.
    let first = match args {
        [] => 0,
        [flag, step] if flag == "--from" => STEPS
            .iter()
            .position(|(name, _)| name == step)
            .with_context(|| format!("no ci step `{step}`"))?,
        _ => bail!("usage: cargo xtask ci [--from STEP]"),
    };
    let total = Instant::now();
    let mut done: Vec<(&str, Duration, bool)> = Vec::new();
    for (i, (name, step)) in STEPS.iter().enumerate().skip(first) {
        eprintln!("\n==== [{}/{}] {name} ====", i + 1, STEPS.len());
        let started = Instant::now();
        let result = step();
        done.push((name, started.elapsed(), result.is_ok()));
        if let Err(e) = result {
            eprintln!("\n{}", summary(&done, total.elapsed()));
            return Err(e.context(format!("ci step `{name}` failed")));
        }
    }
    eprintln!("\n{}", summary(&done, total.elapsed()));
    Ok(())
}

fn summary(done: &[(&str, Duration, bool)], total: Duration) -> String {
    let steps: Vec<String> = done
        .iter()
        .map(|(name, took, ok)| {
            format!(
                "{name} {} {:.0?}",
                if *ok { "ok" } else { "FAILED" },
                round(*took)
            )
        })
        .collect();
    let verdict = if done.iter().all(|d| d.2) {
        "passed"
    } else {
        "FAILED"
    };
    format!("ci {verdict} in {:.0?}: {}", round(total), steps.join(", "))
}

fn round(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs_f64().round() as u64)
}

fn cargo(args: &[&str]) -> Result<()> {
    crate::run_cmd(crate::cargo().args(args))
}

fn fmt() -> Result<()> {
    cargo(&["fmt", "--all", "--", "--check"])
}

/// The library crates pull no CLI-only dependency, and `default-features = false` removes TLS
/// and every codec (checked and the protocol tests run without them); prints the counts.
fn deps() -> Result<()> {
    crate::deps::run(&[])
}

fn clippy() -> Result<()> {
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ])
}

/// Unit tests, doc tests, the golden-vector tests and the fuzz corpus replay.
fn test() -> Result<()> {
    cargo(&[
        "test",
        "--workspace",
        "--exclude",
        "rmq-tests",
        "--all-features",
    ])
}

fn doc() -> Result<()> {
    crate::run_cmd(
        crate::cargo()
            .args(["doc", "--workspace", "--no-deps"])
            .env("RUSTDOCFLAGS", "-Dwarnings"),
    )
}

fn bench_build() -> Result<()> {
    cargo(&["bench", "--workspace", "--no-run"])
}

/// Runs every `fuzz/fuzz_targets/*.rs` for `RMQ_FUZZ_SECS` seconds on a scratch copy of its
/// corpus under the target directory (see `fuzz.rs`); a crash fails the step, and no tracked
/// file changes.
fn fuzz() -> Result<()> {
    crate::fuzz::ci_step()
}

/// The integration suite against the embedded `rmq-testkit` cluster each test process starts.
fn integration_testkit() -> Result<()> {
    crate::it::run_tests(None, &[])
}

/// The same suite against the crates.io servers (installed on first use), always torn down.
fn integration_real() -> Result<()> {
    let session = Session::open(1)?;
    crate::it::run_tests(Some(&session.state), &[])
}
