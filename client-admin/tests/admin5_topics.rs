//! 5.x topic and group operations through `Admin` against a scripted broker: static topics
//! (GET_TOPIC_CONFIG then UPDATE_AND_CREATE_STATIC_TOPIC with the planned mapping), batch
//! creation, group configs, consumer queries, group read bans, cold-data flow control and the
//! RocksDB consume-queue check. Scripted where the CI broker does not serve the request.

mod support;

use std::collections::BTreeSet;

use rmq_client_admin::{ErrorKind, Target};
use rmq_protocol::body::{from_fastjson, SubscriptionGroupConfigV5, TopicConfigV5};
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::testing::Reply;
use support::*;

fn topic_not_exist(req: &Command) -> Reply {
    Reply::Respond(Command::response_to(
        req,
        ResponseCode::TOPIC_NOT_EXIST,
        Some("No topic in this broker.".into()),
    ))
}

/// A new static topic: the admin reads every broker's config (none yet), then sends the
/// topic header (`force=false`) and the planned mapping to the broker.
#[tokio::test]
async fn update_static_topic_sends_the_planned_mapping() {
    let f = start("V5_3_3", |req| {
        (req.code == RequestCode::GET_TOPIC_CONFIG.0).then(|| topic_not_exist(req))
    })
    .await;
    let plan = f
        .admin
        .update_static_topic("S", 3, &BTreeSet::from([BROKER.to_owned()]))
        .await
        .expect("created");
    assert_eq!(plan[BROKER].config.config.write_queue_nums, 3);
    let get = f.only(RequestCode::GET_TOPIC_CONFIG);
    assert_eq!(get.ext_fields.get("topic"), Some("S"));
    assert_eq!(get.ext_fields.get("lo"), Some("true"));
    let req = f.only(RequestCode::UPDATE_AND_CREATE_STATIC_TOPIC);
    assert_eq!(req.ext_fields.get("topic"), Some("S"));
    assert_eq!(req.ext_fields.get("readQueueNums"), Some("3"));
    assert_eq!(req.ext_fields.get("defaultTopic"), Some("TBW102"));
    assert_eq!(req.ext_fields.get("force"), Some("false"));
    let body = f.body_json(RequestCode::UPDATE_AND_CREATE_STATIC_TOPIC);
    assert_eq!(body["bname"], BROKER);
    assert_eq!(body["totalQueues"], 3);
    assert_eq!(body["scope"], "__global__");
    assert_eq!(body["hostedQueues"]["2"][0]["queueId"], 2);
    assert_eq!(body["hostedQueues"]["2"][0]["endOffset"], -1);
    f.stop().await;
}

/// getTopicConfig reads the 5.x answer (attributes kept) and maps TOPIC_NOT_EXIST to none.
#[tokio::test]
async fn topic_config_reads_5x_answer_and_absent_topic() {
    let f = start("V5_3_3", |req| {
        (req.code == RequestCode::GET_TOPIC_CONFIG.0).then(|| {
            if req.ext_fields.get("topic") == Some("T") {
                ok_body(
                    req,
                    r#"{"attributes":{"+message.type":"FIFO"},"order":false,"perm":6,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"T","topicSysFlag":0,"writeQueueNums":8}"#,
                )
            } else {
                topic_not_exist(req)
            }
        })
    })
    .await;
    let t = f
        .admin
        .topic_config(&f.addr(), "T")
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(t.config.config.read_queue_nums, 8);
    assert_eq!(t.config.attributes["+message.type"], "FIFO");
    assert!(t.mapping_detail.is_none());
    assert!(f
        .admin
        .topic_config(&f.addr(), "U")
        .await
        .expect("read")
        .is_none());
    f.stop().await;
}

