//! The `rmq-admin` 5.x commands against a scripted cluster: mqadmin's tables and texts, the
//! `--json` output, exit codes, and `help` listing every 5.x command by its mqadmin name.
//! Scripted because the CI broker serves few of these requests (see CI-BROKER.md).

// The scripted cluster fixture is the admin crate's, shared rather than copied.
#[path = "../../client-admin/tests/support/mod.rs"]
mod support;

mod rmq_admin;

use rmq_admin::{ok, raw, run};
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::testing::{MockServer, Reply};
use support::*;

/// `help` lists every 5.x command under its mqadmin name.
#[tokio::test]
async fn help_lists_the_5x_commands_by_mqadmin_name() {
    let o = raw(vec!["help".to_owned()]).await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).expect("utf8 stdout");
    for name in [
        "createUser",
        "updateUser",
        "deleteUser",
        "getUser",
        "listUser",
        "createAcl",
        "updateAcl",
        "deleteAcl",
        "getAcl",
        "listAcl",
        "getControllerMetaData",
        "getSyncStateSet",
        "electMaster",
        "getControllerConfig",
        "updateControllerConfig",
        "cleanBrokerMetadata",
        "getBrokerEpoch",
        "haStatus",
        "updateStaticTopic",
        "updateTopicList",
        "updateSubGroupList",
        "getTopicConfig",
        "getConsumerConfig",
        "queryTopicsByConsumer",
        "querySubscriptionByConsumer",
        "updateGroupForbidden",
        "getColdDataFlowCtrInfo",
        "updateColdDataFlowCtrGroupConfig",
        "removeColdDataFlowCtrGroupConfig",
        "setCommitLogReadAheadMode",
        "checkRocksdbCqWriteProgress",
    ] {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with(&format!("{name} "))),
            "{name} missing from help:\n{out}"
        );
    }
}

/// listUser prints mqadmin's user table; `--json` gives the users per broker.
#[tokio::test]
async fn list_user_prints_the_mqadmin_table_and_json() {
    let f = start("V5_3_3", |req| {
        (req.code == RequestCode::AUTH_LIST_USER.0).then(|| {
            ok_body(
                req,
                r#"[{"password":"p1","userStatus":"enable","userType":"Super","username":"alice"},{"username":"bob","userType":"Normal"}]"#,
            )
        })
    })
    .await;
    let out = ok(&f.addr(), &["listUser", "-c", CLUSTER]).await;
    assert_eq!(
        out,
        "#UserName         #Password               #UserType               #UserStatus\n\
         alice             p1                      Super                   enable\n\
         bob                                       Normal\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(&f.addr(), &["listUser", "-b", &f.addr(), "--json"]).await)
            .expect("json");
    assert_eq!(json[f.addr()][1]["username"], "bob");
    f.stop().await;
}

/// createAcl sends one entry per resource and prints one success line per broker; listAcl
/// prints mqadmin's ACL table.
#[tokio::test]
async fn create_and_list_acl_print_mqadmin_lines() {
    let f = start("V5_3_3", |req| {
        (req.code == RequestCode::AUTH_LIST_ACL.0).then(|| {
            ok_body(
                req,
                r#"[{"policies":[{"entries":[{"actions":["Pub","Sub"],"decision":"Allow","resource":"Topic:orders","sourceIps":["10.0.0.0/8"]}],"policyType":"CUSTOM"}],"subject":"User:alice"}]"#,
            )
        })
    })
    .await;
    let out = ok(
        &f.addr(),
        &[
            "createAcl",
            "-c",
            CLUSTER,
            "-s",
            "User:alice",
            "-r",
            "Topic:a,Group:g",
            "-a",
            "Sub",
            "-d",
            "Allow",
        ],
    )
    .await;
    assert_eq!(
        out,
        format!("create acl of User:alice to {} success.\n", f.addr())
    );
    let body = f.body_json(RequestCode::AUTH_CREATE_ACL);
    assert_eq!(body["policies"][0]["entries"][1]["resource"], "Group:g");
    assert_eq!(body["policies"][0]["entries"][1]["actions"][0], "Sub");
    let out = ok(&f.addr(), &["listAcl", "-b", &f.addr()]).await;
    assert_eq!(
        out,
        "#Subject          #PolicyType  #Resource               #Actions              #SourceIp                 #Decision\n\
         User:alice        CUSTOM      Topic:orders            Pub,Sub               10.0.0.0/8                Allow\n"
    );
    f.stop().await;
}

/// A 4.x broker: exit code 1 and a message naming broker, version and command.
#[tokio::test]
async fn a_4x_broker_makes_the_command_fail_with_a_clear_message() {
    let f = start("V4_9_7", |req| {
        (req.code >= RequestCode::AUTH_CREATE_USER.0).then(|| not_supported(req))
    })
    .await;
    let o = run(
        &f.addr(),
        &["createUser", "-b", &f.addr(), "-u", "alice", "-p", "pw"],
    )
    .await;
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "this broker ({}, version V4_9_7) does not support createUser (AUTH_CREATE_USER)",
            f.addr()
        )),
        "{err}"
    );
    assert!(o.stdout.is_empty());
    f.stop().await;
}

