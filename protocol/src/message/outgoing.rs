//! [`Message`]: what a user sends (Java `Message`), with typed access to the well-known
//! properties. Compression, unique ids and batching are applied by the producer, not here.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::properties::{Properties, NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR};
use super::property;
use crate::error::{Error, Result};

/// A message to send: topic, body, user flag and properties.
///
/// ```
/// use rmq_protocol::message::Message;
/// let msg = Message::new("TopicTest", "hello")
///     .with_tag("TagA")
///     .with_keys(["order-1", "order-2"])
///     .with_user_property("region", "eu");
/// assert_eq!(msg.tags(), Some("TagA"));
/// assert_eq!(msg.keys().collect::<Vec<_>>(), ["order-1", "order-2"]);
/// assert_eq!(msg.user_property("region"), Some("eu"));
/// assert!(msg.wait_store_msg_ok());
/// assert!(msg.check_user_properties().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    topic: String,
    body: Bytes,
    flag: i32,
    properties: Properties,
    /// The first user property [`Message::with_user_property`] refused, and why: reported
    /// by [`Message::check_user_properties`] (a producer calls it before sending).
    refused: Option<Box<(String, &'static str)>>,
}

impl Message {
    /// A message for `topic` with `body`, flag 0 and `WAIT=true`, as Java's constructors make.
    pub fn new(topic: impl Into<String>, body: impl Into<Bytes>) -> Self {
        let mut properties = Properties::new();
        properties.insert(property::WAIT_STORE_MSG_OK, "true");
        Message {
            topic: topic.into(),
            body: body.into(),
            flag: 0,
            properties,
            refused: None,
        }
    }

    /// A message from raw parts, with exactly these properties (nothing added).
    pub fn from_parts(
        topic: impl Into<String>,
        body: impl Into<Bytes>,
        flag: i32,
        properties: Properties,
    ) -> Self {
        Message {
            topic: topic.into(),
            body: body.into(),
            flag,
            properties,
            refused: None,
        }
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The body (uncompressed; the producer compresses on send).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The user flag, carried opaquely by the broker.
    pub fn flag(&self) -> i32 {
        self.flag
    }

    /// All properties, system and user, in insertion order.
    pub fn properties(&self) -> &Properties {
        &self.properties
    }

    /// Mutable access to all properties (the producer adds `UNIQ_KEY`, `PGROUP`, ...).
    pub fn properties_mut(&mut self) -> &mut Properties {
        &mut self.properties
    }

    /// The value of any property.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties.get(name)
    }

    /// The tag (`TAGS`).
    pub fn tags(&self) -> Option<&str> {
        self.properties.get(property::TAGS)
    }

