//! [`MessageId`]: the one type of every message id the producer hands out (receipts, batch
//! receipts, recall). A string underneath, compared with plain strings both ways, so it meets
//! the consumer's `String` ids without conversions.

use std::borrow::Borrow;
use std::fmt;

/// A message id: the client-made unique key (`UNIQ_KEY`, 32 hex digits, Java's
/// `MessageClientIDSetter`) or the broker's offset id (store host and commit-log offset).
///
/// ```
/// use rmq_client_producer::MessageId;
/// let id = MessageId::from("7F0000010E2A18B4AAC27A0B6C6A0000");
/// assert_eq!(id, "7F0000010E2A18B4AAC27A0B6C6A0000");
/// assert_eq!(id.to_string(), id.as_str());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MessageId(String);

/// The id of nothing, for accessors of an empty list.
pub(crate) static NO_ID: MessageId = MessageId(String::new());

impl MessageId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as an owned `String`.
    pub fn into_string(self) -> String {
        self.0
    }

    /// Java's form of a list of ids (a batch's `SendResult.msgId`): comma-joined.
    pub(crate) fn join(ids: &[MessageId]) -> String {
        let parts: Vec<&str> = ids.iter().map(MessageId::as_str).collect();
        parts.join(",")
    }

    /// The ids of Java's comma-joined form; an empty text gives none.
    pub(crate) fn split(joined: &str) -> Vec<MessageId> {
        joined
            .split(',')
            .filter(|id| !id.is_empty())
            .map(MessageId::from)
            .collect()
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for MessageId {
    fn from(id: String) -> Self {
        MessageId(id)
    }
}

impl From<&str> for MessageId {
    fn from(id: &str) -> Self {
        MessageId(id.to_owned())
    }
}

impl From<MessageId> for String {
    fn from(id: MessageId) -> Self {
        id.0
    }
}

impl AsRef<str> for MessageId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for MessageId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for MessageId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for MessageId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for MessageId {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl PartialEq<MessageId> for str {
    fn eq(&self, other: &MessageId) -> bool {
        self == other.0
    }
}

impl PartialEq<MessageId> for &str {
    fn eq(&self, other: &MessageId) -> bool {
        *self == other.0
    }
}

impl PartialEq<MessageId> for String {
    fn eq(&self, other: &MessageId) -> bool {
        *self == other.0
    }
}

/// So that a consumer's `String` id compares with a receipt's `&MessageId` as it is.
impl PartialEq<&MessageId> for String {
    fn eq(&self, other: &&MessageId) -> bool {
        *self == other.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_compare_with_strings_both_ways() {
        let id = MessageId::from("A1");
        let owned = String::from("A1");
        assert_eq!(id, "A1");
        assert_eq!("A1", id);
        assert_eq!(id, *"A1");
        assert_eq!(*"A1", id);
        assert_eq!(id, owned);
        assert_eq!(owned, id);
        assert_eq!(owned, &id);
        assert!(id != "A2");
        let set: std::collections::HashSet<MessageId> = [id.clone()].into();
        assert!(set.contains("A1"), "looked up by &str");
    }

    #[test]
    fn java_joined_form_round_trips() {
        let ids = MessageId::split("A1,B2,C3");
        assert_eq!(ids, ["A1", "B2", "C3"].map(MessageId::from));
        assert_eq!(MessageId::join(&ids), "A1,B2,C3");
        assert!(MessageId::split("").is_empty());
    }
}
