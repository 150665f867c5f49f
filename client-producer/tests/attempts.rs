//! The send attempt loop against two scripted brokers: retries on the codes Java retries on,
//! avoiding the broker that just failed, stopping at once on other codes, and an error that
//! lists every attempt with its broker, code and remark. (The real-broker crash test in
//! `tests/tests/producer.rs` covers retrying onto a live broker after a kill.)

use std::sync::{Arc, OnceLock};
use std::time::Duration;

mod support;

use rmq_client_producer::{Error, Message, Producer};
use rmq_protocol::body::{JsonBody, TopicRouteData};
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::testing::{MockServer, Reply};
use support::{broker_data, queue_data, sends, stored};

/// `broker-a` at `a` and `broker-b` at `b`, one queue each.
fn route(a: &str, b: &str) -> TopicRouteData {
    TopicRouteData {
        broker_datas: vec![broker_data("broker-a", a), broker_data("broker-b", b)],
        queue_datas: vec![queue_data("broker-a", 1), queue_data("broker-b", 1)],
        ..TopicRouteData::default()
    }
}

/// A broker that is also the name server: it answers route queries with `route_of(its own
/// address)` and sends with `send`.
async fn namesrv_and_broker(
    route_of: impl Fn(&str) -> TopicRouteData + Send + Sync + 'static,
    send: impl Fn() -> Reply + Send + Sync + 'static,
) -> MockServer {
    let addr: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let me = addr.clone();
    let server = MockServer::start(move |req: &Command| match req.request_code() {
        RequestCode::GET_ROUTEINFO_BY_TOPIC => {
            let body = route_of(me.get().map_or("", String::as_str))
                .to_json()
                .expect("route");
            Reply::Respond(Command::response(ResponseCode::SUCCESS, None).with_body(body))
        }
        RequestCode::SEND_MESSAGE_V2 => send(),
        _ => Reply::success(),
    })
    .await
    .expect("name server and broker");
    let _ = addr.set(server.addr());
    server
}

/// `a` is also the name server; each broker answers sends with `a_send` / `b_send`.
async fn brokers(
    a_send: impl Fn() -> Reply + Send + Sync + 'static,
    b_send: impl Fn() -> Reply + Send + Sync + 'static,
) -> (MockServer, MockServer) {
    let b = MockServer::start(move |req: &Command| match req.request_code() {
        RequestCode::SEND_MESSAGE_V2 => b_send(),
        _ => Reply::success(),
    })
    .await
    .expect("broker-b");
    let b_addr = b.addr();
    let a = namesrv_and_broker(move |me| route(me, &b_addr), a_send).await;
    (a, b)
}

/// Sends `n` messages, each of which must succeed on broker-b.
async fn send_all_to_b(producer: &Producer, n: usize) {
    for i in 0..n {
        let receipt = producer
            .send(&Message::new("T", format!("m{i}")))
            .await
            .unwrap_or_else(|e| panic!("send {i} failed: {e}"));
        assert_eq!(receipt.queue().broker_name, "broker-b");
    }
}

