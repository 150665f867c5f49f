//! `cargo xtask fuzz [--keep] [--secs N]` and the `fuzz` step of `cargo xtask ci`: bounded
//! fuzzing of every `fuzz/fuzz_targets/*.rs` with cargo-fuzz on the nightly toolchain.
//!
//! A run never changes a tracked file: each target fuzzes a scratch copy of its corpus,
//! `<target dir>/fuzz-scratch/<target>`, builds in `<target dir>/fuzz-build` and writes crash
//! reproducers to `<target dir>/fuzz-artifacts/<target>/`. Keeping what a run found is a
//! separate, explicit step (`--keep`): the scratch inputs join `fuzz/corpus/<target>`, which
//! `cargo fuzz cmin` then minimizes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// Seconds per target when neither `--secs` nor `RMQ_FUZZ_SECS` says.
const DEFAULT_SECS: u64 = 30;

/// What `cargo install cargo-fuzz --locked` took on the 2-core CI machine.
const INSTALL_MINUTES: u64 = 3;

/// `cargo xtask fuzz [--keep] [--secs N]`.
pub fn run(args: &[String]) -> Result<()> {
    let mut keep = false;
    let mut secs = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--keep" => keep = true,
            "--secs" => {
                let n = args.next().context("--secs needs a number of seconds")?;
                secs = Some(n.parse().with_context(|| format!("--secs {n}"))?);
            }
            other => bail!("usage: cargo xtask fuzz [--keep] [--secs N] (unknown `{other}`)"),
        }
    }
    if !has_nightly() {
        bail!("fuzzing needs the nightly toolchain: rustup toolchain install nightly");
    }
    let secs = match secs {
        Some(secs) => secs,
        None => secs_from_env()?,
    };
    fuzz_all(secs, keep)
}

/// The `ci` step: every target for `RMQ_FUZZ_SECS` seconds on a scratch corpus; skipped
/// (with a note) when no nightly toolchain is installed.
pub fn ci_step() -> Result<()> {
    if !has_nightly() {
        eprintln!(
            "skipped: no nightly toolchain (`rustup toolchain install nightly` enables fuzzing)"
        );
        return Ok(());
    }
    fuzz_all(secs_from_env()?, false)
}

/// `RMQ_FUZZ_SECS`, or the default.
fn secs_from_env() -> Result<u64> {
    match std::env::var("RMQ_FUZZ_SECS") {
        Ok(s) if !s.trim().is_empty() => s
            .trim()
            .parse()
            .with_context(|| format!("RMQ_FUZZ_SECS={s}")),
        _ => Ok(DEFAULT_SECS),
    }
}

/// Fuzzes every target for `secs` seconds; with `keep`, merges the new inputs into the
/// tracked corpus, minimized.
fn fuzz_all(secs: u64, keep: bool) -> Result<()> {
    let fuzz_dir = crate::root().join("fuzz");
    let targets = fuzz_targets(&fuzz_dir.join("fuzz_targets"));
    if targets.is_empty() {
        eprintln!("skipped: no fuzz targets in {}", fuzz_dir.display());
        return Ok(());
    }
    ensure_cargo_fuzz()?;
    let started = Instant::now();
    let work = target_dir();
    for target in &targets {
        let corpus = fuzz_dir.join("corpus").join(target);
        let scratch = work.join("fuzz-scratch").join(target);
        let before = fresh_copy(&corpus, &scratch)?;
        let artifacts = work.join("fuzz-artifacts").join(target);
        std::fs::create_dir_all(&artifacts)
            .with_context(|| format!("create {}", artifacts.display()))?;
        let mut cmd = nightly_cargo();
        cmd.args(["fuzz", "run", target])
            .arg(&scratch)
            .arg("--target-dir")
            .arg(work.join("fuzz-build"))
            .arg("--")
            .arg(format!("-max_total_time={secs}"))
            .arg(format!("-artifact_prefix={}/", artifacts.display()));
        crate::run_cmd(&mut cmd).with_context(|| {
            format!(
                "fuzz target `{target}` failed (reproducer in {})",
                artifacts.display()
            )
        })?;
        let found = count_files(&scratch).saturating_sub(before);
        eprintln!(
            "fuzz target `{target}`: {found} new inputs in {}",
            scratch.display()
        );
        if keep {
            keep_new_inputs(target, &scratch, &corpus, &work)?;
        }
    }
    eprintln!(
        "fuzzed {} targets for {secs} s each in {:.0?}",
        targets.len(),
        round(started.elapsed())
    );
    Ok(())
}

/// Adds the scratch inputs to the tracked corpus and minimizes it with `cargo fuzz cmin`.
fn keep_new_inputs(target: &str, scratch: &Path, corpus: &Path, work: &Path) -> Result<()> {
    std::fs::create_dir_all(corpus).with_context(|| format!("create {}", corpus.display()))?;
    for entry in read_files(scratch)? {
        let dest = corpus.join(entry.file_name().unwrap_or_default());
        if !dest.exists() {
            std::fs::copy(&entry, &dest).with_context(|| format!("copy {}", entry.display()))?;
        }
    }
    let mut cmd = nightly_cargo();
    cmd.args(["fuzz", "cmin", target])
        .arg(corpus)
        .arg("--target-dir")
        .arg(work.join("fuzz-build"));
    crate::run_cmd(&mut cmd).with_context(|| format!("cargo fuzz cmin {target}"))?;
    eprintln!(
        "kept: fuzz/corpus/{target} now holds {} inputs (review and commit them)",
        count_files(corpus)
    );
    Ok(())
}

/// Replaces `scratch` with a copy of the files in `corpus` (which may not exist yet); returns
/// how many were copied.
fn fresh_copy(corpus: &Path, scratch: &Path) -> Result<usize> {
    if scratch.exists() {
        std::fs::remove_dir_all(scratch).with_context(|| format!("clear {}", scratch.display()))?;
    }
    std::fs::create_dir_all(scratch).with_context(|| format!("create {}", scratch.display()))?;
    let files = if corpus.exists() {
        read_files(corpus)?
    } else {
        Vec::new()
    };
    for file in &files {
        let dest = scratch.join(file.file_name().unwrap_or_default());
        std::fs::copy(file, &dest).with_context(|| format!("copy {}", file.display()))?;
    }
    Ok(files.len())
}

/// The regular files directly in `dir`.
fn read_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("list {}", dir.display()))? {
        let path = entry?.path();
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn count_files(dir: &Path) -> usize {
    read_files(dir).map_or(0, |files| files.len())
}

/// The workspace's target directory: `CARGO_TARGET_DIR` (relative to the root) or `target/`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => crate::root().join(dir),
        _ => crate::root().join("target"),
    }
}

/// Installs cargo-fuzz for the nightly toolchain unless it is there, saying so first.
fn ensure_cargo_fuzz() -> Result<()> {
    if has_cargo_fuzz() {
        return Ok(());
    }
    eprintln!("installing cargo-fuzz (one time, ~{INSTALL_MINUTES} min; cached in ~/.cargo/bin)");
    let started = Instant::now();
    crate::run_cmd(crate::cargo().args(["install", "cargo-fuzz", "--locked"]))?;
    eprintln!("installed cargo-fuzz in {:.0?}", round(started.elapsed()));
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
    for var in [
        "RUSTUP_TOOLCHAIN",
        "CARGO",
        "RUSTC",
        "RUSTDOC",
        "CARGO_TARGET_DIR",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn round(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs())
}
