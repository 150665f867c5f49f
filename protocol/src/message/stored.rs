//! [`StoredMessage`]: a message as the broker stored it (Java `MessageExt`), with every field of
//! the store format. Reading and writing that format live in `decode.rs` and `encode.rs`.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::properties::Properties;
use super::property;
use crate::ids;

/// Which store-format layout a record uses, told apart by its magic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MessageVersion {
    /// Magic `0xDAA320A7`: 1-byte (i8) topic length. Everything 4.x writes.
    #[default]
    V1,
    /// Magic `0xDAA320AB`: 2-byte (i16) topic length. Written by 5.x brokers for topics longer
    /// than 127 characters.
    V2,
}

impl MessageVersion {
    /// Magic code of [`MessageVersion::V1`].
    pub const V1_MAGIC: u32 = 0xDAA3_20A7;
    /// Magic code of [`MessageVersion::V2`].
    pub const V2_MAGIC: u32 = 0xDAA3_20AB;

    /// The magic code written at offset 4 of a record.
    pub const fn magic_code(self) -> u32 {
        match self {
            MessageVersion::V1 => Self::V1_MAGIC,
            MessageVersion::V2 => Self::V2_MAGIC,
        }
    }

    /// The version for a magic code, if it is a message magic code.
    pub const fn from_magic_code(magic: u32) -> Option<Self> {
        match magic {
            Self::V1_MAGIC => Some(MessageVersion::V1),
            Self::V2_MAGIC => Some(MessageVersion::V2),
            _ => None,
        }
    }

    /// Width in bytes of the topic length field.
    pub const fn topic_len_width(self) -> usize {
        match self {
            MessageVersion::V1 => 1,
            MessageVersion::V2 => 2,
        }
    }
}

/// One stored message, as a pull, query or view-by-id response carries it.
///
/// Fields mirror the store format one to one. The body is a zero-copy slice of the response
/// unless it was decompressed; `sys_flag` is kept exactly as stored, so it still says
/// "compressed" after the decoder inflated the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Store-format version (magic code).
    pub version: MessageVersion,
    /// Size of the record in bytes, as decoded (the encoder computes its own).
    pub store_size: i32,
    /// `crc32(stored body) & 0x7FFFFFFF`, see [`body_crc`].
    pub body_crc: i32,
    /// Queue id within the topic.
    pub queue_id: i32,
    /// The user flag.
    pub flag: i32,
    /// Logical offset in the consume queue.
    pub queue_offset: i64,
    /// Physical offset in the commit log.
    pub commit_log_offset: i64,
    /// `MessageSysFlag` bits, see [`super::sysflag`].
    pub sys_flag: i32,
    /// When the producer created the message, in ms since the Unix epoch.
    pub born_timestamp: i64,
    /// The producer's address.
    pub born_host: SocketAddr,
    /// When the broker stored the message, in ms since the Unix epoch.
    pub store_timestamp: i64,
    /// The storing broker's address.
    pub store_host: SocketAddr,
    /// How many times the message was redelivered.
    pub reconsume_times: i32,
    /// Commit-log offset of the half message (transactions).
    pub prepared_transaction_offset: i64,
    /// The body (empty when decoded without bodies).
    pub body: Bytes,
    /// The topic.
    pub topic: String,
    /// The properties.
    pub properties: Properties,
}

impl Default for StoredMessage {
    /// An empty V1 record with unspecified IPv4 hosts, handy with struct update syntax.
    fn default() -> Self {
        let unspecified = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));
        StoredMessage {
            version: MessageVersion::V1,
            store_size: 0,
            body_crc: 0,
            queue_id: 0,
            flag: 0,
            queue_offset: 0,
            commit_log_offset: 0,
            sys_flag: 0,
            born_timestamp: 0,
            born_host: unspecified,
            store_timestamp: 0,
            store_host: unspecified,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body: Bytes::new(),
            topic: String::new(),
            properties: Properties::new(),
        }
    }
}

impl StoredMessage {
    /// The id users see: `UNIQ_KEY` when present, else the offset message id.
    pub fn msg_id(&self) -> String {
        match self.properties.get(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX) {
            Some(id) => id.to_owned(),
            None => self.offset_msg_id(),
        }
    }

    /// The broker's id for this record: store host and commit-log offset in hex.
    pub fn offset_msg_id(&self) -> String {
        ids::offset_msg_id(self.store_host, self.commit_log_offset)
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

    /// [`Self::born_timestamp`] as a time (`None` if not representable).
    pub fn born_time(&self) -> Option<SystemTime> {
        time_from_ms(self.born_timestamp)
    }

    /// [`Self::store_timestamp`] as a time (`None` if not representable).
    pub fn store_time(&self) -> Option<SystemTime> {
        time_from_ms(self.store_timestamp)
    }
}

/// The body checksum the broker stores: CRC-32 (IEEE) with the top bit cleared.
pub fn body_crc(body: &[u8]) -> i32 {
    // Java: UtilAll#crc32 returns (int) (crc & 0x7FFFFFFF).
    (crc32fast::hash(body) & 0x7FFF_FFFF) as i32
}

fn time_from_ms(ms: i64) -> Option<SystemTime> {
    let offset = Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        UNIX_EPOCH.checked_add(offset)
    } else {
        UNIX_EPOCH.checked_sub(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msg_id_prefers_unique_key() {
        let mut msg = StoredMessage {
            store_host: "10.0.0.2:10911".parse().expect("addr"),
            commit_log_offset: 1000,
            ..StoredMessage::default()
        };
        assert_eq!(msg.msg_id(), "0A00000200002A9F00000000000003E8");
        msg.properties.insert("UNIQ_KEY", "ABC");
        assert_eq!(msg.msg_id(), "ABC");
        assert_eq!(msg.offset_msg_id(), "0A00000200002A9F00000000000003E8");
    }

    #[test]
    fn body_crc_clears_the_top_bit() {
        assert_eq!(body_crc(b""), 0);
        assert_eq!(body_crc(b"hi"), 0x5893_2AAC);
    }
}
