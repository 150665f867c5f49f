//! `cargo xtask bench [ARGS]`: every criterion bench of the workspace (`cargo bench --workspace
//! [ARGS]`), then the producer's sink one-shot (`examples/sink_bench.rs`), which prints a
//! Markdown table of msgs/s, client CPU and syscalls per message. Syscall totals need `perf`;
//! without it the one-shot reports CPU and write coalescing only. Unless `RMQ_SINK_PIN` is set,
//! both run with `RMQ_SINK_PIN=split` (client on CPU 0, sink on CPU 1) when `taskset` exists,
//! so that runs are comparable: see BENCHMARKS.md.
//!
//! `cargo xtask bench compare [OPTIONS]` compares our benchmark tools with Java's on one broker
//! (`compare.rs`; the pieces are in `bench/`).
//!
//! Record what changed in BENCHMARKS.md, with the command. Figures measured against the CI
//! broker (crates.io `rocketmq-broker`) are never quoted.

mod compare;
mod parse;
mod report;
mod run;

use anyhow::{Context, Result};

pub fn run(args: &[String]) -> Result<()> {
    if args.first().map(String::as_str) == Some("compare") {
        return compare::run(&args[1..]);
    }
    let pin = std::env::var_os("RMQ_SINK_PIN").is_none() && works("taskset", &["--version"]);
    let mut cmd = crate::cargo();
    cmd.args(["bench", "--workspace"]).args(args);
    if pin {
        cmd.env("RMQ_SINK_PIN", "split");
    }
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
    if works("perf", &["--version"]) {
        sink.arg("--perf");
    }
    if pin {
        sink.env("RMQ_SINK_PIN", "split");
    }
    crate::run_cmd(&mut sink)
}

/// Whether `program args` runs and succeeds (the one-shot checks that `perf` can trace, too).
fn works(program: &str, args: &[&str]) -> bool {
    std::process::Command::new(program)
        .args(args)
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
