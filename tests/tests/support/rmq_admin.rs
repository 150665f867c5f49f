//! The `rmq-admin` binary for the CLI tests: built once per run into the test's own target
//! dir, run against the shared name server (or with none), and its exit code checked.
//!
//! It only runs the binary and checks how it exited; what a command prints is each test's.

// Each test target uses only some of these helpers.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The built binary, next to this test's `deps` dir (built with `cargo build -p rmq-tools
/// --bin rmq-admin` once per run, in the same profile as the test).
pub fn bin() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(|deps| deps.parent())
            .expect("target/<profile>/deps")
            .to_path_buf();
        let target_dir = profile_dir.parent().expect("target dir").to_path_buf();
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "-p", "rmq-tools", "--bin", "rmq-admin"]);
        build.env("CARGO_TARGET_DIR", &target_dir);
        if profile_dir.file_name().is_some_and(|p| p == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "building rmq-admin failed");
        profile_dir.join("rmq-admin")
    })
}

/// Runs `rmq-admin <args> -n <shared namesrv>`.
pub fn run(args: &[&str]) -> Output {
    let namesrv = rmq_tests::namesrv_addr();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-n", namesrv.as_str()]);
    raw(&all)
}

/// Runs `rmq-admin <args>` with `NAMESRV_ADDR` unset.
pub fn raw(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env_remove("NAMESRV_ADDR")
        .output()
        .expect("run rmq-admin")
}

/// [`run`] off the async runtime's threads, for tests that await other clients meanwhile.
pub async fn run_blocking(args: &[&str]) -> Output {
    let owned: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = owned.iter().map(String::as_str).collect();
        run(&args)
    })
    .await
    .expect("join")
}

/// The command's stdout, lossily decoded.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The command's stderr, lossily decoded.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and expects exit code 0; returns stdout.
pub fn ok(args: &[&str]) -> String {
    succeeded(args, &run(args))
}

/// [`ok`] off the async runtime's threads.
pub async fn ok_blocking(args: &[&str]) -> String {
    succeeded(args, &run_blocking(args).await)
}

/// Runs and expects exit code 1 (a failed operation) with nothing on stdout; returns stderr.
pub fn fails(args: &[&str]) -> String {
    let o = run(args);
    assert_eq!(
        o.status.code(),
        Some(1),
        "rmq-admin {args:?}: {}{}",
        stdout(&o),
        stderr(&o)
    );
    assert!(
        stdout(&o).is_empty(),
        "nothing on stdout on failure: {}",
        stdout(&o)
    );
    stderr(&o)
}

/// The stdout of `rmq-admin <args>`, which must have exited 0 and printed UTF-8; a failure
/// fails the test with both streams.
fn succeeded(args: &[&str], o: &Output) -> String {
    assert!(
        o.status.success(),
        "rmq-admin {args:?} failed: {}{}",
        stdout(o),
        stderr(o)
    );
    String::from_utf8(o.stdout.clone()).expect("utf8 stdout")
}
