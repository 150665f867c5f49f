//! A burst of sends on a fresh producer against a slow name server: the route lookups are
//! single-flight (one GET_ROUTEINFO_BY_TOPIC for the whole burst, no error), and a lookup that
//! fails fails every waiter with its cause, not with "0 attempt(s)" or a lock timeout.

mod support;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::future::join_all;
use rmq_client_producer::{Message, Producer};
use rmq_protocol::body::JsonBody;
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::testing::{MockServer, Reply};
use support::{broker_a_route, stored};

/// How many sends the burst issues at once.
const BURST: usize = 400;
/// The name server's added latency on route lookups.
const NAMESRV_DELAY: Duration = Duration::from_millis(400);

/// One peer that is name server and broker; route lookups for `T` answer `route_answer` (or
/// the route) after [`NAMESRV_DELAY`].
async fn cluster(route_answer: Option<(ResponseCode, &'static str)>) -> MockServer {
    let me: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let addr = me.clone();
    let server = MockServer::start(move |req: &Command| match req.request_code() {
        RequestCode::GET_ROUTEINFO_BY_TOPIC => {
            let response = match (req.ext_fields.get("topic"), route_answer) {
                (Some("T"), Some((code, remark))) => Command::response(code, Some(remark.into())),
                _ => {
                    let body = broker_a_route(addr.get().map_or("", String::as_str), 4)
                        .to_json()
                        .expect("route");
                    Command::response(ResponseCode::SUCCESS, None).with_body(body)
                }
            };
            Reply::Delayed(NAMESRV_DELAY, response)
        }
        RequestCode::SEND_MESSAGE_V2 => stored(),
        _ => Reply::success(),
    })
    .await
    .expect("mock server");
    let _ = me.set(server.addr());
    server
}

fn lookups_of_t(server: &MockServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|c| {
            c.request_code() == RequestCode::GET_ROUTEINFO_BY_TOPIC
                && c.ext_fields.get("topic") == Some("T")
        })
        .count()
}

async fn producer(namesrv: &str, group: &str) -> Producer {
    Producer::builder()
        .namesrv(namesrv)
        .group(group)
        .send_timeout(Duration::from_secs(10))
        .build()
        .await
        .expect("producer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_on_a_fresh_producer_makes_one_route_lookup_and_no_error() {
    let server = cluster(None).await;
    let producer = producer(&server.addr(), "burst_ok_pg").await;
    let sends = (0..BURST).map(|i| {
        let producer = producer.clone();
        tokio::spawn(async move { producer.send(&Message::new("T", format!("m{i}"))).await })
    });
    let results = join_all(sends).await;
    let errors: Vec<String> = results
        .into_iter()
        .filter_map(|r| match r.expect("send task") {
            Ok(_) => None,
            Err(e) => Some(e.to_string()),
        })
        .collect();
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    assert_eq!(lookups_of_t(&server), 1, "one shared lookup for the burst");
    producer.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_shared_lookup_fails_every_waiter_with_its_cause() {
    let server = cluster(Some((ResponseCode::SYSTEM_ERROR, "name server on fire"))).await;
    let producer = producer(&server.addr(), "burst_fail_pg").await;
    let sends = (0..BURST).map(|i| {
        let producer = producer.clone();
        tokio::spawn(async move { producer.send(&Message::new("T", format!("m{i}"))).await })
    });
    let results = join_all(sends).await;
    for result in results {
        let err = result.expect("send task").expect_err("the lookup fails");
        let text = err.to_string();
        assert!(
            text.starts_with("route lookup for topic T failed: "),
            "{text}"
        );
        assert!(text.contains("SYSTEM_ERROR"), "{text}");
        assert!(text.contains("name server on fire"), "{text}");
        assert!(!text.contains("0 attempt"), "{text}");
        assert_eq!(err.response_code(), Some(ResponseCode::SYSTEM_ERROR));
    }
    assert_eq!(
        lookups_of_t(&server),
        1,
        "the waiters shared the failed lookup"
    );
    producer.shutdown().await;
    server.shutdown().await;
}
