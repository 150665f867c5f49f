//! A broker's metadata besides messages: topic and subscription-group configs, consumer
//! offsets (these survive a restart, as Java persists them), and the client registry with
//! queue locks (these do not: a restarted Java broker knows no client until it heartbeats).

use std::collections::{BTreeMap, HashMap};

use rmq_protocol::body::{
    ConsumeFromWhere, ConsumeType, MessageModel, SubscriptionData, SubscriptionGroupConfig,
    TopicConfig,
};
use rmq_protocol::{LanguageCode, MessageQueue};

use crate::server::ClientConn;

/// Most topics, groups, and offsets entries a broker holds; creations beyond are refused.
pub(crate) const MAX_ENTRIES: usize = 100_000;
/// Most clients registered per group.
pub(crate) const MAX_CLIENTS_PER_GROUP: usize = 1_000;
/// Most queues with a committed offset per topic and group, and most subscribed topics per
/// consumer group (a topic has at most 1024 queues here).
pub(crate) const MAX_PER_KEY: usize = 4096;
/// Most queue locks held.
pub(crate) const MAX_LOCKS: usize = 100_000;

/// One client connection in a group (Java `ClientChannelInfo`).
#[derive(Debug, Clone)]
pub(crate) struct Channel {
    /// The connection.
    pub conn: ClientConn,
    /// The client id it heartbeats with.
    pub client_id: String,
    /// The client's language.
    pub language: LanguageCode,
    /// The client's version code.
    pub version: i32,
}

/// A consumer group's live members and subscriptions (Java `ConsumerGroupInfo`).
#[derive(Debug, Clone)]
pub(crate) struct ConsumerGroup {
    /// Members by connection id.
    pub channels: BTreeMap<u64, Channel>,
    /// Subscriptions by topic.
    pub subscriptions: BTreeMap<String, SubscriptionData>,
    /// How the group consumes.
    pub consume_type: ConsumeType,
    /// Clustering or broadcasting.
    pub message_model: MessageModel,
    /// Where a new member starts.
    pub consume_from_where: ConsumeFromWhere,
}

/// Who holds a queue lock and since when.
#[derive(Debug, Clone)]
pub(crate) struct Lock {
    /// The holder's client id.
    pub client_id: String,
    /// Last lock or renewal, ms since the epoch.
    pub last_update_ms: i64,
}

/// Everything but messages. See the module docs.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Topic configs by name.
    pub topics: BTreeMap<String, TopicConfig>,
    /// Subscription-group configs by name.
    pub groups: BTreeMap<String, SubscriptionGroupConfig>,
    /// Committed offsets: `(topic, group)` to queue id to offset.
    pub offsets: BTreeMap<(String, String), BTreeMap<i32, i64>>,
    /// Consumer groups with live members.
    pub consumers: BTreeMap<String, ConsumerGroup>,
    /// Producer groups with live members, by connection id.
    pub producers: BTreeMap<String, BTreeMap<u64, Channel>>,
    /// Queue locks of orderly consumers: `(group, queue)` to holder.
    pub locks: HashMap<(String, MessageQueue), Lock>,
    /// Bumped on every topic or group config change (Java `DataVersion`).
    pub data_version: i64,
    /// Broker stats by (name, key): `TOPIC_PUT_NUMS`/topic and `GROUP_GET_NUMS`/`topic@group`
    /// message counts since start (Java `BrokerStatsManager`).
    pub stats: BTreeMap<(&'static str, String), i64>,
    /// The last heartbeat fingerprint per consumer group (Java 5.x
    /// `ClientManageProcessor.consumerGroupHeartbeatTable`; 0 for a V1 heartbeat).
    pub heartbeat_fingerprints: BTreeMap<String, i32>,
    /// PULL or POP per `(topic, group)`, set by SET_MESSAGE_REQUEST_MODE (Java
    /// `MessageRequestModeManager`).
    pub request_modes: BTreeMap<(String, String), RequestMode>,
    /// POP positions and checkpoints (kept over a restart, as Java keeps them in its store).
    pub pop: super::pop_state::PopState,
}

/// Java `BrokerStatsManager.TOPIC_PUT_NUMS`.
pub(crate) const TOPIC_PUT_NUMS: &str = "TOPIC_PUT_NUMS";
/// Java `BrokerStatsManager.GROUP_GET_NUMS`.
pub(crate) const GROUP_GET_NUMS: &str = "GROUP_GET_NUMS";

