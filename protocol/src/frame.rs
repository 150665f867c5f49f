//! The remoting frame: how a [`Command`] travels on the wire.
//!
//! ```text
//! +----------------+---------------------------+-------------------+-------------+
//! | total_len: i32 | ser_type: u8 | hdr_len:u24 | header (hdr_len)  | body (rest) |
//! +----------------+---------------------------+-------------------+-------------+
//!                  |<-------------------- total_len bytes ------------------------>|
//! ```
//!
//! `total_len` counts everything after itself, so `body_len = total_len - 4 - hdr_len`. Java
//! reads frames with Netty's `LengthFieldBasedFrameDecoder(16 MiB, 0, 4, 0, 4)` and closes the
//! connection when `4 + total_len` exceeds the limit; [`DEFAULT_MAX_FRAME`] is that limit.
//!
//! [`Command::decode`] takes a frame *without* its length prefix (what a length-delimited codec
//! yields); [`decode_frame`] reads whole frames from a growing buffer.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::command::{Command, SerializeType};
use crate::encoding::{binary, json};
use crate::error::{Error, Result};

/// Java's default `com.rocketmq.remoting.frameMaxLength`: 16 MiB, length prefix included.
pub const DEFAULT_MAX_FRAME: usize = 16 * 1024 * 1024;

/// The largest header a frame can announce (24 bits).
pub const MAX_HEADER_LEN: usize = 0xFF_FFFF;

impl Command {
    /// Appends the whole frame, length prefix included, to `dst`.
    ///
    /// # Errors
    /// A header over 16 MiB, a frame over `i32::MAX`, or a binary header that cannot hold a
    /// field (see [`binary::encode_header`]).
    pub fn encode(&self, dst: &mut BytesMut) -> Result<()> {
        let start = dst.len();
        // Room for the whole frame up front, so encoding allocates at most once.
        dst.reserve(self.frame_len_hint());
        dst.put_u64(0); // placeholders for total_len and the type/length word
        match self.serialize_type {
            SerializeType::Json => json::encode_header_into(self, dst),
            SerializeType::RocketMq => {
                if let Err(e) = binary::encode_header_into(self, dst) {
                    // Leave `dst` as it was: a half-written frame would corrupt the stream.
                    dst.truncate(start);
                    return Err(e);
                }
            }
        }
        let header_len = dst.len() - start - 8;
        if header_len > MAX_HEADER_LEN {
            dst.truncate(start);
            return Err(Error::BadLength {
                what: "header",
                len: header_len as i64,
            });
        }
        let total = 4 + header_len + self.body.len();
        let Ok(total_i32) = i32::try_from(total) else {
            dst.truncate(start);
            return Err(Error::BadLength {
                what: "frame",
                len: total as i64,
            });
        };
        dst.put_slice(&self.body);
        let word = (u32::from(self.serialize_type.code()) << 24) | header_len as u32;
        dst[start..start + 4].copy_from_slice(&total_i32.to_be_bytes());
        dst[start + 4..start + 8].copy_from_slice(&word.to_be_bytes());
        Ok(())
    }

    /// About how many bytes [`encode`](Self::encode) appends: the length prefix, the header
    /// word, the header's unescaped text with its framing, and the body. Exact enough to size
    /// a buffer; a header with characters JSON escapes takes a little more.
    pub fn frame_len_hint(&self) -> usize {
        let header = 160
            + self.ext_fields.text.len()
            + 6 * self.ext_fields.len()
            + self.remark.as_ref().map_or(0, String::len);
        8 + header + self.body.len()
    }

    /// The frame as a fresh buffer.
    pub fn to_frame(&self) -> Result<Bytes> {
        let mut buf = BytesMut::new();
        self.encode(&mut buf)?;
        Ok(buf.freeze())
    }

    /// Decodes a frame whose 4-byte length prefix was already removed.
    ///
    /// The body is a zero-copy slice of `frame`.
    pub fn decode(mut frame: Bytes) -> Result<Command> {
        if frame.len() < 4 {
            return Err(Error::truncated("frame header word", 4, frame.len()));
        }
        let word = frame.get_u32();
        let ser = (word >> 24) as u8;
        let header_len = (word & 0xFF_FFFF) as usize;
        if header_len > frame.len() {
            return Err(Error::truncated("header", header_len, frame.len()));
        }
        let header = frame.split_to(header_len);
        let mut cmd = match SerializeType::from_code(ser) {
            Some(SerializeType::Json) => json::decode_header(&header)?,
            Some(SerializeType::RocketMq) => binary::decode_header(&header)?,
            None => return Err(Error::UnknownSerializeType(ser)),
        };
        cmd.body = frame;
        Ok(cmd)
    }
}

/// Reads one whole frame from `src` when it is there.
///
/// Returns `Ok(None)` and consumes nothing while the frame is incomplete; on error the stream is
/// corrupt and should be closed. `max_frame` counts the length prefix, as Java does.
pub fn decode_frame(src: &mut BytesMut, max_frame: usize) -> Result<Option<Command>> {
    if src.len() < 4 {
        return Ok(None);
    }
    let total = i32::from_be_bytes([src[0], src[1], src[2], src[3]]);
    let total = usize::try_from(total)
        .ok()
        .filter(|&n| n >= 4)
        .ok_or(Error::BadLength {
            what: "frame",
            len: i64::from(total),
        })?;
    if total.saturating_add(4) > max_frame {
        return Err(Error::FrameTooLarge {
            len: total + 4,
            max: max_frame,
        });
    }
    if src.len() < 4 + total {
        src.reserve(4 + total - src.len());
        return Ok(None);
    }
    src.advance(4);
    let frame = src.split_to(total).freeze();
    Command::decode(frame).map(Some)
}
