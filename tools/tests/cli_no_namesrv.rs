//! `rmq-admin` run without `-n` and without `NAMESRV_ADDR` tells a shell user what to pass,
//! without naming library types.

use std::process::{Command, Output};

fn run(env: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rmq-admin"));
    cmd.arg("clusterList").env_remove("NAMESRV_ADDR");
    if let Some(value) = env {
        cmd.env("NAMESRV_ADDR", value);
    }
    cmd.output().expect("run rmq-admin")
}

fn assert_asks_for_namesrv(output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("no name server: pass -n host:port or set NAMESRV_ADDR"),
        "{stderr}"
    );
    assert!(!stderr.contains("AdminBuilder"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn missing_namesrv_gets_a_shell_message() {
    assert_asks_for_namesrv(&run(None));
}

#[test]
fn blank_namesrv_env_counts_as_missing() {
    assert_asks_for_namesrv(&run(Some("  ")));
}
