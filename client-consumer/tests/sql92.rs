//! SQL92 subscriptions, on the testkit because the crates.io broker does not filter by SQL92
//! while the testkit evaluates it on the broker as Java does.

mod cluster;

use std::sync::{Arc, Mutex};

use cluster::{broker, until, Sender, TIMEOUT};
use rmq_client_consumer::ReceivedMessage;
use rmq_client_consumer::{ConsumeFrom, ConsumeResult, ErrorKind, Filter, PushConsumer};
use rmq_protocol::{RequestCode, ResponseCode};

const TOPIC: &str = "SqlTopic";

/// An SQL92 subscription is checked with the broker (CHECK_CLIENT_CONFIG), registered as
/// SQL92 by the heartbeat, and only the messages whose properties match are delivered; the
/// committed offset still passes the filtered ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql92_subscription_delivers_only_matching_messages() {
    const GROUP: &str = "sql_group";
    let cluster = cluster::start(TOPIC, 1).await;
    let broker = broker(&cluster);
    let sender = Sender::new(&cluster);
    for a in 0..6 {
        let a = a.to_string();
        sender.send(TOPIC, 0, &format!("a={a}"), &[("a", &a)]).await;
    }
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let s2 = seen.clone();
    let c = PushConsumer::builder()
        .client_config(cluster::config(&cluster, "sql"))
        .group(GROUP)
        .subscribe(TOPIC, Filter::sql92("a > 2"))
        .consume_from(ConsumeFrom::FirstOffset)
        .build()
        .await
        .expect("build");
    c.start(move |msgs: Vec<ReceivedMessage>| {
        s2.lock().expect("seen").extend(
            msgs.iter()
                .map(|m| String::from_utf8_lossy(m.body()).into_owned()),
        );
        async { ConsumeResult::Success }
    })
    .await
    .expect("start");
    until("the queue consumed to its end", || {
        broker.committed_offset(GROUP, TOPIC, 0) == Some(6)
    })
    .await;
    let mut got = seen.lock().expect("seen").clone();
    got.sort();
    assert_eq!(got, ["a=3", "a=4", "a=5"]);
    assert!(broker.requests(RequestCode::CHECK_CLIENT_CONFIG) >= 1);

    let connections = sender
        .api()
        .consumer_connection_list(sender.addr(), GROUP, TIMEOUT)
        .await
        .expect("the group is online");
    let sub = &connections.subscription_table[TOPIC];
    assert_eq!(
        (sub.expression_type.as_str(), sub.sub_string.as_str()),
        ("SQL92", "a > 2")
    );
    c.shutdown().await;
    sender.shutdown().await;
    cluster.shutdown().await;
}

/// An expression the broker cannot parse fails `start` with SUBSCRIPTION_PARSE_FAILED, and
/// the group does not stay registered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unparsable_sql92_expression_fails_start() {
    const GROUP: &str = "sql_bad_group";
    let cluster = cluster::start(TOPIC, 1).await;
    let sender = Sender::new(&cluster);
    let c = PushConsumer::builder()
        .client_config(cluster::config(&cluster, "sql_bad"))
        .group(GROUP)
        .subscribe(TOPIC, Filter::sql92("a >"))
        .build()
        .await
        .expect("build");
    let err = c
        .start(|_: Vec<ReceivedMessage>| async { ConsumeResult::Success })
        .await
        .expect_err("the broker refuses the expression");
    assert_eq!(
        err.kind(),
        ErrorKind::Broker(ResponseCode::SUBSCRIPTION_PARSE_FAILED),
        "{err}"
    );
    let online = sender
        .api()
        .consumer_connection_list(sender.addr(), GROUP, TIMEOUT)
        .await;
    assert!(online.is_err(), "unregistered at once: {online:?}");
    c.shutdown().await;
    sender.shutdown().await;
    cluster.shutdown().await;
}
