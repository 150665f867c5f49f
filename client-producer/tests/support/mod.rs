//! Pieces shared by the producer tests that script their own brokers on a [`MockServer`]: the
//! route of a broker group, the answer to a stored send, and how many sends a peer received.
#![allow(dead_code)] // Each test binary uses a different subset.

use rmq_protocol::body::{BrokerData, QueueData, TopicRouteData};
use rmq_protocol::header::{PullMessageRequestHeader, SendMessageResponseHeader};
use rmq_protocol::message::PullSysFlag;
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::testing::{MockServer, Reply};

/// Broker group `name` of cluster `c`, with its master at `addr`.
pub fn broker_data(name: &str, addr: &str) -> BrokerData {
    BrokerData {
        broker_addrs: [(0, addr.to_owned())].into(),
        broker_name: name.into(),
        cluster: "c".into(),
        ..BrokerData::default()
    }
}

/// `queues` read and write queues on broker group `name`, readable and writable (perm 6).
pub fn queue_data(name: &str, queues: i32) -> QueueData {
    QueueData {
        broker_name: name.into(),
        perm: 6,
        read_queue_nums: queues,
        write_queue_nums: queues,
        topic_sys_flag: 0,
    }
}

/// The route of a topic served by `broker-a` alone (master at `addr`) on `queues` queues.
pub fn broker_a_route(addr: &str, queues: i32) -> TopicRouteData {
    TopicRouteData {
        broker_datas: vec![broker_data("broker-a", addr)],
        queue_datas: vec![queue_data("broker-a", queues)],
        ..TopicRouteData::default()
    }
}

/// The header of a send stored at offset 1 of queue 0.
pub fn stored_header() -> SendMessageResponseHeader {
    SendMessageResponseHeader {
        msg_id: "7F00000100002A9F0000000000000001".into(),
        queue_id: 0,
        queue_offset: 1,
        ..SendMessageResponseHeader::default()
    }
}

/// `SUCCESS` with [`stored_header`]: the answer to a send the broker stored.
pub fn stored() -> Reply {
    Reply::Respond(Command::response(ResponseCode::SUCCESS, None).with_header(&stored_header()))
}

/// A pull by `group` of up to `max` messages from `offset` of queue `queue_id` of `topic`, for
/// reading back what a test stored: the subscription `*` in the request (as a consumer's first
/// pull sends it), no suspension, no commit.
pub fn read_back_pull(
    group: &str,
    topic: &str,
    queue_id: i32,
    offset: i64,
    max: i32,
) -> PullMessageRequestHeader {
    PullMessageRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id,
        queue_offset: offset,
        max_msg_nums: max,
        sys_flag: PullSysFlag::new().with_subscription(true).bits(),
        commit_offset: 0,
        suspend_timeout_millis: 0,
        subscription: Some("*".into()),
        sub_version: 0,
        expression_type: Some("TAG".into()),
        max_msg_bytes: None,
        broker_name: None,
    }
}

/// How many SEND_MESSAGE_V2 requests `server` received.
pub fn sends(server: &MockServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.request_code() == RequestCode::SEND_MESSAGE_V2)
        .count()
}
