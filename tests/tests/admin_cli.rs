//! The `rmq-admin` binary against the real name server and broker: each command's stdout (the
//! mqadmin table or text), its `--json` output and its exit code, including bad input.
//!
//! The binary is built once per run with `cargo build -p rmq-tools --bin rmq-admin`
//! into the same target dir as this test.

mod admin_support;
mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use admin_support::*;
use rmq_protocol::body::TopicRouteData;
use rmq_tests::names;
use support::rmq_admin::{fails, ok, raw, run, stderr, stdout};

/// The value of `"key": <value>` in pretty JSON output (first occurrence).
fn json_field(json: &str, key: &str) -> Option<String> {
    let needle = format!("\"{key}\": ");
    let start = json.find(&needle)? + needle.len();
    let rest = &json[start..];
    let end = rest.find([',', '\n']).unwrap_or(rest.len());
    Some(rest[..end].trim().trim_matches('"').to_owned())
}

/// `clusterList`, `brokerStatus`, `getBrokerConfig`, `updateBrokerConfig` show the shared
/// broker in mqadmin's columns and in JSON.
#[tokio::test]
async fn cluster_and_broker_commands() {
    let shared = rmq_tests::shared();
    let text = ok(&["clusterList"]);
    assert!(text.starts_with("#Cluster Name"), "{text}");
    assert!(
        text.contains("#InTPS(LOAD)") && text.contains(&shared.broker),
        "{text}"
    );
    let json = ok(&["clusterList", "--json"]);
    assert_eq!(
        json_field(&json, "addr").as_deref(),
        Some(shared.broker.as_str()),
        "{json}"
    );
    assert!(ok(&["clusterList", "-m"]).contains("#InTotalToday"));

    let status = ok(&["brokerStatus", "-b", &shared.broker]);
    assert!(
        status.lines().any(|l| l.starts_with("msgPutTotalTodayNow")),
        "{status}"
    );
    let config = ok(&["getBrokerConfig", "-b", &shared.broker, "--json"]);
    let parsed: BTreeMap<String, BTreeMap<String, String>> =
        rmq_protocol::from_fastjson(config.as_bytes()).expect("getBrokerConfig --json is a map");
    let perm = parsed[&shared.broker]["brokerPermission"].clone();
    let text = ok(&["getBrokerConfig", "-c", &shared.cluster]);
    assert!(
        text.contains(&format!("============{}============", shared.broker)),
        "{text}"
    );
    let text = ok(&[
        "updateBrokerConfig",
        "-b",
        &shared.broker,
        "-k",
        "brokerPermission",
        "-v",
        &perm,
    ]);
    assert!(text.contains("success"), "{text}");
    let err = fails(&["updateBrokerConfig", "-k", "brokerPermission", "-v", "6"]);
    assert!(err.contains("-b") && err.contains("-c"), "{err}");
    let err = fails(&["brokerStatus", "-c", "no_such_cluster"]);
    assert!(err.contains("cluster no_such_cluster not found"), "{err}");
}

