//! The producer against the real local cluster: every send form, ordered sends, batches,
//! compression on the wire, transactions (commit, rollback, unknown resolved by a check after a
//! restart of the producer), request-reply, delay levels, and a broker crash in a two-broker
//! cluster. Messages are read back by offset with PULL_MESSAGE.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq_client_core::ClientApi;
use rmq_client_producer::{
    reply_to, ErrorKind, Message, MessageQueue, Producer, SelectByHash, SendStatus, StoredMessage,
    TransactionProducer, TransactionState,
};
use rmq_protocol::body::TopicConfig;
use rmq_protocol::header::PullMessageRequestHeader;
use rmq_protocol::message::{decode_stored, DecodeOptions};
use rmq_protocol::{compression, naming};
use rmq_tests::names;

const T: Duration = Duration::from_secs(5);

async fn producer_for(namesrv: &str, test: &str) -> Producer {
    Producer::builder()
        .namesrv(namesrv)
        .group(names::group(test))
        .build()
        .await
        .expect("producer starts")
}

/// Creates `topic` with `queues` queues on `broker` and waits until the name server routes it.
async fn create_topic(api: &ClientApi, broker: &str, topic: &str, queues: i32) {
    let config = TopicConfig {
        topic_name: topic.to_owned(),
        read_queue_nums: queues,
        write_queue_nums: queues,
        ..TopicConfig::default()
    };
    api.create_topic(broker, naming::AUTO_CREATE_TOPIC_KEY_TOPIC, &config, T)
        .await
        .expect("create topic");
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(route)) = api.topic_route(topic, T).await {
            let brokers = route
                .broker_datas
                .iter()
                .flat_map(|b| b.broker_addrs.values());
            if brokers.into_iter().any(|a| a == broker) {
                return;
            }
        }
        assert!(
            Instant::now() < until,
            "name server never routed {topic} to {broker}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Up to `max` messages of one queue from `offset` (empty when none yet).
async fn pull(
    api: &ClientApi,
    broker: &str,
    topic: &str,
    queue_id: i32,
    offset: i64,
    max: i32,
    decompress: bool,
) -> Vec<StoredMessage> {
    let header = PullMessageRequestHeader {
        consumer_group: "rmq_producer_tests_reader".into(),
        topic: topic.to_owned(),
        queue_id,
        queue_offset: offset,
        max_msg_nums: max,
        sys_flag: 0x4,
        commit_offset: 0,
        suspend_timeout_millis: 0,
        subscription: Some("*".into()),
        sub_version: 0,
        expression_type: Some("TAG".into()),
        max_msg_bytes: None,
        broker_name: None,
    };
    // A broker restarted a moment ago may still be in the client's reconnect backoff (marked
    // unavailable after the refused connects while it was down): retry until it is probed again.
    let until = Instant::now() + Duration::from_secs(20);
    let response = loop {
        match api.pull_message(broker, &header, T).await {
            Ok(r) => break r,
            Err(e) if Instant::now() < until => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("pull from {broker}: {e}"),
        }
    };
    if response.body.is_empty() {
        return Vec::new();
    }
    let options = DecodeOptions::new().with_decompress(decompress);
    decode_stored(response.body, options).expect("decode pulled messages")
}

/// Pulls until `n` messages from `offset` are there (within 20 s).
async fn pull_n(
    api: &ClientApi,
    broker: &str,
    topic: &str,
    queue_id: i32,
    offset: i64,
    n: usize,
) -> Vec<StoredMessage> {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let got = pull(api, broker, topic, queue_id, offset, n as i32, true).await;
        if got.len() >= n {
            return got;
        }
        assert!(
            Instant::now() < until,
            "only {} of {n} messages in {topic}[{queue_id}] from {offset}",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn api(p: &Producer) -> &ClientApi {
    p.instance().api()
}

/// Sync, async, oneway, to-queue and batch sends are all stored and read back by offset.
#[tokio::test]
async fn every_send_form_is_stored_and_read_back_by_offset() {
    let shared = rmq_tests::shared();
    let p = producer_for(&shared.namesrv, "every_send_form").await;
    let topic = names::topic("every_send_form");
    create_topic(api(&p), &shared.broker, &topic, 4).await;

    let sync = p
        .send(&Message::new(&topic, "sync").with_tag("A").with_keys(["k1"]))
        .await
        .expect("sync send");
    assert_eq!(sync.status(), SendStatus::Ok);
    assert_eq!(sync.msg_id().as_str().len(), 32);
    assert_ne!(sync.msg_id(), sync.offset_msg_id());
    assert_eq!(sync.queue().topic, topic);

    let pending = p
        .send_async(&Message::new(&topic, "async"))
        .await
        .expect("async accepted");
    let asynced = pending.await.expect("async send");

    let queue = MessageQueue::new(&topic, &sync.queue().broker_name, 2);
    let to_queue = p
        .send_to(&queue, &Message::new(&topic, "to-queue"))
        .await
        .expect("send to queue");
    assert_eq!(to_queue.queue().queue_id, 2);

    let batch: Vec<Message> = (0..3)
        .map(|i| Message::new(&topic, format!("batch-{i}")))
        .collect();
    let batched = p.send_batch(&batch).await.expect("batch");
    assert_eq!(batched.msg_ids().len(), 3);

    p.send_oneway(&Message::new(&topic, "oneway"))
        .await
        .expect("oneway written");

    for (receipt, body) in [
        (&sync, "sync"),
        (&asynced, "async"),
        (&to_queue, "to-queue"),
    ] {
        let got = pull_n(
            api(&p),
            &shared.broker,
            &topic,
            receipt.queue().queue_id,
            receipt.queue_offset(),
            1,
        )
        .await;
        assert_eq!(got[0].body.as_ref(), body.as_bytes());
        assert_eq!(got[0].msg_id(), receipt.msg_id(), "UNIQ_KEY is the msg id");
    }
    assert_eq!(
        pull_n(
            api(&p),
            &shared.broker,
            &topic,
            sync.queue().queue_id,
            sync.queue_offset(),
            1
        )
        .await[0]
            .tags(),
        Some("A")
    );
    let got = pull_n(
        api(&p),
        &shared.broker,
        &topic,
        batched.queue().queue_id,
        batched.queue_offset(),
        3,
    )
    .await;
    let bodies: Vec<_> = got.iter().take(3).map(|m| m.body.clone()).collect();
    assert_eq!(bodies, ["batch-0", "batch-1", "batch-2"]);
    let ids: Vec<String> = got.iter().take(3).map(|m| m.msg_id()).collect();
    assert_eq!(ids, batched.msg_ids());
    assert_eq!(ids.join(","), batched.joined_msg_id());

    // The oneway message shows up in some queue.
    let until = Instant::now() + Duration::from_secs(10);
    'found: loop {
        for q in 0..4 {
            let all = pull(api(&p), &shared.broker, &topic, q, 0, 32, true).await;
            if all.iter().any(|m| m.body.as_ref() == b"oneway") {
                break 'found;
            }
        }
        assert!(Instant::now() < until, "oneway message never stored");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    p.shutdown().await;
    assert_eq!(
        p.send(&Message::new(&topic, "late"))
            .await
            .expect_err("closed")
            .kind(),
        ErrorKind::Shutdown
    );
}

/// Invalid messages fail before any network call, with clear errors.
#[tokio::test]
async fn invalid_messages_are_refused_before_sending() {
    let shared = rmq_tests::shared();
    let p = producer_for(&shared.namesrv, "invalid_messages").await;
    for msg in [
        Message::new("bad topic", "x"),
        Message::new("ok_topic", ""),
        Message::new("ok_topic", vec![0u8; 4 * 1024 * 1024 + 1]),
    ] {
        let e = p.send(&msg).await.expect_err("refused");
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    }
    p.shutdown().await;
}

/// Messages with one sharding key land in one queue, in send order.
#[tokio::test]
async fn ordered_sends_land_in_the_selected_queue_in_order() {
    let shared = rmq_tests::shared();
    let p = producer_for(&shared.namesrv, "ordered_sends").await;
    let topic = names::topic("ordered_sends");
    create_topic(api(&p), &shared.broker, &topic, 8).await;
    let mut receipts = Vec::new();
    for i in 0..20 {
        let msg = Message::new(&topic, format!("step-{i}")).with_sharding_key("order-42");
        receipts.push(
            p.send_ordered(&msg, &SelectByHash)
                .await
                .expect("ordered send"),
        );
    }
    let queue = receipts[0].queue().clone();
    assert!(receipts.iter().all(|r| r.queue() == &queue), "one queue");
    let offsets: Vec<i64> = receipts.iter().map(|r| r.queue_offset()).collect();
    assert!(offsets.windows(2).all(|w| w[1] == w[0] + 1), "{offsets:?}");
    let got = pull_n(
        api(&p),
        &shared.broker,
        &topic,
        queue.queue_id,
        offsets[0],
        20,
    )
    .await;
    let bodies: Vec<String> = got
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect();
    let expected: Vec<String> = (0..20).map(|i| format!("step-{i}")).collect();
    assert_eq!(bodies, expected);
    let by_closure = |qs: &[MessageQueue], _: &Message| Some(qs.len() - 1);
    let last = p
        .send_ordered(&Message::new(&topic, "last"), &by_closure)
        .await
        .expect("closure selector");
    assert_eq!(last.queue().queue_id, 7);
    p.shutdown().await;
}

/// A body over 4 KiB is zlib-compressed on the wire (sys flag 0x301) and reads back intact.
#[tokio::test]
async fn large_body_is_compressed_on_the_wire_and_read_back_intact() {
    let shared = rmq_tests::shared();
    let p = producer_for(&shared.namesrv, "compressed_body").await;
    let topic = names::topic("compressed_body");
    create_topic(api(&p), &shared.broker, &topic, 4).await;
    let body: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    let r = p
        .send(&Message::new(&topic, body.clone()))
        .await
        .expect("send");
    pull_n(
        api(&p),
        &shared.broker,
        &topic,
        r.queue().queue_id,
        r.queue_offset(),
        1,
    )
    .await;
    let raw = pull(
        api(&p),
        &shared.broker,
        &topic,
        r.queue().queue_id,
        r.queue_offset(),
        1,
        false,
    )
    .await;
    assert_eq!(raw[0].sys_flag & 0x701, 0x301, "compressed with zlib");
    assert_ne!(raw[0].body.as_ref(), body.as_slice());
    let inflated = compression::decompress_zlib(&raw[0].body, 1 << 20).expect("inflate");
    assert_eq!(inflated, body);
    p.shutdown().await;
}

/// A message with a delay level is accepted and delivered later.
#[tokio::test]
async fn delay_level_is_accepted_and_delivered() {
    let shared = rmq_tests::shared();
    let p = producer_for(&shared.namesrv, "delay_level").await;
    let topic = names::topic("delay_level");
    create_topic(api(&p), &shared.broker, &topic, 1).await;
    let r = p
        .send(&Message::new(&topic, "later").with_delay_level(1))
        .await
        .expect("delayed send");
    assert_eq!(r.status(), SendStatus::Ok);
    let got = pull_n(api(&p), &shared.broker, &topic, 0, 0, 1).await;
    assert_eq!(got[0].body.as_ref(), b"later");
    p.shutdown().await;
}

async fn max_offsets(api: &ClientApi, broker: &str, topic: &str, queues: i32) -> i64 {
    let mut sum = 0;
    for q in 0..queues {
        sum += api.max_offset(broker, topic, q, T).await.unwrap_or(0);
    }
    sum
}

/// A committed transaction is delivered; a rolled-back one is not.
#[tokio::test]
async fn committed_transaction_is_delivered_and_rolled_back_one_is_not() {
    let shared = rmq_tests::shared();
    let tp = TransactionProducer::builder()
        .namesrv(&shared.namesrv)
        .group(names::group("tx_commit_rollback"))
        .checker(|_m: StoredMessage| async { TransactionState::Rollback })
        .build()
        .await
        .expect("tx producer");
    let api = tp.as_producer().instance().api().clone();
    let committed = names::topic("tx_committed");
    let rolled = names::topic("tx_rolled_back");
    create_topic(&api, &shared.broker, &committed, 1).await;
    create_topic(&api, &shared.broker, &rolled, 1).await;

    let done = tp
        .send_in_transaction(&Message::new(&committed, "commit-me"), |r| async move {
            assert!(!r.msg_id().as_str().is_empty());
            TransactionState::Commit
        })
        .await
        .expect("commit");
    assert_eq!(done.state(), TransactionState::Commit);
    assert_eq!(
        done.receipt().transaction_id(),
        Some(done.receipt().msg_id().as_str())
    );
    let got = pull_n(&api, &shared.broker, &committed, 0, 0, 1).await;
    assert_eq!(got[0].body.as_ref(), b"commit-me");
    assert_eq!(got[0].msg_id(), done.receipt().msg_id());

    let done = tp
        .send_in_transaction(&Message::new(&rolled, "drop-me"), |_| async {
            TransactionState::Rollback
        })
        .await
        .expect("rollback");
    assert_eq!(done.state(), TransactionState::Rollback);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(max_offsets(&api, &shared.broker, &rolled, 1).await, 0);
    tp.shutdown().await;
}

/// A transaction left unknown is checked back by the broker and resolved by the checker of a
/// producer of the same group started after the first one shut down.
#[tokio::test]
async fn unknown_transaction_is_checked_back_after_a_producer_restart() {
    let shared = rmq_tests::shared();
    let group = names::group("tx_unknown");
    let topic = names::topic("tx_unknown");
    let first = TransactionProducer::builder()
        .namesrv(&shared.namesrv)
        .group(&group)
        .checker(|_m: StoredMessage| async { TransactionState::Unknown })
        .build()
        .await
        .expect("first tx producer");
    let api = first.as_producer().instance().api().clone();
    create_topic(&api, &shared.broker, &topic, 1).await;
    let done = first
        .send_in_transaction(&Message::new(&topic, "decide-later"), |_| async {
            TransactionState::Unknown
        })
        .await
        .expect("half message");
    let msg_id = done.receipt().msg_id().to_owned();
    first.shutdown().await;

    let checked = Arc::new(AtomicBool::new(false));
    let seen = checked.clone();
    let expected = msg_id.clone();
    let second = TransactionProducer::builder()
        .namesrv(&shared.namesrv)
        .group(&group)
        .checker(move |m: StoredMessage| {
            let ours = m.msg_id() == expected;
            if ours {
                seen.store(true, Ordering::SeqCst);
            }
            async move {
                if ours {
                    TransactionState::Commit
                } else {
                    TransactionState::Unknown
                }
            }
        })
        .build()
        .await
        .expect("second tx producer");
    let api = second.as_producer().instance().api().clone();
    // rocketmq-broker 1.0.0 checks half messages every 30 s, older than 6 s; allow six rounds so
    // a round that picks a channel the broker has not dropped yet is retried.
    let until = Instant::now() + Duration::from_secs(180);
    loop {
        let got = pull(&api, &shared.broker, &topic, 0, 0, 1, true).await;
        if let Some(m) = got.first() {
            assert_eq!(m.msg_id(), msg_id);
            break;
        }
        assert!(Instant::now() < until, "the check-back never committed");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(checked.load(Ordering::SeqCst), "the checker was asked");
    second.shutdown().await;
}

/// A request gets the reply a responder sends back; a request nobody answers times out and
/// leaves no waiter behind.
#[tokio::test]
async fn request_reply_round_trip_with_a_responder() {
    let shared = rmq_tests::shared();
    let requester = producer_for(&shared.namesrv, "request_reply_req").await;
    let responder = producer_for(&shared.namesrv, "request_reply_resp").await;
    let topic = names::topic("request_reply");
    create_topic(api(&requester), &shared.broker, &topic, 1).await;

    let stop = Arc::new(AtomicBool::new(false));
    let serve = {
        let (responder, topic, broker, stop) = (
            responder.clone(),
            topic.clone(),
            shared.broker.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            let mut offset = 0;
            while !stop.load(Ordering::SeqCst) {
                let got = pull(
                    responder.instance().api(),
                    &broker,
                    &topic,
                    0,
                    offset,
                    16,
                    true,
                )
                .await;
                for m in &got {
                    offset = m.queue_offset + 1;
                    let body = format!("re: {}", String::from_utf8_lossy(&m.body));
                    let reply = reply_to(m, body).expect("a request");
                    responder.send(&reply).await.expect("reply sent");
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let reply = requester
        .request(&Message::new(&topic, "ping"), Duration::from_secs(10))
        .await
        .expect("reply");
    assert_eq!(reply.body.as_ref(), b"re: ping");
    let pending = requester
        .request_async(&Message::new(&topic, "ping2"), Duration::from_secs(10))
        .await
        .expect("async request");
    assert_eq!(pending.await.expect("reply 2").body.as_ref(), b"re: ping2");
    stop.store(true, Ordering::SeqCst);
    serve.await.expect("responder");

    let unanswered = names::topic("request_unanswered");
    create_topic(api(&requester), &shared.broker, &unanswered, 1).await;
    let e = requester
        .request(&Message::new(&unanswered, "hello?"), Duration::from_secs(1))
        .await
        .expect_err("no responder");
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        requester.instance().replies().is_empty(),
        "timed-out request cleaned up"
    );
    requester.shutdown().await;
    responder.shutdown().await;
}

/// Two broker groups; one is killed while a producer sends: every send still succeeds (on the
/// other broker, through retries and fault tolerance) and every acknowledged message is read
/// back by offset, on the surviving broker and on the crashed one after its restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_survive_a_broker_crash_and_no_acknowledged_message_is_lost() {
    let mut cluster = tokio::task::spawn_blocking(|| rmq_tests::Cluster::start(2))
        .await
        .expect("cluster thread");
    let namesrv = cluster.namesrv_addr();
    let p = Producer::builder()
        .namesrv(&namesrv)
        .group(names::group("broker_crash"))
        .latency_fault_tolerance(true)
        .build()
        .await
        .expect("producer");
    let topic = names::topic("broker_crash");
    let (a, b) = (
        cluster.broker_addr("broker-a"),
        cluster.broker_addr("broker-b"),
    );
    create_topic(api(&p), &a, &topic, 2).await;
    create_topic(api(&p), &b, &topic, 2).await;

    let mut acked = Vec::new();
    let mut brokers = BTreeSet::new();
    let mut cluster_slot = Some(cluster);
    for i in 0..120 {
        if i == 40 {
            let mut c = cluster_slot.take().expect("cluster");
            c = tokio::task::spawn_blocking(move || {
                c.kill_broker("broker-b");
                c
            })
            .await
            .expect("kill");
            cluster_slot = Some(c);
        }
        let body = format!("m-{i}");
        let r = p
            .send(&Message::new(&topic, body.clone()))
            .await
            .unwrap_or_else(|e| panic!("send {i} failed: {e}"));
        brokers.insert(r.queue().broker_name.clone());
        acked.push((r, body));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        brokers.len(),
        2,
        "both brokers took messages before the crash"
    );
    assert!(
        acked[60..]
            .iter()
            .all(|(r, _)| r.queue().broker_name == "broker-a"),
        "after the crash every send went to the surviving broker"
    );
    let mut c = cluster_slot.take().expect("cluster");
    cluster = tokio::task::spawn_blocking(move || {
        c.restart_broker("broker-b");
        c
    })
    .await
    .expect("restart");
    for (r, body) in &acked {
        let addr = cluster.broker_addr(&r.queue().broker_name);
        let got = pull_n(
            api(&p),
            &addr,
            &topic,
            r.queue().queue_id,
            r.queue_offset(),
            1,
        )
        .await;
        assert_eq!(got[0].body.as_ref(), body.as_bytes(), "{:?}", r.queue());
        assert_eq!(got[0].msg_id(), r.msg_id());
    }
    p.shutdown().await;
    drop(cluster);
}
