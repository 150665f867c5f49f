//! The SEND_BATCH_MESSAGE body (Java `MessageDecoder.encodeMessages`) and its decoder.
//!
//! ```text
//! per message: totalSize i32 | magic i32 = 0 | bodyCRC i32 = 0 | flag i32 |
//!              bodyLen i32 | body | propertiesLen i16 | properties
//! ```
//!
//! Topics are not in the body (the request header carries one topic for all); bodies are never
//! compressed. Checking that a batch may be sent (same topic, no delay) is the producer's job.

use bytes::{BufMut, Bytes, BytesMut};

use super::decode::Cursor;
use super::outgoing::Message;
use super::properties::Properties;
use crate::error::{Error, Result};

/// Fixed bytes of one entry besides body and properties.
const ENTRY_OVERHEAD: usize = 4 + 4 + 4 + 4 + 4 + 2;

/// Encodes `messages` as one batch body.
///
/// # Errors
/// As [`encode_batch_into`].
pub fn encode_batch(messages: &[Message]) -> Result<Bytes> {
    let mut dst = BytesMut::new();
    encode_batch_into(messages, &mut dst)?;
    Ok(dst.freeze())
}

/// Appends `messages` as batch entries to `dst`.
///
/// # Errors
/// [`Error::Invalid`] if a message's properties exceed 32767 bytes (Java throws too) or an
/// entry exceeds `i32::MAX` bytes. Nothing is written for the failing message.
pub fn encode_batch_into(messages: &[Message], dst: &mut BytesMut) -> Result<()> {
    for msg in messages {
        let props = msg.properties().encode();
        let props_len = i16::try_from(props.len()).map_err(|_| {
            Error::invalid(format!("properties of {} bytes exceed 32767", props.len()))
        })?;
        let body = msg.body();
        let total = ENTRY_OVERHEAD + body.len() + props.len();
        let total = i32::try_from(total)
            .map_err(|_| Error::invalid(format!("batch entry of {total} bytes is too large")))?;
        dst.reserve(total as usize);
        dst.put_i32(total);
        dst.put_i32(0); // magic code: ignored by the broker
        dst.put_i32(0); // body CRC: the broker computes it
        dst.put_i32(msg.flag());
        // The body is shorter than `total`, which fits an i32.
        dst.put_i32(body.len() as i32);
        dst.put_slice(body);
        dst.put_i16(props_len);
        dst.put_slice(props.as_bytes());
    }
    Ok(())
}

/// Decodes a batch body into messages of `topic`; bodies are zero-copy slices of `body`.
///
/// # Errors
/// [`Error::BadLength`] or [`Error::Truncated`] if an entry's lengths do not fit the body.
pub fn decode_batch(body: &Bytes, topic: &str) -> Result<Vec<Message>> {
    let mut messages = Vec::new();
    let mut rest = body.clone();
    while !rest.is_empty() {
        let size = Cursor::new(&rest).i32("batch totalSize")?;
        let len = usize::try_from(size)
            .ok()
            .filter(|&len| len >= ENTRY_OVERHEAD)
            .ok_or(Error::BadLength {
                what: "batch totalSize",
                len: i64::from(size),
            })?;
        if len > rest.len() {
            return Err(Error::truncated("batch entry", len, rest.len()));
        }
        let entry = rest.split_to(len);
        let mut c = Cursor::new(&entry);
        c.take(12, "batch entry header")?; // totalSize, magic, CRC
        let flag = c.i32("flag")?;
        let body_len = c.i32("bodyLength")?;
        let body_range = c.take(body_len.into(), "body")?;
        let props_len = c.i16("propertiesLength")?;
        let props_range = c.take(props_len.into(), "properties")?;
        let properties = Properties::decode_bytes(&entry[props_range]);
        messages.push(Message::from_parts(
            topic,
            entry.slice(body_range),
            flag,
            properties,
        ));
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PROTOCOL.md §8: `Message("T","TagA","k1","hi")` with Java's property order.
    #[test]
    fn encode_matches_the_documented_entry() {
        let props: Properties = [("KEYS", "k1"), ("WAIT", "true"), ("TAGS", "TagA")]
            .into_iter()
            .collect();
        let msg = Message::from_parts("T", "hi", 0, props);
        let body = encode_batch(std::slice::from_ref(&msg)).expect("encode");
        let hex: String = body.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "00000033000000000000000000000000000000026869001b\
             4b455953016b310257414954017472756502544147530154616741"
        );
        assert_eq!(decode_batch(&body, "T").expect("decode"), [msg]);
    }

    #[test]
    fn decode_rejects_entry_longer_than_body() {
        let body = encode_batch(&[Message::new("T", "hello")]).expect("encode");
        assert!(decode_batch(&body.slice(..body.len() - 1), "T").is_err());
        assert!(decode_batch(&Bytes::from_static(&[0, 0, 0, 1]), "T").is_err());
    }
}
