//! Store-format decoding: the records of a PULL / QUERY_MESSAGE / VIEW_MESSAGE_BY_ID body.
//!
//! A body is records back to back; each record starts with its own size, so a record whose
//! *content* is bad (say, a corrupt compressed body) does not stop the records after it. Every
//! length is checked against the bytes present before it is used, and bodies are zero-copy
//! slices of the input unless decompressed.
//!
//! ```text
//! +-----------+-------+---------+---------+------+-------------+------------+---------+
//! | totalSize | magic | bodyCRC | queueId | flag | queueOffset | physOffset | sysFlag |
//! |    i32    |  i32  |   i32   |   i32   | i32  |     i64     |    i64     |   i32   |
//! +-----------+-------+---------+---------+------+-------------+------------+---------+
//! | bornTimestamp | bornHost (4|16 + i32 port) | storeTimestamp | storeHost (4|16 + i32) |
//! +---------------+----------------------------+----------------+------------------------+
//! | reconsumeTimes i32 | preparedTxOffset i64 | bodyLen i32 | body | topicLen i8 (V1) or |
//! | i16 (V2) | topic | propertiesLen i16 | properties                                    |
//! +-------------------------------------------------------------------------------------+
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::Range;

use bytes::Bytes;

use super::properties::Properties;
use super::stored::{MessageVersion, StoredMessage};
use super::sysflag;
use crate::compression::{self, CompressionType};
use crate::error::{Error, Result};

/// How [`decode_stored`] and [`StoredMessages`] treat bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    read_body: bool,
    decompress: bool,
    max_body_len: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions::new()
    }
}

impl DecodeOptions {
    /// Read bodies, decompress compressed ones, at most
    /// [`compression::DEFAULT_MAX_DECOMPRESSED`] bytes each.
    pub const fn new() -> Self {
        DecodeOptions {
            read_body: true,
            decompress: true,
            max_body_len: compression::DEFAULT_MAX_DECOMPRESSED,
        }
    }

    /// Whether to keep bodies (default true); without, every body is empty.
    pub const fn with_body(mut self, read_body: bool) -> Self {
        self.read_body = read_body;
        self
    }

    /// Whether to inflate compressed bodies (default true); without, bodies are as stored.
    pub const fn with_decompress(mut self, decompress: bool) -> Self {
        self.decompress = decompress;
        self
    }

    /// Largest decompressed body accepted (default 64 MiB).
    pub const fn with_max_body_len(mut self, max: usize) -> Self {
        self.max_body_len = max;
        self
    }

    /// Whether bodies are kept.
    pub const fn read_body(&self) -> bool {
        self.read_body
    }

    /// Whether compressed bodies are inflated.
    pub const fn decompress(&self) -> bool {
        self.decompress
    }

    /// Largest decompressed body accepted.
    pub const fn max_body_len(&self) -> usize {
        self.max_body_len
    }
}

/// Decodes every record of `body`.
///
/// # Errors
/// The first record that fails, as [`StoredMessages`] reports it.
pub fn decode_stored(body: Bytes, options: DecodeOptions) -> Result<Vec<StoredMessage>> {
    StoredMessages::new(body, options).collect()
}

/// Iterator over the records of a body, yielding each as it is decoded.
///
/// A record whose size field is bad ends the iteration after its error (nothing after it can be
/// framed); an error inside a well-framed record is yielded and iteration goes on.
#[derive(Debug, Clone)]
pub struct StoredMessages {
    rest: Bytes,
    options: DecodeOptions,
}

impl StoredMessages {
    /// Iterates over the records of `body`.
    pub fn new(body: Bytes, options: DecodeOptions) -> Self {
        StoredMessages {
            rest: body,
            options,
        }
    }
}

impl Iterator for StoredMessages {
    type Item = Result<StoredMessage>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let record = match split_record(&mut self.rest) {
            Ok(record) => record,
            Err(e) => {
                self.rest = Bytes::new();
                return Some(Err(e));
            }
        };
        Some(decode_record(&record, self.options))
    }
}

/// Splits the first record off `rest`, by its size field.
fn split_record(rest: &mut Bytes) -> Result<Bytes> {
    let size = Cursor::new(rest).i32("totalSize")?;
    // The size field and the magic code at least, so iteration always makes progress.
    let len = usize::try_from(size)
        .ok()
        .filter(|&len| len >= 8)
        .ok_or(Error::BadLength {
            what: "stored message totalSize",
            len: i64::from(size),
        })?;
    if len > rest.len() {
        return Err(Error::truncated("stored message", len, rest.len()));
    }
    Ok(rest.split_to(len))
}

