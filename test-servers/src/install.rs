//! Installing the pinned servers into the cache with `cargo install`, as fast as cargo allows and
//! never silently: cargo's own lines are passed through, and a line saying how long the install
//! has run and what cargo is on comes at least every [`PROGRESS_EVERY`].

use std::io::{self, BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::{bin, binaries_present, cache_dir, install_root, BROKER_BIN, VERSION};

/// How often [`install`] says it is still working when cargo prints nothing.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(30);

/// The build directory both packages share during an install, deleted afterwards.
fn install_target_dir() -> PathBuf {
    cache_dir().join(format!("install-target-{VERSION}"))
}

/// The `cargo install` that puts both server binaries into [`install_root`].
///
/// Both packages are installed by one command into one target directory, so the dependencies
/// they share (tokio, the rocketmq-* library crates, ...) are compiled once, not twice. The
/// profile overrides keep the published release profile's optimisation but drop what only
/// slows the build: debug info and incremental state.
pub fn install_command(cargo: &Path) -> Command {
    let mut cmd = Command::new(cargo);
    cmd.args(["install", "--locked", "--root"])
        .arg(install_root())
        .arg(format!("rocketmq-namesrv@{VERSION}"))
        .arg(format!("rocketmq-broker@{VERSION}"))
        .env("CARGO_TARGET_DIR", install_target_dir())
        .env("CARGO_PROFILE_RELEASE_DEBUG", "0")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "false")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16");
    cmd
}

/// Installs the servers with `cargo` unless both binaries are present, reporting to stderr.
/// Returns how long the install took (zero when nothing had to be done).
///
/// # Errors
/// When cargo cannot be run, fails, or finishes without leaving both binaries.
pub fn install(cargo: &Path) -> Result<Duration, String> {
    if binaries_present() {
        return Ok(Duration::ZERO);
    }
    let started = Instant::now();
    let mut child = install_command(cargo)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", cargo.display()))?;
    let (tx, rx) = mpsc::channel::<String>();
    let relay = child.stderr.take().map(|stderr| {
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("{line}");
                if tx.send(line).is_err() {
                    break;
                }
            }
        })
    });
    let mut last = String::from("resolving dependencies");
    let mut next_report = PROGRESS_EVERY;
    let status = loop {
        while let Ok(line) = rx.try_recv() {
            if let Some(what) = summarize(&line) {
                last = what;
            }
        }
        if let Some(status) = child
            .try_wait()
            .map_err(|e| format!("cargo install: {e}"))?
        {
            break status;
        }
        if started.elapsed() >= next_report {
            eprintln!(
                "xtask: installing the RocketMQ {VERSION} servers, {} so far; cargo is on: {last}",
                minutes(started.elapsed())
            );
            let _ = io::stderr().flush();
            next_report += PROGRESS_EVERY;
        }
        thread::sleep(Duration::from_millis(200));
    };
    if let Some(relay) = relay {
        let _ = relay.join();
    }
    let _ = std::fs::remove_dir_all(install_target_dir());
    if !status.success() {
        return Err(format!(
            "cargo install of the RocketMQ {VERSION} servers failed ({status}) after {}",
            minutes(started.elapsed())
        ));
    }
    if !binaries_present() {
        return Err(format!(
            "cargo install finished but {} is missing",
            bin(BROKER_BIN).display()
        ));
    }
    Ok(started.elapsed())
}

/// The part of a cargo status line worth repeating ("Compiling rocketmq-store v1.0.0").
fn summarize(line: &str) -> Option<String> {
    let line = line.trim();
    let verb = line.split_whitespace().next()?;
    matches!(
        verb,
        "Compiling" | "Downloading" | "Downloaded" | "Installing" | "Finished" | "Building"
    )
    .then(|| line.to_string())
}

/// `12m05s`.
fn minutes(d: Duration) -> String {
    let secs = d.as_secs();
    format!("{}m{:02}s", secs / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_install_shares_one_target_dir_and_names_both_packages() {
        let cmd = install_command(Path::new("cargo"));
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(args.contains(&format!("rocketmq-namesrv@{VERSION}")));
        assert!(args.contains(&format!("rocketmq-broker@{VERSION}")));
        assert!(args.contains(&"--locked".to_string()));
        let target = cmd
            .get_envs()
            .find(|(k, _)| *k == "CARGO_TARGET_DIR")
            .and_then(|(_, v)| v)
            .map(PathBuf::from);
        assert_eq!(target, Some(install_target_dir()));
    }

    #[test]
    fn progress_lines_repeat_what_cargo_is_compiling() {
        assert_eq!(
            summarize("   Compiling rocketmq-store v1.0.0").as_deref(),
            Some("Compiling rocketmq-store v1.0.0")
        );
        assert_eq!(summarize("warning: unused import"), None);
        assert_eq!(minutes(Duration::from_secs(725)), "12m05s");
    }
}
