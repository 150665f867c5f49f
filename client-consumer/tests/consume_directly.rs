//! CONSUME_MESSAGE_DIRECTLY served by a running push consumer, against a scripted
//! `MockServer` name server because the testkit does not relay CONSUME_MESSAGE_DIRECTLY to a
//! client yet (Java: `AdminBrokerProcessor#consumeMessageDirectly`). The scripted peer plays
//! the broker's side of the relay: the consumer answers requests on any of its connections.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rmq_client_consumer::{ClientConfig, ConsumeResult, Filter, PushConsumer, ReceivedMessage};
use rmq_protocol::body::{ConsumeDirectlyOutcome, ConsumeMessageDirectlyResult, JsonBody};
use rmq_protocol::header::ConsumeMessageDirectlyRequestHeader;
use rmq_protocol::{Command, RequestCode, ResponseCode, StoredMessage};
use rmq_remoting::testing::{MockServer, Reply};

const TOPIC: &str = "DirectTopic";
const GROUP: &str = "direct_group";
const TIMEOUT: Duration = Duration::from_secs(10);

/// The request a broker relays: the message to consume, addressed to `GROUP`.
fn consume_directly(body: &str) -> Command {
    let mut encoded = BytesMut::new();
    StoredMessage {
        topic: TOPIC.into(),
        body: body.to_owned().into(),
        ..StoredMessage::default()
    }
    .encode(&mut encoded)
    .expect("encode the message");
    Command::request(RequestCode::CONSUME_MESSAGE_DIRECTLY)
        .with_header(&ConsumeMessageDirectlyRequestHeader {
            consumer_group: GROUP.into(),
            client_id: None,
            msg_id: None,
            broker_name: Some("broker-a".into()),
        })
        .with_body(encoded.freeze())
}

/// The consumer hands a relayed message to its listener and reports the listener's verdict:
/// CR_SUCCESS for `Success`, CR_LATER for `Later`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_directly_runs_the_listener_and_reports_its_result() {
    // A name server with no route for the topic: the consumer starts and stays connected.
    let namesrv = MockServer::start(|req: &Command| match req.request_code() {
        RequestCode::GET_ROUTEINFO_BY_TOPIC => Reply::Respond(Command::response(
            ResponseCode::TOPIC_NOT_EXIST,
            Some("no route".into()),
        )),
        _ => Reply::success(),
    })
    .await
    .expect("mock name server");
    let config = ClientConfig::builder()
        .namesrv(namesrv.addr())
        .build()
        .expect("config");
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let s2 = seen.clone();
    let c = PushConsumer::builder()
        .client_config(config)
        .group(GROUP)
        .subscribe(TOPIC, Filter::all())
        .build()
        .await
        .expect("build");
    c.start(move |msgs: Vec<ReceivedMessage>| {
        let bodies: Vec<String> = msgs
            .iter()
            .map(|m| String::from_utf8_lossy(m.body()).into_owned())
            .collect();
        let later = bodies.iter().any(|b| b == "later");
        s2.lock().expect("seen").extend(bodies);
        async move {
            if later {
                ConsumeResult::RETRY
            } else {
                ConsumeResult::Success
            }
        }
    })
    .await
    .expect("start");
    let deadline = Instant::now() + TIMEOUT;
    while namesrv.connections() == 0 {
        assert!(Instant::now() < deadline, "the consumer never connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    for (body, outcome) in [
        ("direct", ConsumeDirectlyOutcome::Success),
        ("later", ConsumeDirectlyOutcome::Later),
    ] {
        let answer = namesrv
            .request(consume_directly(body), TIMEOUT)
            .await
            .expect("the consumer answers");
        assert_eq!(answer.response_code(), ResponseCode::SUCCESS, "{answer:?}");
        let result = ConsumeMessageDirectlyResult::from_json(&answer.body).expect("result body");
        assert_eq!(result.consume_result, Some(outcome), "{body}: {result:?}");
    }
    assert_eq!(*seen.lock().expect("seen"), ["direct", "later"]);
    c.shutdown().await;
    namesrv.shutdown().await;
}