fn failing(code: ResponseCode, remark: &'static str) -> impl Fn() -> Reply + Send + Sync + 'static {
    move || Reply::Respond(Command::response(code, Some(remark.into())))
}

async fn producer(namesrv: &str) -> Producer {
    Producer::builder()
        .namesrv(namesrv)
        .group("attempts_pg")
        .retries(2)
        .send_timeout(Duration::from_secs(5))
        .build()
        .await
        .expect("producer")
}

#[tokio::test]
async fn a_retried_code_moves_to_the_other_broker_and_succeeds_there() {
    let (a, _b) = brokers(failing(ResponseCode::SYSTEM_ERROR, "disk full"), stored).await;
    let producer = producer(&a.addr()).await;
    send_all_to_b(&producer, 4).await;
    producer.shutdown().await;
}

#[tokio::test]
async fn when_every_attempt_fails_the_error_lists_them_all() {
    let (a, _b) = brokers(
        failing(ResponseCode::SYSTEM_ERROR, "disk full"),
        failing(ResponseCode::SERVICE_NOT_AVAILABLE, "not ready"),
    )
    .await;
    let producer = producer(&a.addr()).await;
    let err = producer
        .send(&Message::new("T", "x"))
        .await
        .expect_err("both brokers refuse");
    let Error::Send { attempts, .. } = &err else {
        panic!("expected a send error, got {err:?}")
    };
    assert_eq!(attempts.len(), 3, "1 + 2 retries: {attempts:#?}");
    for pair in attempts.windows(2) {
        assert_ne!(
            pair[0].broker_name, pair[1].broker_name,
            "the broker that just failed is avoided"
        );
    }
    for attempt in attempts {
        let (code, remark) = match attempt.broker_name.as_str() {
            "broker-a" => (ResponseCode::SYSTEM_ERROR, "disk full"),
            _ => (ResponseCode::SERVICE_NOT_AVAILABLE, "not ready"),
        };
        assert_eq!(attempt.response_code(), Some(code));
        assert_eq!(attempt.remark(), Some(remark));
        assert!(attempt.addr.is_some());
    }
    let text = err.to_string();
    assert!(
        text.contains('3') || text.contains("attempt"),
        "the message says how many attempts: {text}"
    );
    producer.shutdown().await;
}

#[tokio::test]
async fn a_code_java_does_not_retry_fails_after_one_attempt() {
    let (a, b) = brokers(
        failing(ResponseCode::MESSAGE_ILLEGAL, "too big"),
        failing(ResponseCode::MESSAGE_ILLEGAL, "too big"),
    )
    .await;
    let producer = producer(&a.addr()).await;
    let err = producer
        .send(&Message::new("T", "x"))
        .await
        .expect_err("illegal");
    assert_eq!(err.response_code(), Some(ResponseCode::MESSAGE_ILLEGAL));
    assert_eq!(sends(&a) + sends(&b), 1, "no retry on MESSAGE_ILLEGAL");
    producer.shutdown().await;
}

/// A frozen broker (it accepts the request and never answers) costs one attempt's share of
/// the deadline, not all of it: the retry on the other broker fits in the caller's deadline.
#[tokio::test]
async fn a_frozen_broker_leaves_time_to_retry_on_the_other() {
    let (a, _b) = brokers(|| Reply::Nothing, stored).await;
    let producer = Producer::builder()
        .namesrv(a.addr())
        .group("frozen_pg")
        .retries(2)
        .send_timeout(Duration::from_millis(1500))
        .build()
        .await
        .expect("producer");
    send_all_to_b(&producer, 4).await;
    let frozen = sends(&a);
    assert!(
        frozen >= 1,
        "round-robin tried the frozen broker first at least once"
    );
    producer.shutdown().await;
}

/// A broker shedding load (SYSTEM_BUSY) sends the attempt to the other broker, and the busy
/// answer is counted.
#[tokio::test]
async fn a_busy_broker_is_retried_on_the_other_and_counted() {
    let (a, _b) = brokers(
        failing(
            ResponseCode::SYSTEM_BUSY,
            "[PCBUSY_CLEAN_QUEUE]broker busy, start flow control for a while",
        ),
        stored,
    )
    .await;
    let producer = producer(&a.addr()).await;
    send_all_to_b(&producer, 4).await;
    let busy = sends(&a) as u64;
    assert!(
        busy >= 1,
        "round-robin tried the busy broker first at least once"
    );
    assert_eq!(producer.instance().back_pressure().sends, busy);
    producer.shutdown().await;
}

/// A broker whose connect is refused (it died) is not dialed again on every send: after the
/// first refusal, sends go to the live broker without trying it, until its backoff ends.
#[tokio::test]
async fn a_dead_broker_is_not_dialed_on_every_send() {
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").to_string()
    };
    let live = namesrv_and_broker(move |me| route(&dead, me), stored).await;
    let producer = producer(&live.addr()).await;
    send_all_to_b(&producer, 10).await;
    let failures = producer
        .instance()
        .api()
        .remoting()
        .metrics()
        .connect_failures;
    assert!(
        failures <= 2,
        "the dead broker was dialed {failures} times for 10 sends"
    );
    producer.shutdown().await;
    live.shutdown().await;
}