/// updateTopicList and updateSubGroupList send one body per broker with every field of the
/// given configs, 5.x extras included.
#[tokio::test]
async fn batch_creation_sends_lists_with_5x_fields() {
    let f = start("V5_3_3", |_| None).await;
    let topics: Vec<TopicConfigV5> = from_fastjson(
        br#"[{"topicName":"A","readQueueNums":4,"writeQueueNums":4,"perm":6,"attributes":{"+message.type":"DELAY"}}]"#,
    )
    .expect("topics");
    let groups: Vec<SubscriptionGroupConfigV5> =
        from_fastjson(br#"[{"groupName":"G","consumeMessageOrderly":true}]"#).expect("groups");
    let target = Target::Cluster(CLUSTER.into());
    f.admin
        .create_topic_list(&target, &topics)
        .await
        .expect("topics");
    f.admin
        .create_group_list(&target, &groups)
        .await
        .expect("groups");
    let body = f.body_json(RequestCode::UPDATE_AND_CREATE_TOPIC_LIST);
    assert_eq!(body["topicConfigList"][0]["topicName"], "A");
    assert_eq!(
        body["topicConfigList"][0]["attributes"]["+message.type"],
        "DELAY"
    );
    let body = f.body_json(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST);
    assert_eq!(body["groupConfigList"][0]["groupName"], "G");
    assert_eq!(body["groupConfigList"][0]["consumeMessageOrderly"], true);
    assert_eq!(body["groupConfigList"][0]["retryMaxTimes"], 16);
    f.stop().await;
}

/// getConsumerConfig asks every broker and names the cluster; an empty body or
/// SUBSCRIPTION_GROUP_NOT_EXIST means the broker has no such group.
#[tokio::test]
async fn group_config_all_names_cluster_and_broker() {
    let f = start("V5_3_3", |req| {
        (req.code == RequestCode::GET_SUBSCRIPTIONGROUP_CONFIG.0).then(|| {
            match req.ext_fields.get("group") {
                Some("G") => ok_body(
                    req,
                    r#"{"groupName":"G","retryMaxTimes":5,"groupRetryPolicy":{"type":"EXPONENTIAL"}}"#,
                ),
                // Java's answer for a group the broker does not have.
                Some("J") => Reply::Respond(Command::response_to(
                    req,
                    ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
                    Some("No group in this broker".into()),
                )),
                _ => ok_body(req, Vec::new()),
            }
        })
    })
    .await;
    let all = f.admin.group_config_all("G").await.expect("configs");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].cluster.as_deref(), Some(CLUSTER));
    assert_eq!(all[0].broker_name, BROKER);
    assert_eq!(all[0].config.config.retry_max_times, 5);
    assert_eq!(
        all[0].config.extra["groupRetryPolicy"]["type"],
        "EXPONENTIAL"
    );
    assert!(f
        .admin
        .group_config_all("H")
        .await
        .expect("none")
        .is_empty());
    f.stop().await;
}