/// getControllerMetaData and getSyncStateSet print mqadmin's `#Key\tvalue` blocks; the sync
/// state comes from the leader the controller names.
#[tokio::test]
async fn controller_commands_print_mqadmin_blocks() {
    let leader = MockServer::start(|req| {
        if req.code == RequestCode::CONTROLLER_GET_SYNC_STATE_DATA.0 {
            ok_body(
                req,
                r#"{"replicasInfoTable":{"broker-a":{"inSyncReplicas":[{"alive":true,"brokerAddress":"10.0.0.1:30911","brokerId":1,"brokerName":"broker-a"}],"masterAddress":"10.0.0.1:30911","masterBrokerId":1,"masterEpoch":2,"notInSyncReplicas":[],"syncStateSetEpoch":3}}}"#,
            )
        } else {
            Reply::success()
        }
    })
    .await
    .expect("bind");
    let leader_addr = leader.addr();
    let f = start("V5_3_3", move |req| {
        (req.code == RequestCode::CONTROLLER_GET_METADATA_INFO.0).then(|| {
            Reply::Respond(
                Command::response_to(req, ResponseCode::SUCCESS, None)
                    .with_ext("group", "g1")
                    .with_ext("controllerLeaderId", "n1")
                    .with_ext("controllerLeaderAddress", leader_addr.as_str())
                    .with_ext("isLeader", "false")
                    .with_ext("peers", format!("n0-127.0.0.1:1;n1-{leader_addr}")),
            )
        })
    })
    .await;
    let out = ok(&f.addr(), &["getControllerMetaData", "-a", &f.addr()]).await;
    assert_eq!(
        out,
        format!(
            "#ControllerGroup\tg1\n#ControllerLeaderId\tn1\n#ControllerLeaderAddress\t{0}\n#Peer:\tn0-127.0.0.1:1\n#Peer:\tn1-{0}\n",
            leader.addr()
        )
    );
    let out = ok(
        &f.addr(),
        &["getSyncStateSet", "-a", &f.addr(), "-c", CLUSTER],
    )
    .await;
    assert_eq!(
        out,
        "#brokerName\tbroker-a\n#MasterBrokerId\t1\n#MasterAddr\t10.0.0.1:30911\n#MasterEpoch\t2\n\
         #SyncStateSetEpoch\t3\n#SyncStateSetNums\t1\n\
         InSyncReplica:\tReplicaIdentity{brokerName='broker-a', brokerId=1, brokerAddress='10.0.0.1:30911', alive=true}\n"
    );
    f.stop().await;
    leader.shutdown().await;
}

/// haStatus prints a master's slave table as mqadmin does.
#[tokio::test]
async fn ha_status_prints_the_slave_table() {
    let f = start("V5_3_3", |req| {
        (req.code == RequestCode::GET_BROKER_HA_STATUS.0).then(|| {
            ok_body(
                req,
                r#"{"haConnectionInfo":[{"addr":"10.0.0.2:50000","diff":10,"inSync":false,"slaveAckOffset":90,"transferFromWhere":0,"transferredByteInSecond":2048}],"inSyncSlaveNums":0,"master":true,"masterCommitLogMaxOffset":100}"#,
            )
        })
    })
    .await;
    let out = ok(&f.addr(), &["haStatus", "-c", CLUSTER]).await;
    assert_eq!(
        out,
        format!(
            "#MasterAddr\t{}\n#MasterCommitLogMaxOffset\t100\n#SlaveNum\t1\n#InSyncSlaveNum\t0\n\
             #SlaveAddr                        #SlaveAckOffset             #Diff #TransferSpeed(KB/s)          #Status #TransferFromWhere\n\
             10.0.0.2:50000                    90                             10             2.00      Fall Behind                0\n",
            f.addr()
        )
    );
    f.stop().await;
}

/// updateTopicList reads the topic list from a file and sends it (what updateStaticTopic
/// prints is tested on the testkit, `admin5_testkit.rs`).
#[tokio::test]
async fn topic_list_command_reads_the_file() {
    let f = start("V5_3_3", |_| None).await;
    let path = std::env::temp_dir().join(format!("rmq-admin5-topics-{}.json", std::process::id()));
    std::fs::write(
        &path,
        br#"[{"topicName":"A","readQueueNums":2,"writeQueueNums":2}]"#,
    )
    .expect("write list file");
    let file = path.to_string_lossy().into_owned();
    let out = ok(&f.addr(), &["updateTopicList", "-c", CLUSTER, "-f", &file]).await;
    std::fs::remove_file(&path).expect("remove list file");
    assert_eq!(
        out,
        format!(
            "submit batch of topic config to {} success, please check the result later.\n",
            f.addr()
        )
    );
    assert_eq!(
        f.body_json(RequestCode::UPDATE_AND_CREATE_TOPIC_LIST)["topicConfigList"][0]["topicName"],
        "A"
    );
    let missing = run(
        &f.addr(),
        &[
            "updateTopicList",
            "-c",
            CLUSTER,
            "-f",
            "/nonexistent/x.json",
        ],
    )
    .await;
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr)
        .contains("cannot open the file /nonexistent/x.json"));
    f.stop().await;
}

/// `haStatus -i 1` prints a new block every second until stopped (mqadmin's interval).
#[tokio::test]
async fn ha_status_with_interval_repeats_until_stopped() {
    let f = start("V5_3_3", |req| {
        (req.code == RequestCode::GET_BROKER_HA_STATUS.0)
            .then(|| ok_body(req, r#"{"master":true,"masterCommitLogMaxOffset":7}"#))
    })
    .await;
    let addr = f.addr();
    let rounds = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rmq-admin"))
            .args(["haStatus", "-b", &addr, "-i", "1", "-n", &addr])
            .env_remove("NAMESRV_ADDR")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn rmq-admin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut rounds = 0;
        // Generous bound: two rounds are due within about a second.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while rounds < 2 {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.starts_with("#MasterCommitLogMaxOffset\t7") => rounds += 1,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        child.kill().expect("stop rmq-admin");
        child.wait().expect("reap rmq-admin");
        reader.join().expect("reader thread");
        rounds
    })
    .await
    .expect("join");
    assert_eq!(rounds, 2);
    assert!(f.requests(RequestCode::GET_BROKER_HA_STATUS).len() >= 2);
    f.stop().await;
}
