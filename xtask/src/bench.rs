//! `cargo xtask bench [ARGS]`: `cargo bench --workspace [ARGS]` and where the reports land.

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
    Ok(())
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