/// queryTopicsByConsumer merges the brokers' lists; querySubscriptionByConsumer asks a
/// master of the topic's route.
#[tokio::test]
async fn consumer_queries_send_group_and_topic() {
    let f = start("V5_3_3", |req| match RequestCode(req.code) {
        RequestCode::QUERY_TOPICS_BY_CONSUMER => {
            Some(ok_body(req, r#"{"brokerAddr":"x","topicList":["T1","T2"]}"#))
        }
        RequestCode::QUERY_SUBSCRIPTION_BY_CONSUMER => Some(ok_body(
            req,
            r#"{"group":"G","subscriptionData":{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"a || b","subVersion":1,"tagsSet":["a","b"],"topic":"T1"},"topic":"T1"}"#,
        )),
        _ => None,
    })
    .await;
    let topics = f.admin.topics_by_consumer("G").await.expect("topics");
    assert_eq!(topics, BTreeSet::from(["T1".to_owned(), "T2".to_owned()]));
    assert_eq!(
        f.only(RequestCode::QUERY_TOPICS_BY_CONSUMER)
            .ext_fields
            .get("group"),
        Some("G")
    );
    let sub = f
        .admin
        .subscription_by_consumer("G", "T1")
        .await
        .expect("sub");
    assert_eq!(
        sub.subscription_data.expect("subscribed").sub_string,
        "a || b"
    );
    let req = f.only(RequestCode::QUERY_SUBSCRIPTION_BY_CONSUMER);
    assert_eq!(req.ext_fields.get("group"), Some("G"));
    assert_eq!(req.ext_fields.get("topic"), Some("T1"));
    f.stop().await;
}

/// updateGroupForbidden sends `readable` only when given and reads the state back.
#[tokio::test]
async fn group_forbidden_sends_readable_when_given() {
    let f = start("V5_3_3", |req| {
        (req.code == RequestCode::UPDATE_AND_GET_GROUP_FORBIDDEN.0).then(|| {
            let readable = req.ext_fields.get("readable").unwrap_or("true");
            ok_body(
                req,
                format!(r#"{{"group":"G","readable":{readable},"topic":"T"}}"#),
            )
        })
    })
    .await;
    let target = Target::Broker(f.addr());
    let set = f
        .admin
        .group_forbidden(&target, "G", "T", Some(false))
        .await
        .expect("set");
    assert_eq!(set[&f.addr()].readable, Some(false));
    let read = f
        .admin
        .group_forbidden(&target, "G", "T", None)
        .await
        .expect("read");
    assert_eq!(read[&f.addr()].readable, Some(true));
    let sent = f.requests(RequestCode::UPDATE_AND_GET_GROUP_FORBIDDEN);
    assert_eq!(sent[0].ext_fields.get("readable"), Some("false"));
    assert!(sent[1].ext_fields.get("readable").is_none());
    f.stop().await;
}

/// Cold-data flow control: the info is JSON text, the update a properties body, the removal
/// the group name as the body.
#[tokio::test]
async fn cold_data_flow_control_bodies_are_javas() {
    let f = start("V5_3_3", |req| {
        (req.code == RequestCode::GET_COLD_DATA_FLOW_CTR_INFO.0)
            .then(|| ok_body(req, r#"{"runtimeTable":{"G":{"coldAcc":0}},"globalAcc":0}"#))
    })
    .await;
    let target = Target::Broker(f.addr());
    let info = f
        .admin
        .cold_data_flow_ctr_info(&target)
        .await
        .expect("info");
    assert!(info[&f.addr()]
        .as_deref()
        .is_some_and(|t| t.contains("runtimeTable")));
    f.admin
        .update_cold_data_flow_ctr(&target, "G", "1024")
        .await
        .expect("updated");
    f.admin
        .remove_cold_data_flow_ctr(&target, "G")
        .await
        .expect("removed");
    let body = f.only(RequestCode::UPDATE_COLD_DATA_FLOW_CTR_CONFIG).body;
    assert_eq!(std::str::from_utf8(&body).expect("utf8").trim(), "G=1024");
    assert_eq!(
        &f.only(RequestCode::REMOVE_COLD_DATA_FLOW_CTR_CONFIG).body[..],
        b"G"
    );
    f.stop().await;
}

/// checkRocksdbCqWriteProgress sends topic and start time to every master and reads the
/// status; a 4.x broker's refusal is a clear error.
#[tokio::test]
async fn rocksdb_check_reads_status_and_4x_refuses() {
    let f = start("V5_3_3", |req| {
        (req.code == RequestCode::CHECK_ROCKSDB_CQ_WRITE_PROGRESS.0)
            .then(|| ok_body(req, r#"{"checkResult":"check doing","checkStatus":2}"#))
    })
    .await;
    let results = f
        .admin
        .check_rocksdb_cq(&Target::Cluster(CLUSTER.into()), "T", 1_700_000_000_000)
        .await
        .expect("checked");
    assert_eq!(results[&f.addr()].status_name(), "CHECK_IN_PROGRESS");
    let req = f.only(RequestCode::CHECK_ROCKSDB_CQ_WRITE_PROGRESS);
    assert_eq!(req.ext_fields.get("topic"), Some("T"));
    assert_eq!(req.ext_fields.get("checkStoreTime"), Some("1700000000000"));
    f.stop().await;

    let old = start("V4_9_7", |req| {
        (req.code == RequestCode::CHECK_ROCKSDB_CQ_WRITE_PROGRESS.0).then(|| not_supported(req))
    })
    .await;
    let err = old
        .admin
        .check_rocksdb_cq(&Target::Broker(old.addr()), "", 0)
        .await
        .expect_err("4.x");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(
        err.to_string().ends_with(
            "does not support checkRocksdbCqWriteProgress (CHECK_ROCKSDB_CQ_WRITE_PROGRESS)"
        ),
        "{err}"
    );
    old.stop().await;
}

/// setCommitLogReadAheadMode sends Java's `READ_AHEAD_MODE` ext field, returns the remark,
/// and refuses modes other than 0 and 1 before sending anything.
#[tokio::test]
async fn read_ahead_mode_is_sent_as_ext_field_and_checked() {
    let f = start("V5_3_3", |req| {
        (req.code == RequestCode::SET_COMMITLOG_READ_MODE.0).then(|| {
            Reply::Respond(Command::response_to(
                req,
                ResponseCode::SUCCESS,
                Some("set commitlog read ahead mode success, mode: 1".into()),
            ))
        })
    })
    .await;
    let target = Target::Broker(f.addr());
    let answers = f
        .admin
        .set_commit_log_read_mode(&target, "1")
        .await
        .expect("set");
    assert_eq!(
        answers[&f.addr()].as_deref(),
        Some("set commitlog read ahead mode success, mode: 1")
    );
    let err = f
        .admin
        .set_commit_log_read_mode(&target, "2")
        .await
        .expect_err("bad mode");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let sent = f.only(RequestCode::SET_COMMITLOG_READ_MODE);
    assert_eq!(sent.ext_fields.get("READ_AHEAD_MODE"), Some("1"));
    f.stop().await;
}
