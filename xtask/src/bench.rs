//! `cargo xtask bench [ARGS]`: every criterion bench of the workspace (`cargo bench --workspace
//! [ARGS]`), then the producer's sink one-shot (`examples/sink_bench.rs`), which prints a
//! Markdown table of msgs/s, client CPU and syscalls per message. Syscall totals need `perf`;
//! without it the one-shot still reports read/write syscalls from `/proc`.
//!
//! Record what changed in BENCHMARKS.md, with the command. Figures measured against the CI
//! broker (crates.io `rocketmq-broker`) are never quoted.

use anyhow::{Context, Result};

pub fn run(args: &[String]) -> Result<()> {
    let mut cmd = crate::cargo();
    cmd.args(["bench", "--workspace"]).args(args);
    crate::run_cmd(&mut cmd)?;
    let target = target_dir()?;
    println!("criterion results: {}", target.join("criterion").display());
    println!(
        "HTML report (when enabled): {}",
        target.join("criterion/report/index.html").display()
    );

    let mut sink = crate::cargo();
    sink.args([
        "run",
        "--profile",
        "bench",
        "-p",
        "rmq-client-producer",
        "--example",
        "sink_bench",
        "--",
    ]);
    if perf_available() {
        sink.arg("--perf");
    }
    crate::run_cmd(&mut sink)
}

/// Whether `perf` is on the PATH (the one-shot checks that it can trace, too).
fn perf_available() -> bool {
    std::process::Command::new("perf")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The target directory cargo uses (honours `CARGO_TARGET_DIR` and config).
fn target_dir() -> Result<std::path::PathBuf> {
    let out = crate::cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("cargo metadata")?;
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("parsing cargo metadata")?;
    let dir = v["target_directory"]
        .as_str()
        .context("no target_directory in cargo metadata")?;
    Ok(dir.into())
}
