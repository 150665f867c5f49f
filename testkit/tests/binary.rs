//! The `rmq-testkit` binary: its first stdout line names a name server that answers, it exits
//! when stdin closes, and it refuses bad arguments.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use common::{call, connect};
use rmq_protocol::{Command, RequestCode, ResponseCode};

const BIN: &str = env!("CARGO_BIN_EXE_rmq-testkit");

/// `--brokers 2 --port 0` prints `namesrv 127.0.0.1:PORT` first, serves both brokers, and
/// exits cleanly once stdin closes.
#[tokio::test]
async fn prints_namesrv_first_and_exits_when_stdin_closes() {
    let mut child = Process::new(BIN)
        .args(["--brokers", "2", "--port", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawns");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("reads a line");
    let addr = first
        .trim()
        .strip_prefix("namesrv ")
        .unwrap_or_else(|| panic!("first line {first:?}"))
        .parse()
        .expect("socket address");
    let conn = connect(addr).await;
    let answer = call(
        &conn,
        Command::request(RequestCode::GET_BROKER_CLUSTER_INFO),
    )
    .await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let body = String::from_utf8_lossy(&answer.body).into_owned();
    assert!(
        body.contains("broker-a") && body.contains("broker-b"),
        "{body}"
    );

    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running 10 s after stdin closed");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status}");
}

/// An unknown argument exits with status 2 and the usage text; `--help` exits 0.
#[test]
fn bad_arguments_are_refused_with_usage() {
    let out = Process::new(BIN)
        .arg("--bogus")
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("USAGE"));
    let out = Process::new(BIN)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--brokers N"));
}
