//! `cargo xtask ci`: everything CI checks, in order, stopping at the first failure.
//!
//! fmt, clippy, unit/doc/vector tests, rustdoc, bench build, bounded fuzzing (when a nightly
//! toolchain is installed), then the integration tests against a local cluster, which is always
//! torn down. `RMQ_FUZZ_SECS` (default 30) bounds each fuzz target.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::cluster::Session;

type Step = (&'static str, fn() -> Result<()>);

const STEPS: &[Step] = &[
    ("fmt", fmt),
    ("clippy", clippy),
    ("test", test),
    ("doc", doc),
    ("bench-build", bench_build),
    ("fuzz", fuzz),
    ("integration", integration),
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

/// Runs every `fuzz/fuzz_targets/*.rs` for `RMQ_FUZZ_SECS` seconds; a crash fails the step.
fn fuzz() -> Result<()> {
    let dir = crate::root().join("fuzz");
    let targets = fuzz_targets(&dir.join("fuzz_targets"));
    if targets.is_empty() {
        eprintln!("skipped: no fuzz targets in {}", dir.display());
        return Ok(());
    }
    if !has_nightly() {
        eprintln!(
            "skipped: no nightly toolchain (`rustup toolchain install nightly` enables fuzzing)"
        );
        return Ok(());
    }
    let secs: u64 = match std::env::var("RMQ_FUZZ_SECS") {
        Ok(s) if !s.trim().is_empty() => s
            .trim()
            .parse()
            .with_context(|| format!("RMQ_FUZZ_SECS={s}"))?,
        _ => 30,
    };
    if !has_cargo_fuzz() {
        eprintln!("installing cargo-fuzz (once; cached in ~/.cargo/bin)");
        cargo(&["install", "cargo-fuzz", "--locked"])?;
    }
    for target in &targets {
        let mut cmd = nightly_cargo();
        cmd.args([
            "fuzz",
            "run",
            target,
            "--",
            &format!("-max_total_time={secs}"),
        ]);
        crate::run_cmd(&mut cmd).with_context(|| {
            format!("fuzz target `{target}` (artifacts in fuzz/artifacts/{target})")
        })?;
    }
    Ok(())
}

fn fuzz_targets(dir: &Path) -> Vec<String> {
    let mut targets: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            let stem = path.file_stem()?.to_str()?.to_string();
            (path.extension()? == "rs").then_some(stem)
        })
        .collect();
    targets.sort();
    targets
}

fn has_nightly() -> bool {
    Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.starts_with("nightly"))
        })
}

fn has_cargo_fuzz() -> bool {
    nightly_cargo()
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `rustup run nightly cargo` in the workspace root: `$CARGO` is the stable cargo itself and
/// does not understand `+nightly`.
fn nightly_cargo() -> Command {
    let mut cmd = Command::new("rustup");
    cmd.args(["run", "nightly", "cargo"])
        .current_dir(crate::root());
    // The outer (stable) cargo's choices must not leak into the nightly build.
    for var in ["RUSTUP_TOOLCHAIN", "CARGO", "RUSTC", "RUSTDOC"] {
        cmd.env_remove(var);
    }
    cmd
}

fn integration() -> Result<()> {
    let session = Session::open(1)?;
    crate::it::run_tests(&session.state, &[])
}
