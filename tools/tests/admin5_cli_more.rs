//! The remaining `rmq-admin` 5.x commands against a scripted cluster, one test per family:
//! what each prints and what it sends. Scripted because the CI broker serves few of these
//! requests (see CI-BROKER.md).

// The scripted cluster fixture is the admin crate's, shared rather than copied.
#[path = "../../client-admin/tests/support/mod.rs"]
mod support;

mod rmq_admin;

use rmq_admin::ok;
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::testing::Reply;
use support::*;

/// getUser, updateUser, deleteUser, getAcl, updateAcl, deleteAcl.
#[tokio::test]
async fn user_and_acl_commands() {
    let f = start("V5_3_3", |req| match RequestCode(req.code) {
        RequestCode::AUTH_GET_USER => Some(ok_body(
            req,
            r#"{"username":"alice","password":"pw","userType":"Normal","userStatus":"disable"}"#,
        )),
        RequestCode::AUTH_GET_ACL => {
            Some(ok_body(req, r#"{"subject":"User:alice","policies":[]}"#))
        }
        _ => None,
    })
    .await;
    let a = f.addr();
    let out = ok(&a, &["getUser", "-b", &a, "-u", "alice"]).await;
    assert_eq!(
        out.lines().nth(1),
        Some("alice             pw                      Normal                  disable")
    );
    let out = ok(
        &a,
        &["updateUser", "-c", CLUSTER, "-u", "alice", "-s", "enable"],
    )
    .await;
    assert_eq!(out, format!("update user alice to {a} success.\n"));
    assert_eq!(
        f.body_json(RequestCode::AUTH_UPDATE_USER),
        serde_json::json!({"username":"alice","userStatus":"enable"})
    );
    let out = ok(&a, &["deleteUser", "-b", &a, "-u", "alice"]).await;
    assert_eq!(out, format!("delete user alice to {a} success.\n"));
    let out = ok(&a, &["getAcl", "-b", &a, "-s", "User:alice"]).await;
    assert_eq!(out.lines().nth(1), Some("User:alice"));
    ok(
        &a,
        &[
            "updateAcl",
            "-b",
            &a,
            "-s",
            "User:alice",
            "-r",
            "Topic:t",
            "-a",
            "Pub",
            "-d",
            "Deny",
            "-i",
            "10.0.0.1",
        ],
    )
    .await;
    let body = f.body_json(RequestCode::AUTH_UPDATE_ACL);
    assert_eq!(body["policies"][0]["entries"][0]["decision"], "Deny");
    assert_eq!(
        body["policies"][0]["entries"][0]["sourceIps"][0],
        "10.0.0.1"
    );
    ok(
        &a,
        &["deleteAcl", "-b", &a, "-s", "User:alice", "-r", "Topic:t"],
    )
    .await;
    assert_eq!(
        f.only(RequestCode::AUTH_DELETE_ACL)
            .ext_fields
            .get("resource"),
        Some("Topic:t")
    );
    f.stop().await;
}

/// electMaster, getControllerConfig, updateControllerConfig, cleanBrokerMetadata,
/// getBrokerEpoch (the fixture is its own controller leader here).
#[tokio::test]
async fn controller_and_epoch_commands() {
    let f = start_knowing_addr("V5_3_3", |req, me| match RequestCode(req.code) {
        RequestCode::CONTROLLER_GET_METADATA_INFO => Some(Reply::Respond(
            Command::response_to(req, ResponseCode::SUCCESS, None)
                .with_ext("controllerLeaderAddress", me)
                .with_ext("isLeader", "true"),
        )),
        RequestCode::CONTROLLER_ELECT_MASTER => Some(Reply::Respond(
            Command::response_to(req, ResponseCode::SUCCESS, None)
                .with_ext("masterBrokerId", "1")
                .with_ext("masterAddress", "10.0.0.1:30911")
                .with_ext("masterEpoch", "5")
                .with_ext("syncStateSetEpoch", "6")
                .with_body(
                    r#"{"brokerAddrs":{1:"10.0.0.1:30911"},"brokerName":"broker-a","cluster":"c"}"#,
                ),
        )),
        RequestCode::GET_CONTROLLER_CONFIG => Some(ok_body(req, "controllerType=DLedger\n")),
        RequestCode::GET_BROKER_EPOCH_CACHE => Some(ok_body(
            req,
            r#"{"brokerId":0,"brokerName":"broker-a","clusterName":"c","epochList":[{"epoch":1,"startOffset":0,"endOffset":9}],"maxOffset":9}"#,
        )),
        _ => None,
    })
    .await;
    let a = f.addr();
    let out = ok(
        &a,
        &[
            "electMaster",
            "-a",
            &a,
            "-c",
            CLUSTER,
            "--bn",
            BROKER,
            "-b",
            "1",
        ],
    )
    .await;
    assert_eq!(
        out,
        "#ClusterName\tc\n#BrokerName\tbroker-a\n#BrokerMasterAddr\t10.0.0.1:30911\n#MasterEpoch\t5\n#SyncStateSetEpoch\t6\n\t#Broker\t1\t10.0.0.1:30911\n"
    );
    let out = ok(&a, &["getControllerConfig", "-a", &a]).await;
    assert_eq!(
        out,
        format!(
            "============{a}============\n{:<50}=  DLedger\n",
            "controllerType"
        )
    );
    let out = ok(
        &a,
        &["updateControllerConfig", "-a", &a, "-k", "k1", "-v", "v1"],
    )
    .await;
    assert!(
        out.starts_with("update controller config success!"),
        "{out}"
    );
    assert_eq!(
        std::str::from_utf8(&f.only(RequestCode::UPDATE_CONTROLLER_CONFIG).body).map(str::trim),
        Ok("k1=v1")
    );
    let out = ok(
        &a,
        &[
            "cleanBrokerMetadata",
            "-a",
            &a,
            "--bn",
            BROKER,
            "-b",
            "1;2",
            "-l",
        ],
    )
    .await;
    assert_eq!(
        out,
        "clear broker broker-a metadata from controller success!\n"
    );
    assert_eq!(
        f.only(RequestCode::CLEAN_BROKER_DATA)
            .ext_fields
            .get("isCleanLivingBroker"),
        Some("true")
    );
    let out = ok(&a, &["getBrokerEpoch", "-b", BROKER]).await;
    assert_eq!(
        out,
        format!(
            "#clusterName\tc\n#brokerName\tbroker-a\n#brokerAddr\t{a}\n#brokerId\t0\n#Epoch: EpochEntry{{epoch=1, startOffset=0, endOffset=9}}\n"
        )
    );
    f.stop().await;
}

/// updateSubGroupList, getTopicConfig, getConsumerConfig, queryTopicsByConsumer,
/// querySubscriptionByConsumer, updateGroupForbidden.
#[tokio::test]
async fn topic_and_group_commands() {
    let f = start("V5_3_3", |req| match RequestCode(req.code) {
        RequestCode::GET_TOPIC_CONFIG => Some(ok_body(
            req,
            r#"{"perm":6,"readQueueNums":1,"topicName":"S","writeQueueNums":1,"mappingDetail":{"bname":"broker-a","epoch":7,"hostedQueues":{3:[{"bname":"broker-a","gen":0,"logicOffset":0,"queueId":0}]},"scope":"__global__","topic":"S","totalQueues":4}}"#,
        )),
        RequestCode::GET_SUBSCRIPTIONGROUP_CONFIG => {
            Some(ok_body(req, r#"{"groupName":"G","retryMaxTimes":3}"#))
        }
        RequestCode::QUERY_TOPICS_BY_CONSUMER => Some(ok_body(req, r#"{"topicList":["T2","T1"]}"#)),
        RequestCode::QUERY_SUBSCRIPTION_BY_CONSUMER => Some(ok_body(
            req,
            r#"{"group":"G","subscriptionData":{"expressionType":"TAG","subString":"*","topic":"T1"},"topic":"T1"}"#,
        )),
        RequestCode::UPDATE_AND_GET_GROUP_FORBIDDEN => {
            Some(ok_body(req, r#"{"group":"G","readable":false,"topic":"T1"}"#))
        }
        _ => None,
    })
    .await;
    let a = f.addr();
    let path = std::env::temp_dir().join(format!("rmq-admin5-groups-{}.json", std::process::id()));
    std::fs::write(&path, br#"[{"groupName":"G","retryMaxTimes":3}]"#).expect("write list file");
    let file = path.to_string_lossy().into_owned();
    let out = ok(&a, &["updateSubGroupList", "-b", &a, "-f", &file]).await;
    std::fs::remove_file(&path).expect("remove list file");
    assert_eq!(
        out,
        format!("submit batch of group config to {a} success, please check the result later.\n")
    );
    let out = ok(&a, &["getTopicConfig", "-t", "S"]).await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "============broker-a============");
    assert_eq!(lines[2], "#Epoch 7 #TotalQueues 4 #Scope __global__");
    assert_eq!(
        lines[4].split_whitespace().collect::<Vec<_>>(),
        ["3", "broker-a", "0", "0", "0"]
    );
    let out = ok(&a, &["getConsumerConfig", "-g", "G"]).await;
    assert!(
        out.starts_with("=============================c:broker-a============================="),
        "{out}"
    );
    assert!(
        out.contains(&format!("{:<40}=  3\n", "retryMaxTimes")),
        "{out}"
    );
    let out = ok(&a, &["queryTopicsByConsumer", "-g", "G"]).await;
    assert_eq!(out, "T1\nT2\n");
    let out = ok(&a, &["querySubscriptionByConsumer", "-g", "G", "-t", "T1"]).await;
    assert_eq!(
        out.lines()
            .nth(1)
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["T1", "G", "*", "(TAG)"])
    );
    let out = ok(
        &a,
        &[
            "updateGroupForbidden",
            "-b",
            &a,
            "-g",
            "G",
            "-t",
            "T1",
            "-r",
            "false",
        ],
    )
    .await;
    assert_eq!(
        out.lines()
            .nth(1)
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec![a.as_str(), "G", "T1", "false"])
    );
    assert_eq!(
        f.only(RequestCode::UPDATE_AND_GET_GROUP_FORBIDDEN)
            .ext_fields
            .get("readable"),
        Some("false")
    );
    f.stop().await;
}

/// getColdDataFlowCtrInfo, updateColdDataFlowCtrGroupConfig,
/// removeColdDataFlowCtrGroupConfig, checkRocksdbCqWriteProgress, setCommitLogReadAheadMode.
#[tokio::test]
async fn store_commands() {
    let f = start("V5_3_3", |req| match RequestCode(req.code) {
        RequestCode::GET_COLD_DATA_FLOW_CTR_INFO => Some(ok_body(req, r#"{"globalAcc":0}"#)),
        RequestCode::CHECK_ROCKSDB_CQ_WRITE_PROGRESS => {
            Some(ok_body(req, r#"{"checkResult":"bad","checkStatus":3}"#))
        }
        _ => None,
    })
    .await;
    let a = f.addr();
    let out = ok(&a, &["getColdDataFlowCtrInfo", "-b", &a]).await;
    assert_eq!(
        out,
        format!("============{a}============\n{{\n  \"globalAcc\": 0\n}}\n")
    );
    let out = ok(
        &a,
        &[
            "updateColdDataFlowCtrGroupConfig",
            "-c",
            CLUSTER,
            "-g",
            "G",
            "-v",
            "100",
        ],
    )
    .await;
    assert_eq!(
        out,
        format!("updateColdDataFlowCtrGroupConfig success, {a}\n")
    );
    let out = ok(
        &a,
        &["removeColdDataFlowCtrGroupConfig", "-b", &a, "-g", "G"],
    )
    .await;
    assert_eq!(
        out,
        format!("remove broker cold read threshold success, {a}\n")
    );
    let out = ok(
        &a,
        &[
            "checkRocksdbCqWriteProgress",
            "-c",
            CLUSTER,
            "-t",
            "T",
            "--cf",
            "5",
        ],
    )
    .await;
    assert_eq!(
        out,
        format!("{a} check error, please check log... errInfo: bad\n")
    );
    let req = f.only(RequestCode::CHECK_ROCKSDB_CQ_WRITE_PROGRESS);
    assert_eq!(req.ext_fields.get("checkStoreTime"), Some("5"));
    let out = ok(&a, &["setCommitLogReadAheadMode", "-c", CLUSTER, "-m", "1"]).await;
    assert_eq!(
        out,
        format!("============{a}============\nset read ahead mode success\n")
    );
    assert_eq!(
        f.only(RequestCode::SET_COMMITLOG_READ_MODE)
            .ext_fields
            .get("READ_AHEAD_MODE"),
        Some("1")
    );
    f.stop().await;
}