impl State {
    /// Forgets every client, membership and lock, as a restart does.
    pub(crate) fn forget_clients(&mut self) {
        self.consumers.clear();
        self.producers.clear();
        self.locks.clear();
        self.heartbeat_fingerprints.clear();
    }

    /// Client ids of the live members of consumer `group`, `None` when it has none (Java
    /// `ConsumerGroupInfo#getAllClientId` of a missing group).
    pub(crate) fn client_ids(&self, group: &str) -> Option<Vec<String>> {
        let group = self.consumers.get(group)?;
        Some(
            group
                .channels
                .values()
                .map(|c| c.client_id.clone())
                .collect(),
        )
    }

    /// The committed offset of a queue, if any.
    pub(crate) fn offset(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        self.offsets
            .get(&(topic.to_owned(), group.to_owned()))
            .and_then(|queues| queues.get(&queue_id))
            .copied()
    }

    /// Commits an offset (refused silently past [`MAX_ENTRIES`] topic/group pairs).
    pub(crate) fn commit(&mut self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        let key = (topic.to_owned(), group.to_owned());
        if self.offsets.len() >= MAX_ENTRIES && !self.offsets.contains_key(&key) {
            return;
        }
        let queues = self.offsets.entry(key).or_default();
        if queues.len() < MAX_PER_KEY || queues.contains_key(&queue_id) {
            queues.insert(queue_id, offset);
        }
    }

    /// The subscription group's config, created with Java's defaults when missing (Java:
    /// `autoCreateSubscriptionGroup=true`).
    pub(crate) fn group_config(&mut self, group: &str) -> Option<SubscriptionGroupConfig> {
        if let Some(config) = self.groups.get(group) {
            return Some(config.clone());
        }
        if self.groups.len() >= MAX_ENTRIES {
            return None;
        }
        let config = SubscriptionGroupConfig {
            group_name: group.to_owned(),
            ..SubscriptionGroupConfig::default()
        };
        self.groups.insert(group.to_owned(), config.clone());
        self.data_version += 1;
        Some(config)
    }

    /// Adds `n` to a stats counter (new keys are refused past [`MAX_ENTRIES`]).
    pub(crate) fn count(&mut self, name: &'static str, key: String, n: i64) {
        if self.stats.len() >= MAX_ENTRIES && !self.stats.contains_key(&(name, key.clone())) {
            return;
        }
        *self.stats.entry((name, key)).or_insert(0) += n;
    }

    /// The connection ids of every member of `group`.
    pub(crate) fn members(&self, group: &str) -> Vec<ClientConn> {
        self.consumers
            .get(group)
            .map(|g| g.channels.values().map(|c| c.conn.clone()).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_per_topic_and_group_are_bounded() {
        let mut state = State::default();
        for queue_id in 0..(MAX_PER_KEY as i32 + 10) {
            state.commit("G", "T", queue_id, 1);
        }
        let queues = &state.offsets[&("T".to_owned(), "G".to_owned())];
        assert_eq!(queues.len(), MAX_PER_KEY);
        state.commit("G", "T", 0, 7);
        assert_eq!(
            state.offset("G", "T", 0),
            Some(7),
            "known queues still update"
        );
    }

    #[test]
    fn forget_clients_keeps_offsets_and_topics() {
        let mut state = State::default();
        state.commit("G", "T", 0, 3);
        state.group_config("G");
        state.forget_clients();
        assert_eq!(state.offset("G", "T", 0), Some(3));
        assert!(state.groups.contains_key("G"));
    }
}

/// How a topic and group fetch messages (Java `SetMessageRequestModeRequestBody`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestMode {
    /// POP rather than PULL.
    pub pop: bool,
    /// Queues of other members a POP client also gets (Java `popShareQueueNum`).
    pub pop_share_queue_num: i32,
}

impl RequestMode {
    /// Java's default for a topic and group without a mode: PULL (`defaultMessageRequestMode`).
    pub(crate) const DEFAULT: RequestMode = RequestMode {
        pop: false,
        pop_share_queue_num: 0,
    };

    /// Java's `MessageRequestMode` name.
    pub(crate) fn name(self) -> &'static str {
        if self.pop {
            "POP"
        } else {
            "PULL"
        }
    }
}