/// Decodes one record; `record` holds exactly the record's bytes.
fn decode_record(record: &Bytes, options: DecodeOptions) -> Result<StoredMessage> {
    let mut c = Cursor::new(record);
    let store_size = c.i32("totalSize")?;
    let magic = c.i32("magicCode")? as u32;
    let version = MessageVersion::from_magic_code(magic).ok_or(Error::UnknownMagic(magic))?;
    let body_crc = c.i32("bodyCRC")?;
    let queue_id = c.i32("queueId")?;
    let flag = c.i32("flag")?;
    let queue_offset = c.i64("queueOffset")?;
    let commit_log_offset = c.i64("physicalOffset")?;
    let sys_flag = c.i32("sysFlag")?;
    let born_timestamp = c.i64("bornTimestamp")?;
    let born_host = c.host(sys_flag & sysflag::BORN_HOST_V6 != 0, "bornHost")?;
    let store_timestamp = c.i64("storeTimestamp")?;
    let store_host = c.host(sys_flag & sysflag::STORE_HOST_V6 != 0, "storeHost")?;
    let reconsume_times = c.i32("reconsumeTimes")?;
    let prepared_transaction_offset = c.i64("preparedTransactionOffset")?;
    let body_len = c.i32("bodyLength")?;
    let body_range = c.take(body_len.into(), "body")?;
    let topic_len = match version {
        MessageVersion::V1 => i64::from(c.i8("topicLength")?),
        MessageVersion::V2 => i64::from(c.i16("topicLength")?),
    };
    let topic_range = c.take(topic_len, "topic")?;
    let props_len = c.i16("propertiesLength")?;
    let props_range = c.take(props_len.into(), "properties")?;

    let body = if !options.read_body {
        Bytes::new()
    } else if options.decompress && sysflag::is_compressed(sys_flag) {
        let kind = CompressionType::from_sys_flag(sys_flag)?;
        let packed = &record[body_range];
        Bytes::from(compression::decompress(kind, packed, options.max_body_len)?)
    } else {
        record.slice(body_range)
    };
    Ok(StoredMessage {
        version,
        store_size,
        body_crc,
        queue_id,
        flag,
        queue_offset,
        commit_log_offset,
        sys_flag,
        born_timestamp,
        born_host,
        store_timestamp,
        store_host,
        reconsume_times,
        prepared_transaction_offset,
        body,
        topic: String::from_utf8_lossy(&record[topic_range]).into_owned(),
        properties: Properties::from_wire(record.slice(props_range)),
    })
}

/// A bounds-checked big-endian reader over one record.
pub(super) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    /// The next `len` bytes as a range of the buffer; a negative `len` is an error.
    pub(super) fn take(&mut self, len: i64, what: &'static str) -> Result<Range<usize>> {
        let n = usize::try_from(len).map_err(|_| Error::BadLength { what, len })?;
        let available = self.buf.len() - self.pos;
        if n > available {
            return Err(Error::truncated(what, n, available));
        }
        let range = self.pos..self.pos + n;
        self.pos += n;
        Ok(range)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let range = self.take(N as i64, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(&self.buf[range]);
        Ok(out)
    }

    pub(super) fn i8(&mut self, what: &'static str) -> Result<i8> {
        Ok(i8::from_be_bytes(self.array(what)?))
    }

    pub(super) fn i16(&mut self, what: &'static str) -> Result<i16> {
        Ok(i16::from_be_bytes(self.array(what)?))
    }

    pub(super) fn i32(&mut self, what: &'static str) -> Result<i32> {
        Ok(i32::from_be_bytes(self.array(what)?))
    }

    pub(super) fn i64(&mut self, what: &'static str) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array(what)?))
    }

    /// An address: 4 or 16 IP bytes, then the port as an i32.
    fn host(&mut self, v6: bool, what: &'static str) -> Result<SocketAddr> {
        let ip = if v6 {
            IpAddr::V6(Ipv6Addr::from(self.array::<16>(what)?))
        } else {
            IpAddr::V4(Ipv4Addr::from(self.array::<4>(what)?))
        };
        let port = self.i32(what)?;
        let port = u16::try_from(port).map_err(|_| Error::InvalidField {
            field: what,
            value: format!("port {port}"),
        })?;
        Ok(SocketAddr::new(ip, port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> StoredMessage {
        StoredMessage {
            topic: "T".into(),
            body: Bytes::from_static(b"hi"),
            queue_id: 1,
            ..StoredMessage::default()
        }
    }

    fn encoded(msg: &StoredMessage) -> Bytes {
        let mut buf = bytes::BytesMut::new();
        msg.encode(&mut buf).expect("encode");
        buf.freeze()
    }

    #[test]
    fn decode_rejects_unknown_magic() {
        let mut wire = encoded(&sample()).to_vec();
        wire[4..8].copy_from_slice(&0xCBD4_3194u32.to_be_bytes());
        let err = decode_stored(wire.into(), DecodeOptions::new()).expect_err("blank magic");
        assert!(matches!(err, Error::UnknownMagic(0xCBD4_3194)));
    }

    #[test]
    fn decode_rejects_size_beyond_the_buffer() {
        let wire = encoded(&sample());
        let cut = wire.slice(..wire.len() - 1);
        assert!(decode_stored(cut, DecodeOptions::new()).is_err());
    }

    #[test]
    fn decode_rejects_tiny_total_size_without_looping() {
        let wire = Bytes::from_static(&[0, 0, 0, 0, 1, 2, 3, 4]);
        let mut iter = StoredMessages::new(wire, DecodeOptions::new());
        assert!(matches!(iter.next(), Some(Err(Error::BadLength { .. }))));
        assert!(iter.next().is_none());
    }

    #[test]
    fn decode_rejects_negative_body_length() {
        let mut wire = encoded(&sample()).to_vec();
        wire[84..88].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(decode_stored(wire.into(), DecodeOptions::new()).is_err());
    }

    #[test]
    fn bad_record_content_does_not_stop_the_next_record() {
        let good = encoded(&sample());
        let mut bad = good.to_vec();
        bad[84..88].copy_from_slice(&1000i32.to_be_bytes());
        let body = [bad.as_slice(), &good].concat();
        let results: Vec<_> = StoredMessages::new(body.into(), DecodeOptions::new()).collect();
        assert_eq!(results.len(), 2);
        assert!(results[0].is_err());
        assert_eq!(results[1].as_ref().expect("second record").body, "hi");
    }

    #[test]
    fn body_is_a_slice_of_the_input() {
        let wire = encoded(&sample());
        let msgs = decode_stored(wire.clone(), DecodeOptions::new()).expect("decode");
        let body_ptr = msgs[0].body.as_ptr() as usize;
        let start = wire.as_ptr() as usize;
        assert!(body_ptr >= start && body_ptr < start + wire.len());
    }
}
