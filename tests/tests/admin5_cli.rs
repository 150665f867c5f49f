//! `rmq-admin`'s 5.x commands against the shared cluster: the tables of `createUser` /
//! `listUser` / `deleteUser`, `haStatus` and `getTopicConfig` after `updateStaticTopic`.
//!
//! Both the embedded testkit (the default) and the crates.io servers (`RMQ_TEST_NAMESRV` set)
//! serve these requests: every command must succeed with the same output on both.

mod support;

use rmq_tests::names;
use support::rmq_admin::ok;

/// createUser, then listUser shows the user in mqadmin's table, then deleteUser.
#[test]
fn user_commands_print_mqadmin_lines() {
    let broker = rmq_tests::broker_addr();
    let user = names::name("cli", "user").replace('-', "_");
    let out = ok(&[
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
    let out = ok(&["listUser", "-b", &broker, "-f", &user]);
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
    let out = ok(&["deleteUser", "-b", &broker, "-u", &user]);
    assert_eq!(out, format!("delete user {user} to {broker} success.\n"));
}

/// haStatus prints the lone master's block and an empty slave table.
#[test]
fn ha_status_prints_the_master_block() {
    let broker = rmq_tests::broker_addr();
    let out = ok(&["haStatus", "-b", &broker]);
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
    let created = ok(&[
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
    let read = ok(&["getTopicConfig", "-t", &topic]);
    assert_eq!(read, created);
}