/// `updateTopic` then `topicRoute` shows the queue counts; `topicList`, `topicClusterList`,
/// `topicStatus` and `deleteTopic` follow.
#[tokio::test]
async fn topic_commands() {
    let shared = rmq_tests::shared();
    let topic = names::topic("cli_topic");
    let text = ok(&[
        "updateTopic",
        "-b",
        &shared.broker,
        "-t",
        &topic,
        "-r",
        "3",
        "-w",
        "3",
    ]);
    assert!(
        text.contains(&format!("create topic to {} success.", shared.broker)),
        "{text}"
    );
    assert!(
        text.contains("readQueueNums=3, writeQueueNums=3, perm=RW-"),
        "{text}"
    );
    let routed = eventually(Duration::from_secs(15), || async {
        let o = run(&["topicRoute", "-t", &topic, "--json"]);
        o.status.success()
            && rmq_protocol::from_fastjson::<TopicRouteData>(&o.stdout).is_ok_and(|r| {
                r.queue_datas
                    .first()
                    .is_some_and(|q| q.read_queue_nums == 3 && q.write_queue_nums == 3)
            })
    })
    .await;
    assert!(routed, "topicRoute shows 3/3 queues");
    assert!(ok(&["topicRoute", "-t", &topic]).contains("\"queueDatas\""));
    assert!(ok(&["topicRoute", "-t", &topic, "-l"]).contains("#BrokerName"));
    assert!(ok(&["topicList"]).lines().any(|l| l == topic));
    let list: Vec<String> =
        rmq_protocol::from_fastjson(ok(&["topicList", "--json"]).as_bytes()).expect("json list");
    assert!(list.contains(&topic));
    assert_eq!(
        ok(&["topicClusterList", "-t", &topic]).trim(),
        shared.cluster
    );

    let admin = admin().await;
    send(&admin, &topic, "st", 5).await;
    let status = ok(&["topicStatus", "-t", &topic]);
    assert!(status.starts_with("#Broker Name"), "{status}");
    assert_eq!(status.lines().count(), 4, "header + 3 queues: {status}");
    let json = ok(&["topicStatus", "-t", &topic, "--json"]);
    let max_total: i64 = json
        .lines()
        .filter_map(|l| l.trim().strip_prefix("\"maxOffset\": "))
        .map(|v| v.trim_end_matches(',').parse::<i64>().unwrap_or(0))
        .sum();
    assert_eq!(max_total, 5, "{json}");

    let text = ok(&["deleteTopic", "-t", &topic, "-c", &shared.cluster]);
    assert!(
        text.contains(&format!("delete topic [{topic}] from NameServer success.")),
        "{text}"
    );
    let gone = eventually(Duration::from_secs(10), || async {
        run(&["topicRoute", "-t", &topic]).status.code() == Some(1)
    })
    .await;
    assert!(gone, "topicRoute fails after deleteTopic");
    admin.shutdown().await;
}

