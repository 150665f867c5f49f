//! The shared cluster is up and answers our own frame codec in both header encodings, and a
//! private cluster survives a broker crash and restart.

use std::time::Duration;

use bytes::BytesMut;
use rmq_protocol::frame::{decode_frame, DEFAULT_MAX_FRAME};
use rmq_protocol::{Command, RequestCode, ResponseCode, SerializeType};
use rmq_tests::server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends `GET_BROKER_CLUSTER_INFO` with `serialize_type` headers and returns the response.
async fn cluster_info(namesrv: &str, serialize_type: SerializeType) -> Command {
    let exchange = async {
        let mut stream = TcpStream::connect(namesrv)
            .await
            .expect("connect to the name server");
        let mut request = Command::request(RequestCode::GET_BROKER_CLUSTER_INFO)
            .with_serialize_type(serialize_type);
        request.opaque = 7;
        let mut out = BytesMut::new();
        request.encode(&mut out).expect("encode the request");
        stream.write_all(&out).await.expect("send the request");
        let mut buf = BytesMut::with_capacity(4096);
        loop {
            if let Some(response) =
                decode_frame(&mut buf, DEFAULT_MAX_FRAME).expect("a valid frame")
            {
                return response;
            }
            let n = stream.read_buf(&mut buf).await.expect("read the response");
            assert!(
                n > 0,
                "the name server closed the connection without answering"
            );
        }
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .expect("the name server answers within 10 s")
}

async fn assert_lists_shared_broker(serialize_type: SerializeType) {
    let shared = rmq_tests::shared();
    let response = cluster_info(&shared.namesrv, serialize_type).await;
    assert!(response.is_response());
    assert_eq!(response.opaque, 7);
    assert_eq!(
        response.response_code(),
        ResponseCode::SUCCESS,
        "remark: {:?}",
        response.remark
    );
    let body = String::from_utf8_lossy(&response.body);
    assert!(
        body.contains(&format!("\"{}\"", shared.broker)),
        "broker {} not in {body}",
        shared.broker
    );
    assert!(
        body.contains(&format!("\"{}\"", shared.cluster)),
        "cluster {} not in {body}",
        shared.cluster
    );
}

#[tokio::test]
async fn cluster_info_lists_the_shared_broker_with_json_headers() {
    assert_lists_shared_broker(SerializeType::Json).await;
}

#[tokio::test]
async fn cluster_info_lists_the_shared_broker_with_rocketmq_headers() {
    assert_lists_shared_broker(SerializeType::RocketMq).await;
}

#[test]
fn private_cluster_drops_a_killed_broker_and_takes_it_back() {
    let mut cluster = rmq_tests::Cluster::start(2);
    assert_eq!(cluster.broker_names(), ["broker-a", "broker-b"]);
    let namesrv = cluster.namesrv_addr();
    let b_addr = cluster.broker_addr("broker-b");
    let listed = |addr: &str| {
        let body = server::cluster_info(&namesrv, Duration::from_secs(3)).expect("cluster info");
        server::lists_broker(&body, "broker-b", addr)
    };
    assert!(listed(&b_addr));

    cluster.kill_broker("broker-b");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while listed(&b_addr) {
        assert!(
            std::time::Instant::now() < deadline,
            "broker-b still listed 30 s after SIGKILL"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    cluster.restart_broker("broker-b");
    assert!(listed(&b_addr));
}
