//! Recall (5.x RECALL_MESSAGE) end to end: a delivery-time send's receipt carries the recall
//! handle, and `Producer::recall` with it before the delivery time keeps the message from ever
//! arriving, while another message due at the same time arrives. Recall is off by default on
//! a Java 5.3.3 broker (`recallMessageEnable`), so the test turns it on first. Runs on the testkit
//! and on the crates.io broker alike (`cargo xtask it --real -- --test recall`), which has no such
//! switch and answers a handle it refuses with nothing at all (docs/ci-broker.md): Java's
//! refusals are checked on the testkit (`testkit/tests/recall.rs`).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use rmq_client_core::ClientApi;
use rmq_client_producer::{Message, Producer};
use rmq_protocol::body::TopicConfig;
use rmq_protocol::header::PullMessageRequestHeader;
use rmq_protocol::message::{decode_stored, DecodeOptions};
use rmq_protocol::{naming, ResponseCode, StoredMessage};
use rmq_tests::names;

const T: Duration = Duration::from_secs(5);

/// Every message in queue 0 of `topic` from offset 0 (at most 32).
async fn messages(api: &ClientApi, broker: &str, topic: &str) -> Vec<StoredMessage> {
    let header = PullMessageRequestHeader {
        consumer_group: "rmq_recall_tests_reader".into(),
        topic: topic.to_owned(),
        queue_id: 0,
        queue_offset: 0,
        max_msg_nums: 32,
        sys_flag: 0x4,
        commit_offset: 0,
        suspend_timeout_millis: 0,
        subscription: Some("*".into()),
        sub_version: 0,
        expression_type: Some("TAG".into()),
        max_msg_bytes: None,
        broker_name: None,
    };
    let response = api
        .pull_message(broker, &header, T)
        .await
        .expect("pull answered");
    if response.body.is_empty() {
        return Vec::new();
    }
    decode_stored(response.body, DecodeOptions::new()).expect("decode pulled messages")
}

/// Creates a one-queue `topic` on `broker` and waits until the name server routes it.
async fn create_topic(api: &ClientApi, broker: &str, topic: &str) {
    let config = TopicConfig {
        topic_name: topic.to_owned(),
        read_queue_nums: 1,
        write_queue_nums: 1,
        ..TopicConfig::default()
    };
    api.create_topic(broker, naming::AUTO_CREATE_TOPIC_KEY_TOPIC, &config, T)
        .await
        .expect("create topic");
    let routed = rmq_tests::eventually(Duration::from_secs(20), || async {
        matches!(api.topic_route(topic, T).await, Ok(Some(_)))
    })
    .await;
    assert!(routed, "name server never routed {topic}");
}

/// The recalled message never arrives; the one sent beside it with the same delivery time
/// does, and nothing else shows up in the queue.
#[tokio::test]
async fn a_recalled_delivery_time_message_never_arrives() {
    let shared = rmq_tests::shared();
    let p = Producer::builder()
        .namesrv(&shared.namesrv)
        .group(names::group("recall"))
        .build()
        .await
        .expect("producer starts");
    let api = p.instance().api();
    let enable = BTreeMap::from([("recallMessageEnable".to_owned(), "true".to_owned())]);
    match api.broker_config_update(&shared.broker, &enable, T).await {
        Ok(()) => {}
        // The crates.io broker has no such switch (code 29, "unsupported broker configuration
        // keys") and always serves recall: docs/ci-broker.md.
        Err(e)
            if rmq_tests::real_servers()
                && e.response_code() == Some(ResponseCode::INVALID_PARAMETER) => {}
        Err(e) => panic!("enable recall: {e}"),
    }
    let topic = names::topic("recall");
    create_topic(api, &shared.broker, &topic).await;

    let at = SystemTime::now() + Duration::from_secs(3);
    let recalled = p
        .send(&Message::new(&topic, "recalled").with_delivery_time(at))
        .await
        .expect("delivery-time send");
    let kept = p
        .send(&Message::new(&topic, "kept").with_delivery_time(at))
        .await
        .expect("delivery-time send");
    assert!(
        kept.recall_handle().is_some(),
        "every timer receipt has one"
    );
    let handle = recalled
        .recall_handle()
        .expect("a delivery-time receipt carries a recall handle");
    let id = p.recall(&topic, handle).await.expect("recalled in time");
    assert_eq!(
        id,
        *recalled.msg_id(),
        "the broker names the recalled message"
    );

    let arrived = rmq_tests::eventually(Duration::from_secs(20), || async {
        !messages(api, &shared.broker, &topic).await.is_empty()
    })
    .await;
    assert!(arrived, "the kept message arrives at its time");
    // Both were due at once: give a wrong delivery of the recalled one time to show up.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = messages(api, &shared.broker, &topic).await;
    let bodies: Vec<&[u8]> = got.iter().map(|m| m.body.as_ref()).collect();
    assert_eq!(bodies, [b"kept".as_slice()]);
    p.shutdown().await;
}
