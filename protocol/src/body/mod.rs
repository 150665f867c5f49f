//! JSON bodies (Java's `RemotingSerializable` classes) as serde types, and a reader for what
//! Java's fastjson writes.
//!
//! - [`from_fastjson`] parses every body a server sends: standard JSON, or fastjson's
//!   non-standard form with bare numeric keys (`{0:"addr"}`) and object keys (`{{..}:42}`).
//! - [`JsonBody::to_json`] writes standard JSON with fastjson's key order (fields are declared
//!   alphabetically); maps keyed by [`MessageQueue`] are written with string keys holding the
//!   queue's JSON, which fastjson accepts.
//! - Optional 5.x fields default when absent and are omitted when `None`; unknown fields are
//!   ignored.
//!
//! ```
//! use rmq_protocol::body::{JsonBody, TopicRouteData};
//!
//! let body = br#"{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911"},"brokerName":"a","cluster":"c"}],"queueDatas":[]}"#;
//! let route = TopicRouteData::from_json(body)?;
//! assert_eq!(route.broker_datas[0].master_addr(), Some("10.0.0.1:10911"));
//! # Ok::<(), rmq_protocol::Error>(())
//! ```

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Result;

mod acl2;
mod admin;
mod admin5;
mod consumer;
mod controller;
mod fastjson;
mod heartbeat;
mod pop;
mod queue;
mod route;
mod static_topic;
mod writer;

pub use acl2::{AclInfo, PolicyEntryInfo, PolicyInfo, UserInfo};
pub use admin::{
    BrokerStatsData, BrokerStatsItem, Connection, ConsumeStats, ConsumeStatsList,
    ConsumerConnection, GroupList, OffsetWrapper, ProducerConnection, QueryConsumeTimeSpanBody,
    QueueTimeSpan, SubscriptionGroupConfig, TopicConfig, TopicOffset, TopicStatsTable,
};
pub use admin5::{
    CheckRocksdbCqWriteResult, CreateTopicListRequestBody, GroupForbidden,
    QuerySubscriptionResponseBody, SubscriptionGroupConfigV5, SubscriptionGroupList, TopicConfigV5,
};
pub use consumer::{
    running_info_keys, ConsumeDirectlyOutcome, ConsumeMessageDirectlyResult, ConsumeStatus,
    ConsumerListBody, ConsumerRunningInfo, GetConsumerStatusBody, LockBatchRequestBody,
    LockBatchResponseBody, ProcessQueueInfo, ResetOffsetBody, UnlockBatchRequestBody,
};
pub use controller::{
    BrokerMemberGroup, BrokerReplicasInfo, EpochEntry, EpochEntryCache, HaClientRuntimeInfo,
    HaConnectionRuntimeInfo, HaRuntimeInfo, ReplicaIdentity, ReplicasInfo,
};
pub use fastjson::{from_fastjson, to_fastjson_queue_keys, to_standard_json};
pub use heartbeat::{
    java_string_hash, ConsumeFromWhere, ConsumeType, ConsumerData, HeartbeatData, MessageModel,
    ProducerData, SubscriptionData, EXPRESSION_SQL92, EXPRESSION_TAG, SUBSCRIBE_ALL,
};
pub use pop::{
    BatchAck, BatchAckMessageRequestBody, MessageQueueAssignment, MessageRequestMode,
    QueryAssignmentRequestBody, QueryAssignmentResponseBody, SetMessageRequestModeRequestBody,
};
pub use queue::{mq_map, MessageQueue};
pub use route::{
    BrokerData, ClusterInfo, KvTable, QueueData, TopicList, TopicRouteData, MASTER_ID,
};
pub use static_topic::{
    LogicQueueMappingItem, TopicConfigAndQueueMapping, TopicQueueMappingDetail,
    METADATA_SCOPE_GLOBAL,
};

/// A JSON body: written as standard JSON, read with the fastjson-tolerant reader.
pub trait JsonBody: Serialize + DeserializeOwned {
    /// The body as standard JSON bytes.
    ///
    /// # Errors
    /// [`Error::Json`](crate::Error::Json) if serialization fails (not expected for these types).
    fn to_json(&self) -> Result<Vec<u8>> {
        writer::to_vec(self)
    }

    /// The body as fastjson writes it: standard JSON except that maps keyed by
    /// [`MessageQueue`] have raw object keys (`{{"brokerName":..}:1}`). Use it for bodies that
    /// Java parses with fastjson older than 1.2.69, which rejects the string-key form.
    ///
    /// # Errors
    /// As [`JsonBody::to_json`].
    fn to_fastjson(&self) -> Result<Vec<u8>> {
        to_fastjson_queue_keys(&self.to_json()?)
    }

    /// Parses a body as a Java server writes it (see [`from_fastjson`]).
    ///
    /// # Errors
    /// As [`from_fastjson`].
    fn from_json(bytes: &[u8]) -> Result<Self> {
        from_fastjson(bytes)
    }
}

macro_rules! json_bodies {
    ($($ty:ty),* $(,)?) => { $(impl JsonBody for $ty {})* };
}

json_bodies!(
    TopicRouteData,
    ClusterInfo,
    TopicList,
    KvTable,
    HeartbeatData,
    SubscriptionData,
    ConsumerListBody,
    LockBatchRequestBody,
    LockBatchResponseBody,
    ResetOffsetBody,
    GetConsumerStatusBody,
    ConsumerRunningInfo,
    ConsumeMessageDirectlyResult,
    ConsumerConnection,
    ProducerConnection,
    ConsumeStats,
    TopicStatsTable,
    GroupList,
    SubscriptionGroupConfig,
    TopicConfig,
    BrokerStatsData,
    QueryConsumeTimeSpanBody,
    ConsumeStatsList,
    MessageQueue,
);
