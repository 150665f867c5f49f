//! Heartbeat V2 (Java 5.x `MQClientInstance#sendHeartbeatToBrokerV2`): every heartbeat carries
//! a fingerprint of the subscription data; a broker that announced `IS_SUPPORT_HEART_BEAT_V2`
//! and acknowledged the current fingerprint gets a light heartbeat (`withoutSub`, no
//! subscriptions); any change, or the broker's `IS_SUB_CHANGE`, brings the full one back. A
//! broker that does not announce support (4.x) gets the full heartbeat every time.
//!
//! The per-instance state (which addresses support V2, the fingerprint each acknowledged) is
//! `heartbeat_v2_state.rs`, a field of the instance, dropped with it; it owns no task.

use std::time::Duration;

use bytes::Bytes;
use rmq_protocol::body::{HeartbeatData, JsonBody};
use rmq_protocol::{Command, RequestCode, ResponseCode};

use crate::error::{Error, Result};
use crate::instance::ClientInstance;

/// Java `MixAll.IS_SUPPORT_HEART_BEAT_V2`: the broker's answer says it serves V2.
pub const IS_SUPPORT_HEART_BEAT_V2: &str = "IS_SUPPORT_HEART_BEAT_V2";
/// Java `MixAll.IS_SUB_CHANGE`: the broker wants the full subscription data next time.
pub const IS_SUB_CHANGE: &str = "IS_SUB_CHANGE";

/// The stable 32-bit FNV-1a hash.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// The fingerprint of a heartbeat's content (Java `HeartbeatData#computeHeartbeatFingerprint`):
/// the data without client id, subscription versions, fingerprint and `withoutSub`, in a
/// canonical order; never 0, which brokers read as "no fingerprint".
///
/// # Errors
/// [`Error::Protocol`] if the data cannot be serialized.
pub fn fingerprint(data: &HeartbeatData) -> Result<i32> {
    let mut copy = data.clone();
    copy.client_id.clear();
    copy.heartbeat_fingerprint = None;
    copy.without_sub = None;
    copy.consumer_data_set
        .sort_by(|a, b| a.group_name.cmp(&b.group_name));
    for consumer in &mut copy.consumer_data_set {
        consumer
            .subscription_data_set
            .sort_by(|a, b| a.topic.cmp(&b.topic));
        for sub in &mut consumer.subscription_data_set {
            sub.sub_version = 0;
        }
    }
    copy.producer_data_set
        .sort_by(|a, b| a.group_name.cmp(&b.group_name));
    let json = copy.to_json()?;
    let hash = fnv1a(&json) as i32;
    Ok(if hash == 0 { 1 } else { hash })
}

/// How a broker answered a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HeartbeatAnswer {
    /// The broker's version.
    version: i32,
    /// Whether it announced heartbeat V2.
    supports_v2: bool,
    /// Whether it asked for the full subscription data.
    sub_change: bool,
}

impl ClientInstance {
    /// Whether `addr` announced heartbeat V2 in its last answer.
    pub fn broker_supports_heartbeat_v2(&self, addr: &str) -> bool {
        self.inner.heartbeat_v2.supports(addr)
    }

    /// Forgets the fingerprint `addr` acknowledged, so its next heartbeat is a full one.
    pub(crate) fn forget_heartbeat_v2(&self, addr: &str) {
        self.inner.heartbeat_v2.forget(addr);
    }

    /// Sends `full` (this instance's heartbeat data) to `addr` as V1 or V2, as the broker's
    /// earlier answers allow, and records what this answer says. Returns the broker's version.
    ///
    /// # Errors
    /// The broker's code ([`Error::Broker`]) or a transport error.
    pub(crate) async fn heartbeat_v2(
        &self,
        addr: &str,
        full: &HeartbeatData,
        timeout: Duration,
    ) -> Result<i32> {
        let print = fingerprint(full)?;
        let light = self.inner.heartbeat_v2.is_acknowledged(addr, print);
        let mut data = full.clone();
        data.heartbeat_fingerprint = Some(print);
        if light {
            data.without_sub = Some(true);
            for consumer in &mut data.consumer_data_set {
                consumer.subscription_data_set.clear();
            }
        }
        let answer = self.send_heartbeat_body(addr, &data, timeout).await?;
        self.inner
            .heartbeat_v2
            .record(addr, print, answer.supports_v2, answer.sub_change);
        Ok(answer.version)
    }

    /// One HEART_BEAT request with `data` as body; the answer's version and V2 flags.
    async fn send_heartbeat_body(
        &self,
        addr: &str,
        data: &HeartbeatData,
        timeout: Duration,
    ) -> Result<HeartbeatAnswer> {
        let api = self.api();
        let mut cmd = Command::request(RequestCode::HEART_BEAT)
            .with_serialize_type(api.serialize_type())
            .with_body(Bytes::from(data.to_json()?));
        cmd.language = api.language();
        let response = api.remoting().invoke(addr, cmd, timeout).await?;
        if response.response_code() != ResponseCode::SUCCESS {
            return Err(Error::broker(addr, &response));
        }
        let flag = |key: &str| {
            response
                .ext_fields
                .get(key)
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        };
        Ok(HeartbeatAnswer {
            version: response.version,
            supports_v2: flag(IS_SUPPORT_HEART_BEAT_V2),
            sub_change: flag(IS_SUB_CHANGE),
        })
    }
}

#[cfg(test)]
#[path = "heartbeat_v2_tests.rs"]
mod wire_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use rmq_protocol::body::{
        ConsumeFromWhere, ConsumeType, ConsumerData, MessageModel, SubscriptionData,
    };

    fn data(topics: &[&str], version: i64) -> HeartbeatData {
        let subs = topics
            .iter()
            .map(|t| SubscriptionData {
                topic: (*t).to_owned(),
                sub_string: "*".into(),
                expression_type: "TAG".into(),
                sub_version: version,
                ..SubscriptionData::default()
            })
            .collect();
        HeartbeatData {
            client_id: format!("client-{version}"),
            consumer_data_set: vec![ConsumerData {
                consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
                consume_type: ConsumeType::Actively,
                group_name: "g".into(),
                message_model: MessageModel::Broadcasting,
                subscription_data_set: subs,
                unit_mode: false,
            }],
            ..HeartbeatData::default()
        }
    }

    #[test]
    fn fingerprints_ignore_order_versions_and_client_id_but_not_subscriptions() {
        let a = fingerprint(&data(&["A", "B"], 1)).expect("a");
        assert_ne!(a, 0);
        assert_eq!(a, fingerprint(&data(&["B", "A"], 2)).expect("same"));
        assert_ne!(a, fingerprint(&data(&["A", "C"], 1)).expect("changed"));
    }
}