/// An unknown topic, an unreachable name server, no name server and malformed options are
/// reported on stderr with a non-zero exit code.
#[tokio::test]
async fn bad_input_fails_with_a_clear_message() {
    let err = fails(&["topicRoute", "-t", "rmq_no_such_topic_cli"]);
    assert!(
        err.contains("rmq-admin topicRoute: topic rmq_no_such_topic_cli not found"),
        "{err}"
    );
    let err = fails(&["topicStatus", "-t", "rmq_no_such_topic_cli"]);
    assert!(err.contains("not found"), "{err}");

    let o = raw(&["topicList", "-n", "127.0.0.1:1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("127.0.0.1:1"), "{}", stderr(&o));
    let o = raw(&["topicList"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no name server"), "{}", stderr(&o));

    let o = run(&["updateTopic", "-b", "127.0.0.1:1", "-t", "T", "-r", "many"]);
    assert_eq!(o.status.code(), Some(2), "clap rejects a non-number");
    assert!(stderr(&o).contains("--readQueueNums"), "{}", stderr(&o));
    let o = run(&["updateTopic", "-b", "127.0.0.1:1", "-t", "T", "-o", "maybe"]);
    assert_eq!(o.status.code(), Some(2));
    assert_ne!(run(&["noSuchCommand"]).status.code(), Some(0));
    let o = run(&["topicRoute"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--topic"), "{}", stderr(&o));
    let err = fails(&["queryMsgById", "-i", "zz"]);
    assert!(err.contains("invalid argument"), "{err}");
}

/// `sendMessage`, then the message is found by `queryMsgByKey`, `queryMsgByUniqueKey`,
/// `queryMsgById` and `queryMsgByOffset`, and read by `printMsg` and `consumeMessage`.
#[tokio::test]
async fn message_commands() {
    let admin = admin().await;
    let topic = names::topic("cli_msg");
    create_topic(&admin, &topic, 2).await;
    let key = names::name("k", "cli");
    let text = ok(&[
        "sendMessage",
        "-t",
        &topic,
        "-p",
        "hello cli",
        "-k",
        &key,
        "-c",
        "TagA",
    ]);
    assert!(
        text.starts_with("#Broker Name") && text.contains("SEND_OK"),
        "{text}"
    );
    let json = ok(&[
        "sendMessage",
        "-t",
        &topic,
        "-p",
        "second",
        "-c",
        "TagB",
        "--json",
    ]);
    let second_id = json_field(&json, "msgId").expect("msgId");
    let first_id = text
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().last())
        .expect("msg id column")
        .to_owned();

    // The broker indexes in the background and refuses queries until the index catches up.
    let found = eventually(Duration::from_secs(10), || async {
        ok(&["queryMsgByKey", "-t", &topic, "-k", &key]).contains(&first_id)
    })
    .await;
    assert!(found, "queryMsgByKey finds the keyed message");
    let indexed = eventually(Duration::from_secs(10), || async {
        let o = run(&["queryMsgByUniqueKey", "-t", &topic, "-i", &second_id]);
        o.status.success() && stdout(&o).contains("second")
    })
    .await;
    assert!(indexed, "queryMsgByUniqueKey finds the second message");
    let text = ok(&["queryMsgByUniqueKey", "-t", &topic, "-i", &second_id]);
    assert!(text.contains("Message Body:        second"), "{text}");
    let offset_id = json_field(
        &ok(&[
            "queryMsgByUniqueKey",
            "-t",
            &topic,
            "-i",
            &first_id,
            "--json",
        ]),
        "offsetMsgId",
    )
    .expect("offset id");
    let text = ok(&["queryMsgById", "-i", &offset_id]);
    assert!(
        text.contains(&format!("Keys:                [{key}]")),
        "{text}"
    );
    assert!(text.contains("Tags:                [TagA]"), "{text}");

    let name = broker_name(&admin).await;
    let view = ok(&[
        "queryMsgByUniqueKey",
        "-t",
        &topic,
        "-i",
        &first_id,
        "--json",
    ]);
    let qid = json_field(&view, "queueId").expect("queueId");
    let qoff = json_field(&view, "queueOffset").expect("queueOffset");
    let text = ok(&[
        "queryMsgByOffset",
        "-t",
        &topic,
        "-b",
        &name,
        "-i",
        &qid,
        "-o",
        &qoff,
    ]);
    assert!(text.contains("hello cli"), "{text}");

    let printed = run(&["printMsg", "-t", &topic]);
    assert!(printed.status.success());
    let text = stdout(&printed);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("MSGID: ")).count(),
        2,
        "{text}"
    );
    assert!(
        stderr(&printed).contains("printMsg: 2/2"),
        "plain progress lines off a terminal: {}",
        stderr(&printed)
    );
    let only_b = ok(&["printMsg", "-t", &topic, "-s", "TagB"]);
    assert_eq!(
        only_b.lines().filter(|l| l.starts_with("MSGID: ")).count(),
        1,
        "{only_b}"
    );
    let consumed = ok(&["consumeMessage", "-t", &topic, "-c", "1"]);
    assert_eq!(
        consumed.lines().filter(|l| *l == "Consume ok").count(),
        1,
        "{consumed}"
    );
    let json = ok(&["consumeMessage", "-t", &topic, "--json"]);
    assert_eq!(json.matches("\"msgId\"").count(), 2, "{json}");
    admin.shutdown().await;
}

/// `consumerProgress` shows the lag of 100 produced messages, then 0 once consumed;
/// `resetOffsetByTime` brings it back; `cloneGroupOffset` copies offsets.
#[tokio::test]
async fn consumer_progress_reset_and_clone() {
    let shared = rmq_tests::shared();
    let admin = admin().await;
    let topic = names::topic("cli_progress");
    let group = names::group("cli_progress");
    create_topic(&admin, &topic, 2).await;
    commit(&admin, &group, &topic, Some(0)).await;
    send(&admin, &topic, "p", 100).await;

    let text = ok(&["consumerProgress", "-g", &group, "-t", &topic]);
    assert!(
        text.starts_with("#Topic") && text.contains("#Consumer Offset"),
        "{text}"
    );
    assert!(text.contains("Diff Total: 100"), "{text}");
    let json = ok(&["consumerProgress", "-g", &group, "-t", &topic, "--json"]);
    assert_eq!(
        json_field(&json, "diffTotal").as_deref(),
        Some("100"),
        "{json}"
    );

    assert_eq!(consume_all(&admin, &topic).await, 100);
    commit(&admin, &group, &topic, None).await;
    assert!(ok(&["consumerProgress", "-g", &group, "-t", &topic]).contains("Diff Total: 0"));

    let text = ok(&["resetOffsetByTime", "-g", &group, "-t", &topic, "-s", "0"]);
    assert!(
        text.contains(&format!(
            "rollback consumer offset by specified group[{group}], topic[{topic}], force[true]"
        )),
        "{text}"
    );
    assert!(text.contains("#brokerName"), "{text}");
    assert!(
        ok(&["consumerProgress", "-g", &group, "-t", &topic]).contains("Diff Total: 100"),
        "replays after reset"
    );
    let err = fails(&[
        "resetOffsetByTime",
        "-g",
        &group,
        "-t",
        &topic,
        "-s",
        "yesterday",
    ]);
    assert!(err.contains("-s timestamp"), "{err}");

    let dest = names::group("cli_clone_dst");
    ok(&["updateSubGroup", "-b", &shared.broker, "-g", &dest]);
    let text = ok(&[
        "cloneGroupOffset",
        "-s",
        &group,
        "-d",
        &dest,
        "-t",
        &topic,
        "-o",
        "true",
    ]);
    assert!(text.contains("clone group offset success."), "{text}");
    assert!(ok(&["consumerProgress", "-g", &dest, "-t", &topic]).contains("Diff Total: 100"));
    let err = fails(&["consumerProgress", "-g", &names::group("never")]);
    assert!(err.contains("not found"), "{err}");
    admin.shutdown().await;
}

/// `updateSubGroup` / `deleteSubGroup`, and connections of live clients. Multi-threaded: the
/// live client must answer the broker's running-info request while this thread waits for the
/// binary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_and_connection_commands() {
    let shared = rmq_tests::shared();
    let admin = admin().await;
    let group = names::group("cli_subgroup");
    let text = ok(&[
        "updateSubGroup",
        "-b",
        &shared.broker,
        "-g",
        &group,
        "-r",
        "7",
        "-s",
        "true",
    ]);
    assert!(
        text.contains(&format!(
            "create subscription group to {} success.",
            shared.broker
        )),
        "{text}"
    );
    assert!(text.contains("retryMaxTimes=7"), "{text}");
    assert_eq!(
        admin.groups(&shared.broker).await.expect("groups")[&group].retry_max_times,
        7
    );
    let text = ok(&["deleteSubGroup", "-b", &shared.broker, "-g", &group]);
    assert!(
        text.contains(&format!(
            "delete subscription group [{group}] from broker [{}] success.",
            shared.broker
        )),
        "{text}"
    );

    let topic = names::topic("cli_conn");
    let (pg, cg) = (names::group("cli_conn_p"), names::group("cli_conn_c"));
    create_topic(&admin, &topic, 2).await;
    let clients = live_clients(&topic, &pg, &cg).await;
    let text = ok(&["consumerConnection", "-g", &cg]);
    assert!(
        text.contains(clients.client_id()) && text.contains("Below is subscription:"),
        "{text}"
    );
    assert!(text.contains("MessageModel: CLUSTERING"), "{text}");
    let text = ok(&["producerConnection", "-g", &pg, "-t", &topic]);
    assert!(
        text.starts_with("0001  ") && text.contains(clients.client_id()),
        "{text}"
    );
    let text = ok(&["consumerStatus", "-g", &cg, "-i", clients.client_id()]);
    assert!(
        text.contains("#Consumer Subscription#") && text.contains(&topic),
        "{text}"
    );
    assert!(ok(&["consumerStatus", "-g", &cg, "--json"]).contains("\"runningInfo\""));
    clients.shutdown().await;
    let err = fails(&["consumerConnection", "-g", &names::group("cli_nobody")]);
    assert!(err.contains("rmq-admin consumerConnection:"), "{err}");
    admin.shutdown().await;
}

/// KV config and name-server config commands.
#[tokio::test]
async fn namesrv_commands() {
    let shared = rmq_tests::shared();
    let admin = admin().await;
    let ns = names::name("ns", "cli");
    assert!(ok(&["updateKvConfig", "-s", &ns, "-k", "k", "-v", "v1"])
        .contains("update kv config in namespace success."));
    assert_eq!(
        admin.kv_config(&ns, "k").await.expect("get").as_deref(),
        Some("v1")
    );
    assert!(ok(&["deleteKvConfig", "-s", &ns, "-k", "k"])
        .contains("delete kv config from namespace success."));
    assert_eq!(admin.kv_config(&ns, "k").await.expect("get"), None);

    let text = ok(&["getNamesrvConfig"]);
    assert!(
        text.starts_with(&format!("============{}============", shared.namesrv)),
        "{text}"
    );
    let configs: BTreeMap<String, BTreeMap<String, String>> =
        rmq_protocol::from_fastjson(ok(&["getNamesrvConfig", "--json"]).as_bytes()).expect("json");
    let value = configs[&shared.namesrv]
        .get("orderMessageEnable")
        .cloned()
        .unwrap_or_else(|| "false".into());
    let text = ok(&[
        "updateNamesrvConfig",
        "-k",
        "orderMessageEnable",
        "-v",
        &value,
    ]);
    assert!(
        text.contains("update name server config success!"),
        "{text}"
    );

    let name = names::name("nobroker", "cli");
    let text = ok(&["wipeWritePerm", "-b", &name]);
    assert!(
        text.contains(&format!(
            "wipe write perm of broker[{name}] in name server[{}] OK, 0",
            shared.namesrv
        )),
        "{text}"
    );
    let text = ok(&["addWritePerm", "-b", &name]);
    assert!(
        text.contains(&format!(
            "add write perm of broker[{name}] in name server[{}] OK, 0",
            shared.namesrv
        )),
        "{text}"
    );
    admin.shutdown().await;
}

/// `statsAll` for one topic, `cleanExpiredCQ` and `cleanUnusedTopic`.
#[tokio::test]
async fn stats_and_clean_commands() {
    let shared = rmq_tests::shared();
    let admin = admin().await;
    let topic = names::topic("cli_stats");
    create_topic(&admin, &topic, 1).await;
    send(&admin, &topic, "s", 2).await;
    let o = run(&["statsAll", "-t", &topic]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("#Topic") && text.contains("#InMsg24Hour") && text.contains(&topic),
        "{text}"
    );
    assert!(stderr(&o).contains("statsAll: 1/1"), "{}", stderr(&o));
    assert!(ok(&["statsAll", "-t", &topic, "--json"]).contains(&format!("\"topic\": \"{topic}\"")));
    for cmd in ["cleanExpiredCQ", "cleanUnusedTopic"] {
        let o = run(&[cmd, "-b", &shared.broker]);
        let out = stdout(&o) + &stderr(&o);
        assert!(out.contains(&shared.broker), "{cmd}: {out}");
        assert!(matches!(o.status.code(), Some(0 | 1)), "{cmd}: {out}");
    }
    admin.shutdown().await;
}
