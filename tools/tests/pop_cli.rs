//! `rmq-admin setConsumeMode` on an embedded testkit cluster, which serves
//! SET_MESSAGE_REQUEST_MODE and QUERY_ASSIGNMENT as Java 5.3.3 does: the mode it sets is the
//! one a client of the group is then assigned, and a broker's refusal is the command's error.

mod rmq_admin;

use std::process::Output;
use std::time::Duration;

use rmq_admin::run;
use rmq_client_admin::Admin;
use rmq_protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerData, HeartbeatData, MessageModel, MessageRequestMode,
    QueryAssignmentRequestBody, SubscriptionData,
};
use rmq_testkit::MockCluster;

const CLUSTER: &str = "DefaultCluster";
const TOPIC: &str = "ModeTopic";
const GROUP: &str = "mode_group";

/// Runs `rmq-admin setConsumeMode <target> -t <topic> -g GROUP -m <mode>`, where `target` is
/// `-b <broker>` or `-c <cluster>`.
async fn set_consume_mode(namesrv: &str, target: [&str; 2], topic: &str, mode: &str) -> Output {
    run(
        namesrv,
        &[
            "setConsumeMode",
            target[0],
            target[1],
            "-t",
            topic,
            "-g",
            GROUP,
            "-m",
            mode,
        ],
    )
    .await
}

/// The queues QUERY_ASSIGNMENT gives a client of [`GROUP`] that heartbeats to `addr`.
async fn assignment(admin: &Admin, addr: &str) -> Vec<(i32, MessageRequestMode)> {
    let api = admin.instance().api();
    let heartbeat = HeartbeatData {
        client_id: "mode-client".into(),
        consumer_data_set: vec![ConsumerData {
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            consume_type: ConsumeType::Pop,
            group_name: GROUP.into(),
            message_model: MessageModel::Clustering,
            subscription_data_set: vec![SubscriptionData::from_tag_expression(TOPIC, "*", 1)],
            unit_mode: false,
        }],
        ..HeartbeatData::default()
    };
    let timeout = Duration::from_secs(3);
    api.heartbeat(addr, &heartbeat, timeout)
        .await
        .expect("heartbeat");
    let query = QueryAssignmentRequestBody {
        client_id: "mode-client".into(),
        consumer_group: GROUP.into(),
        message_model: MessageModel::Clustering,
        strategy_name: "AVG".into(),
        topic: TOPIC.into(),
    };
    api.query_assignment(addr, &query, timeout)
        .await
        .expect("assignment")
        .expect("an allocation")
        .into_iter()
        .map(|a| (a.message_queue.queue_id, a.mode))
        .collect()
}

/// setConsumeMode -c switches every master: the group is then assigned whole-broker POP
/// queues, and switching back to PULL gives it the queues themselves.
#[tokio::test]
async fn set_consume_mode_switches_what_the_group_is_assigned() {
    let cluster = MockCluster::builder()
        .cluster_name(CLUSTER)
        .start()
        .await
        .expect("testkit starts");
    cluster.create_topic(TOPIC, 2);
    let ns = cluster.namesrv_addr();
    let addr = cluster.brokers()[0].addr().to_string();
    let admin = Admin::builder()
        .namesrv(ns.clone())
        .build()
        .await
        .expect("admin starts");

    let o = set_consume_mode(&ns, ["-c", CLUSTER], TOPIC, "POP").await;
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout.contains(&format!("set consume mode to {addr} success.")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "topic[{TOPIC}] group[{GROUP}] consume mode[POP] popShareQueueNum[0]"
        )),
        "{stdout}"
    );
    assert_eq!(
        assignment(&admin, &addr).await,
        [(-1, MessageRequestMode::Pop)],
        "one whole-broker POP queue"
    );

    let o = set_consume_mode(&ns, ["-b", &addr], TOPIC, "PULL").await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        assignment(&admin, &addr).await,
        [(0, MessageRequestMode::Pull), (1, MessageRequestMode::Pull)]
    );
    admin.shutdown().await;
    cluster.shutdown().await;
}

/// A mode that is neither PULL nor POP is refused before any request; a broker's refusal (a
/// retry topic) fails the command naming the broker and the code.
#[tokio::test]
async fn set_consume_mode_reports_bad_modes_and_refusals() {
    let cluster = MockCluster::builder()
        .cluster_name(CLUSTER)
        .start()
        .await
        .expect("testkit starts");
    let ns = cluster.namesrv_addr();
    let addr = cluster.brokers()[0].addr().to_string();
    let o = set_consume_mode(&ns, ["-b", &addr], TOPIC, "PUSH").await;
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("neither PULL nor POP"));

    let retry = format!("%RETRY%{GROUP}");
    let o = set_consume_mode(&ns, ["-b", &addr], &retry, "POP").await;
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        stderr.contains(&addr) && stderr.contains("NO_PERMISSION"),
        "{stderr}"
    );
    cluster.shutdown().await;
}