    /// The keys (`KEYS`, space separated).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        let keys = self.properties.get(property::KEYS).unwrap_or_default();
        keys.split(' ').filter(|k| !k.is_empty())
    }

    /// The delay level (`DELAY`), if set and numeric.
    pub fn delay_level(&self) -> Option<i32> {
        self.properties
            .get(property::DELAY_TIME_LEVEL)?
            .parse()
            .ok()
    }

    /// Whether the broker replies only after storing (`WAIT`); true unless set to `"false"`.
    pub fn wait_store_msg_ok(&self) -> bool {
        // Java: Message#isWaitStoreMsgOK (null => true, else Boolean.parseBoolean).
        match self.properties.get(property::WAIT_STORE_MSG_OK) {
            None => true,
            Some(v) => v.eq_ignore_ascii_case("true"),
        }
    }

    /// The client-generated unique id (`UNIQ_KEY`), once the producer has set it.
    pub fn unique_key(&self) -> Option<&str> {
        self.properties.get(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
    }

    /// The 5.x timer delivery time (`TIMER_DELIVER_MS`), if set and numeric.
    pub fn delivery_time(&self) -> Option<SystemTime> {
        let ms: u64 = self
            .properties
            .get(property::TIMER_DELIVER_MS)?
            .parse()
            .ok()?;
        UNIX_EPOCH.checked_add(Duration::from_millis(ms))
    }

    /// The sharding key used to pick a queue for ordered messages.
    pub fn sharding_key(&self) -> Option<&str> {
        self.properties.get(property::SHARDING_KEY)
    }

    /// A user (non-system) property.
    pub fn user_property(&self, name: &str) -> Option<&str> {
        if property::is_system(name) {
            return None;
        }
        self.properties.get(name)
    }

    /// The user (non-system) properties, in insertion order.
    pub fn user_properties(&self) -> impl Iterator<Item = (&str, &str)> {
        self.properties
            .iter()
            .filter(|(k, _)| !property::is_system(k))
    }

    /// Replaces the topic.
    pub fn with_topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = topic.into();
        self
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the user flag.
    pub fn with_flag(mut self, flag: i32) -> Self {
        self.flag = flag;
        self
    }

    /// Sets the tag (`TAGS`).
    pub fn with_tag(self, tag: impl Into<String>) -> Self {
        self.with_property(property::TAGS, tag)
    }

    /// Sets the keys (`KEYS`), joined with spaces as Java's `setKeys(Collection)` does.
    pub fn with_keys<I, S>(self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut joined = String::new();
        for key in keys {
            if !joined.is_empty() {
                joined.push(' ');
            }
            joined.push_str(key.as_ref());
        }
        self.with_property(property::KEYS, joined)
    }

    /// Sets the delay level (`DELAY`, 1..=18 on a default broker).
    pub fn with_delay_level(self, level: i32) -> Self {
        self.with_property(property::DELAY_TIME_LEVEL, level.to_string())
    }

    /// Sets whether the broker replies only after storing (`WAIT`).
    pub fn with_wait_store_msg_ok(self, wait: bool) -> Self {
        self.with_property(
            property::WAIT_STORE_MSG_OK,
            if wait { "true" } else { "false" },
        )
    }

    /// Sets the unique id (`UNIQ_KEY`); producers normally generate it with
    /// [`crate::ids::unique_id`].
    pub fn with_unique_key(self, id: impl Into<String>) -> Self {
        self.with_property(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, id)
    }

    /// Sets the 5.x timer delivery time (`TIMER_DELIVER_MS`, ms since the epoch; times before
    /// the epoch become 0). 4.x brokers ignore it; use [`Self::with_delay_level`] there.
    pub fn with_delivery_time(self, at: SystemTime) -> Self {
        let ms = at
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        self.with_property(property::TIMER_DELIVER_MS, ms.to_string())
    }

    /// Sets the sharding key (`__SHARDINGKEY`) used to pick a queue for ordered messages.
    pub fn with_sharding_key(self, key: impl Into<String>) -> Self {
        self.with_property(property::SHARDING_KEY, key)
    }

    /// Sets any property, system names included, without checks.
    pub fn with_property(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(name, value);
        self
    }

    /// Replaces all properties.
    pub fn with_properties(mut self, properties: Properties) -> Self {
        self.properties = properties;
        self
    }

    /// Sets a user property, chaining like the other `with_` methods. A name or value Java's
    /// `putUserProperty` would refuse (an empty name or value, a system name such as `TAGS`,
    /// see [`property::is_system`], a property separator) is not set; the first one refused
    /// is kept and reported by [`check_user_properties`](Self::check_user_properties), which a
    /// producer calls before sending, so the send fails naming the property.
    pub fn with_user_property(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let (name, value) = (name.into(), value.into());
        let refused = if name.is_empty() || value.is_empty() {
            Some("must have a non-empty name and value")
        } else if property::is_system(&name) {
            Some("uses a reserved system name")
        } else if name.contains([NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR])
            || value.contains(PROPERTY_SEPARATOR)
        {
            Some("contains a property separator")
        } else {
            None
        };
        match refused {
            Some(why) => {
                if self.refused.is_none() {
                    self.refused = Some(Box::new((name, why)));
                }
                self
            }
            None => self.with_property(name, value),
        }
    }

    /// Whether every [`with_user_property`](Self::with_user_property) call was accepted.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the first refused property and why.
    pub fn check_user_properties(&self) -> Result<()> {
        match self.refused.as_deref() {
            Some((name, why)) => Err(Error::invalid(format!("user property {name:?} {why}"))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_message_waits_for_store_like_java() {
        let msg = Message::new("T", "b");
        assert_eq!(msg.property("WAIT"), Some("true"));
        assert!(!msg.with_wait_store_msg_ok(false).wait_store_msg_ok());
    }

    #[test]
    fn keys_are_joined_with_spaces() {
        let msg = Message::new("T", "b").with_keys(["k1", "k2"]);
        assert_eq!(msg.property("KEYS"), Some("k1 k2"));
    }

    #[test]
    fn delivery_time_round_trips_in_milliseconds() {
        let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        let msg = Message::new("T", "b").with_delivery_time(at);
        assert_eq!(msg.property("TIMER_DELIVER_MS"), Some("1700000000123"));
        assert_eq!(msg.delivery_time(), Some(at));
    }

    #[test]
    fn user_property_refuses_system_names_and_separators() {
        let msg = Message::new("T", "b");
        for (name, value, why) in [
            ("TAGS", "x", "reserved system name"),
            ("a", "", "non-empty"),
            ("a\u{1}", "x", "separator"),
            ("a", "x\u{2}", "separator"),
        ] {
            let refused = msg.clone().with_user_property(name, value);
            let e = refused.check_user_properties().expect_err("refused");
            assert!(e.to_string().contains(&format!("{name:?}")), "{e}");
            assert!(e.to_string().contains(why), "{e}");
            assert_eq!(refused.user_properties().count(), 0, "not set");
        }
        let first = msg
            .clone()
            .with_user_property("TAGS", "x")
            .with_user_property("", "y");
        let e = first.check_user_properties().expect_err("refused");
        assert!(e.to_string().contains("\"TAGS\""), "the first one: {e}");
        let msg = msg.with_user_property("a", "x");
        assert!(msg.check_user_properties().is_ok());
        assert_eq!(msg.user_properties().collect::<Vec<_>>(), [("a", "x")]);
    }

    #[test]
    fn delay_level_parses_numbers_only() {
        assert_eq!(
            Message::new("T", "b").with_delay_level(3).delay_level(),
            Some(3)
        );
        let odd = Message::new("T", "b").with_property("DELAY", "x");
        assert_eq!(odd.delay_level(), None);
    }
}
