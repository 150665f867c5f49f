//! Running the `rmq-admin` binary from the CLI tests: off the async runtime (the tests' clusters
//! run on it), with `NAMESRV_ADDR` removed so that only the arguments name the name server.
#![allow(dead_code)] // Each test binary uses a different subset.

use std::process::Output;

/// Runs `rmq-admin <all>` exactly as given.
pub async fn raw(all: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_rmq-admin"))
            .args(&all)
            .env_remove("NAMESRV_ADDR")
            .output()
            .expect("run rmq-admin")
    })
    .await
    .expect("join")
}

/// Runs `rmq-admin <args> -n <namesrv>`.
pub async fn run(namesrv: &str, args: &[&str]) -> Output {
    let mut all: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    all.extend(["-n".to_owned(), namesrv.to_owned()]);
    raw(all).await
}

/// Like [`run`], and expects success; returns stdout.
pub async fn ok(namesrv: &str, args: &[&str]) -> String {
    let o = run(namesrv, args).await;
    assert!(
        o.status.success(),
        "rmq-admin {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf8 stdout")
}
