//! Store-format encoding of a [`StoredMessage`]: what a broker writes into a pull body. Clients
//! never send this format; tests and the in-process fake broker do.

use std::net::SocketAddr;

use bytes::{BufMut, BytesMut};

use super::stored::{MessageVersion, StoredMessage};
use super::sysflag;
use crate::error::{Error, Result};

/// Size of the fixed fields before the body length with two IPv4 hosts.
const FIXED_LEN_V4: usize = 84;
/// Extra bytes per IPv6 host.
const V6_EXTRA: usize = 12;

impl StoredMessage {
    /// Bytes [`Self::encode`] writes.
    ///
    /// # Errors
    /// As [`Self::encode`].
    pub fn encoded_len(&self) -> Result<usize> {
        let hosts = [self.born_host, self.store_host];
        let v6 = hosts.iter().filter(|h| h.is_ipv6()).count();
        let props = self.properties.encoded_len();
        let len = FIXED_LEN_V4
            + v6 * V6_EXTRA
            + 4
            + self.body.len()
            + self.version.topic_len_width()
            + self.topic.len()
            + 2
            + props;
        i32::try_from(len)
            .map(|_| len)
            .map_err(|_| Error::invalid(format!("stored message of {len} bytes is too large")))
    }

    /// Appends the record in store format.
    ///
    /// `store_size` is ignored (the real size is written) and the IPv6 bits of `sys_flag` are
    /// set from the hosts' address families; every other field is written as given, `body_crc`
    /// included (see [`super::body_crc`]).
    ///
    /// # Errors
    /// [`Error::Invalid`] if the topic is too long for the version's length field (127 bytes for
    /// V1, 32767 for V2), the properties exceed 32767 bytes, or the record exceeds `i32::MAX`.
    pub fn encode(&self, dst: &mut BytesMut) -> Result<()> {
        let total = self.encoded_len()?;
        let max_topic = match self.version {
            MessageVersion::V1 => i8::MAX as usize,
            MessageVersion::V2 => i16::MAX as usize,
        };
        if self.topic.len() > max_topic {
            return Err(Error::invalid(format!(
                "topic of {} bytes does not fit a {:?} record",
                self.topic.len(),
                self.version
            )));
        }
        let props = self.properties.encode();
        let props_len = i16::try_from(props.len()).map_err(|_| {
            Error::invalid(format!("properties of {} bytes exceed 32767", props.len()))
        })?;
        let mut sys_flag = self.sys_flag & !(sysflag::BORN_HOST_V6 | sysflag::STORE_HOST_V6);
        if self.born_host.is_ipv6() {
            sys_flag |= sysflag::BORN_HOST_V6;
        }
        if self.store_host.is_ipv6() {
            sys_flag |= sysflag::STORE_HOST_V6;
        }

        dst.reserve(total);
        // Lengths below were bounded by `encoded_len`, which fits an i32.
        dst.put_i32(total as i32);
        dst.put_u32(self.version.magic_code());
        dst.put_i32(self.body_crc);
        dst.put_i32(self.queue_id);
        dst.put_i32(self.flag);
        dst.put_i64(self.queue_offset);
        dst.put_i64(self.commit_log_offset);
        dst.put_i32(sys_flag);
        dst.put_i64(self.born_timestamp);
        put_host(dst, self.born_host);
        dst.put_i64(self.store_timestamp);
        put_host(dst, self.store_host);
        dst.put_i32(self.reconsume_times);
        dst.put_i64(self.prepared_transaction_offset);
        dst.put_i32(self.body.len() as i32);
        dst.put_slice(&self.body);
        match self.version {
            MessageVersion::V1 => dst.put_i8(self.topic.len() as i8),
            MessageVersion::V2 => dst.put_i16(self.topic.len() as i16),
        }
        dst.put_slice(self.topic.as_bytes());
        dst.put_i16(props_len);
        dst.put_slice(props.as_bytes());
        Ok(())
    }
}

/// Writes an address as 4 or 16 IP bytes and an i32 port.
pub(super) fn put_host(dst: &mut BytesMut, addr: SocketAddr) {
    match addr {
        SocketAddr::V4(v4) => dst.put_slice(&v4.ip().octets()),
        SocketAddr::V6(v6) => dst.put_slice(&v6.ip().octets()),
    }
    dst.put_i32(i32::from(addr.port()));
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::message::{decode_stored, DecodeOptions, Properties};

    /// The record of PROTOCOL.md §6: IPv4, topic "T", body "hi", `TAGS=TagA`.
    #[test]
    fn encode_reproduces_the_documented_record() {
        let msg = StoredMessage {
            body_crc: super::super::body_crc(b"hi"),
            queue_id: 1,
            queue_offset: 5,
            commit_log_offset: 1000,
            born_timestamp: 1_700_000_000_000,
            born_host: "10.0.0.1:50000".parse().expect("addr"),
            store_timestamp: 1_700_000_000_001,
            store_host: "10.0.0.2:10911".parse().expect("addr"),
            body: Bytes::from_static(b"hi"),
            topic: "T".into(),
            properties: [("TAGS", "TagA")].into_iter().collect::<Properties>(),
            ..StoredMessage::default()
        };
        let mut buf = BytesMut::new();
        msg.encode(&mut buf).expect("encode");
        let expected = "00000067 daa320a7 58932aac 00000001 00000000 0000000000000005 \
                        00000000000003e8 00000000 0000018bcfe56800 0a000001 0000c350 \
                        0000018bcfe56801 0a000002 00002a9f 00000000 0000000000000000 \
                        00000002 6869 01 54 0009 544147530154616741";
        assert_eq!(hex(&buf), expected.replace(' ', ""));
        let back = decode_stored(buf.freeze(), DecodeOptions::new()).expect("decode");
        assert_eq!(
            back,
            [StoredMessage {
                store_size: 103,
                ..msg
            }]
        );
    }

    #[test]
    fn encode_rejects_long_topic_in_v1_but_not_v2() {
        let long = StoredMessage {
            topic: "x".repeat(128),
            ..StoredMessage::default()
        };
        assert!(long.encode(&mut BytesMut::new()).is_err());
        let v2 = StoredMessage {
            version: MessageVersion::V2,
            ..long
        };
        let mut buf = BytesMut::new();
        v2.encode(&mut buf).expect("v2 fits");
        let back = decode_stored(buf.freeze(), DecodeOptions::new()).expect("decode");
        assert_eq!(back[0].topic.len(), 128);
        assert_eq!(back[0].version, MessageVersion::V2);
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
