//! [`MessageQueue`] (topic, broker name, queue id) and the serde glue for maps keyed by it.
//!
//! fastjson writes such keys as JSON objects; after [`from_fastjson`](super::from_fastjson)'s
//! pre-pass, and in the CI broker's replies, they are strings holding that object's JSON text.
//! [`mq_map`] reads that string form and writes it back (fastjson accepts it when parsing).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One queue of a topic on one broker (Java `MessageQueue`).
///
/// Ordering is Java's `compareTo`: topic, then broker name, then queue id. Fields are declared in
/// fastjson's (alphabetical) order so the JSON matches Java's byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct MessageQueue {
    /// Broker name.
    #[serde(rename = "brokerName", default)]
    pub broker_name: String,
    /// Queue id.
    #[serde(rename = "queueId", default)]
    pub queue_id: i32,
    /// Topic.
    #[serde(default)]
    pub topic: String,
}

impl MessageQueue {
    /// A queue from its parts.
    pub fn new(topic: impl Into<String>, broker_name: impl Into<String>, queue_id: i32) -> Self {
        MessageQueue {
            broker_name: broker_name.into(),
            queue_id,
            topic: topic.into(),
        }
    }

    /// The compact JSON text fastjson would write for this queue.
    pub fn to_json_string(&self) -> String {
        // Serializing three plain fields cannot fail; fall back to a hand-built text anyway.
        serde_json::to_string(self).unwrap_or_else(|_| {
            format!(
                "{{\"brokerName\":{:?},\"queueId\":{},\"topic\":{:?}}}",
                self.broker_name, self.queue_id, self.topic
            )
        })
    }
}

impl Ord for MessageQueue {
    fn cmp(&self, other: &Self) -> Ordering {
        // Java: MessageQueue#compareTo.
        self.topic
            .cmp(&other.topic)
            .then_with(|| self.broker_name.cmp(&other.broker_name))
            .then_with(|| self.queue_id.cmp(&other.queue_id))
    }
}

impl PartialOrd for MessageQueue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for MessageQueue {
    /// Java's `toString` shape: `MessageQueue [topic=T, brokerName=b, queueId=0]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MessageQueue [topic={}, brokerName={}, queueId={}]",
            self.topic, self.broker_name, self.queue_id
        )
    }
}

impl FromStr for MessageQueue {
    type Err = Error;

    /// Parses the JSON object text of a queue (a map key in string form).
    fn from_str(s: &str) -> Result<Self> {
        serde_json::from_str(s).map_err(|e| Error::json("MessageQueue key", e))
    }
}

/// `#[serde(with = "mq_map")]` for `BTreeMap<MessageQueue, V>`: keys as strings holding the
/// queue's JSON object text.
pub mod mq_map {
    use std::collections::BTreeMap;
    use std::fmt;
    use std::marker::PhantomData;

    use serde::de::{self, MapAccess, Visitor};
    use serde::ser::SerializeMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::MessageQueue;

    /// Writes each key as a string holding the queue's compact JSON object.
    pub fn serialize<V: Serialize, S: Serializer>(
        map: &BTreeMap<MessageQueue, V>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_map(Some(map.len()))?;
        for (mq, value) in map {
            out.serialize_entry(&mq.to_json_string(), value)?;
        }
        out.end()
    }

    /// Reads keys that are strings holding a queue's JSON object.
    pub fn deserialize<'de, V: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<MessageQueue, V>, D::Error> {
        deserializer.deserialize_map(MqMapVisitor(PhantomData))
    }

    struct MqMapVisitor<V>(PhantomData<V>);

    impl<'de, V: Deserialize<'de>> Visitor<'de> for MqMapVisitor<V> {
        type Value = BTreeMap<MessageQueue, V>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map keyed by MessageQueue JSON text")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
            let mut map = BTreeMap::new();
            while let Some(key) = access.next_key::<std::borrow::Cow<'de, str>>()? {
                let mq: MessageQueue = key.parse().map_err(|e| {
                    de::Error::custom(format_args!("bad MessageQueue key {key:?}: {e}"))
                })?;
                let value = access.next_value()?;
                map.insert(mq, value);
            }
            Ok(map)
        }
    }
}
