//! `rmq-admin`'s 5.x commands against the shared cluster: the tables of `createUser` /
//! `listUser` / `deleteUser`, `haStatus` and `getTopicConfig` after `updateStaticTopic`.
//!
//! Both the embedded testkit (the default) and the crates.io servers (`RMQ_TEST_NAMESRV` set)
//! serve these requests: every command must succeed with the same output on both.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

use rmq_tests::names;

/// The built binary, next to this test's `deps` dir (built once per run).
fn bin() -> &'static PathBuf {
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
fn run(args: &[&str]) -> Output {
    let namesrv = rmq_tests::namesrv_addr();
    Command::new(bin())
        .args(args)
        .args(["-n", namesrv.as_str()])
        .env_remove("NAMESRV_ADDR")
        .output()
        .expect("run rmq-admin")
}

/// The stdout of a command that must succeed; any failure fails the test with its stderr.
fn served(args: &[&str]) -> String {
    let o = run(args);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "rmq-admin {args:?} failed: {stderr}");
    String::from_utf8(o.stdout).expect("utf8 stdout")
}

/// createUser, then listUser shows the user in mqadmin's table, then deleteUser.
#[test]
fn user_commands_print_mqadmin_lines() {
    let broker = rmq_tests::broker_addr();
    let user = names::name("cli", "user").replace('-', "_");
    let out = served(&[
        "createUser",
        "-b",
        &broker,
        "-u",
        &user,
        "-p",
        "pw-1",
        "-t",
        "Normal",
    ]);
    assert_eq!(out, format!("create user {user} to {broker} success.\n"));
    let out = served(&["listUser", "-b", &broker, "-f", &user]);
    let mut lines = out.lines();
    assert_eq!(
        lines
            .next()
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["#UserName", "#Password", "#UserType", "#UserStatus"])
    );
    let row = lines
        .find(|l| l.starts_with(&user))
        .unwrap_or_else(|| panic!("{user} listed:\n{out}"));
    assert_eq!(row.split_whitespace().nth(2), Some("Normal"), "{row}");
    let out = served(&["deleteUser", "-b", &broker, "-u", &user]);
    assert_eq!(out, format!("delete user {user} to {broker} success.\n"));
}

/// haStatus prints the lone master's block and an empty slave table.
#[test]
fn ha_status_prints_the_master_block() {
    let broker = rmq_tests::broker_addr();
    let out = served(&["haStatus", "-b", &broker]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("#MasterAddr\t{broker}"));
    assert!(lines[1].starts_with("#MasterCommitLogMaxOffset\t"), "{out}");
    assert_eq!(lines[2], "#SlaveNum\t0");
    assert!(lines[4].starts_with("#SlaveAddr"), "{out}");
    assert_eq!(lines.len(), 5, "{out}");
}

/// updateStaticTopic prints the mapping it created; getTopicConfig prints the same.
#[test]
fn static_topic_commands_print_the_mapping() {
    let topic = names::topic("cli_static_topic");
    let cluster = rmq_tests::cluster_name();
    let created = served(&[
        "updateStaticTopic",
        "-t",
        &topic,
        "--qn",
        "2",
        "-c",
        &cluster,
    ]);
    let lines: Vec<&str> = created.lines().collect();
    assert!(lines[0].starts_with("============"), "{created}");
    assert_eq!(
        lines[1],
        format!("topic={topic} readQueueNums=2 writeQueueNums=2 perm=6")
    );
    assert!(
        lines[2].ends_with("#TotalQueues 2 #Scope __global__"),
        "{created}"
    );
    let read = served(&["getTopicConfig", "-t", &topic]);
    assert_eq!(read, created);
}
