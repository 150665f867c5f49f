//! Framing for tokio-util: [`RemotingCodec`] turns a byte stream into [`Command`]s and back.
//! It only frames; routing frames to requests is the connection's job.
//!
//! ```text
//! INPUT                                               DECODED
//! +----------------+-----------+--------+------+      +---------+
//! | total_len: i32 | type|hlen | header | body | ---> | Command |
//! +----------------+-----------+--------+------+      +---------+
//!                  |<--------- total_len --------->|
//! ```
//!
//! The limit counts the 4-byte length prefix, as Java's
//! `LengthFieldBasedFrameDecoder(16 MiB, 0, 4, 0, 4)` does.

use std::io;

use bytes::{Bytes, BytesMut};
use rmq_protocol::frame::{decode_frame, DEFAULT_MAX_FRAME};
use rmq_protocol::Command;
use tokio_util::codec::{Decoder, Encoder};

/// Decodes and encodes remoting frames with a maximum frame size.
///
/// Besides [`Command`]s, the encoder accepts [`Bytes`] holding a frame already produced by
/// [`Command::encode`]; connections encode in the caller's task so encode errors reach the
/// caller and the frame's size is known before it is queued.
#[derive(Debug, Clone, Copy)]
pub struct RemotingCodec {
    max_frame: usize,
}

/// Why [`RemotingCodec`] failed: the stream is unusable afterwards.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// Reading or writing the underlying stream failed.
    #[error("i/o error")]
    Io(#[from] io::Error),
    /// The bytes are not a valid frame, or a frame is over the limit.
    #[error("invalid frame")]
    Protocol(#[from] rmq_protocol::Error),
}

/// What a peer that does not speak the remoting protocol answered like, recognised from the
/// first bytes it sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ForeignPeer {
    /// The bytes start with `HTTP`: an HTTP server's response (a proxy or dashboard port).
    Http,
    /// A TLS record (`0x16 0x03`) on a plain connection: the server expects TLS.
    Tls,
}

impl std::fmt::Display for ForeignPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ForeignPeer::Http => "an HTTP server",
            ForeignPeer::Tls => "a TLS server (enable TLS in the client configuration)",
        })
    }
}

impl ForeignPeer {
    /// Recognises a peer speaking another protocol from the start of what it sent; `None` when
    /// the bytes could be a remoting frame's length prefix.
    ///
    /// Both signatures read as a length prefix far over any sane frame limit ("HTTP" is
    /// 1213486164 bytes), so the reader asks only once a frame was rejected as too large.
    pub fn recognise(bytes: &[u8]) -> Option<ForeignPeer> {
        if bytes.starts_with(b"HTTP") {
            Some(ForeignPeer::Http)
        } else if bytes.starts_with(&[0x16, 0x03]) {
            Some(ForeignPeer::Tls)
        } else {
            None
        }
    }
}

impl RemotingCodec {
    /// A codec rejecting frames over `max_frame` bytes (length prefix included).
    pub fn new(max_frame: usize) -> Self {
        RemotingCodec { max_frame }
    }

    /// The frame limit in bytes, length prefix included.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    /// Encodes `cmd` into a standalone frame, checking it against the limit.
    ///
    /// # Errors
    /// The protocol's encode errors, or [`rmq_protocol::Error::FrameTooLarge`].
    pub fn encode_frame(&self, cmd: &Command) -> Result<Bytes, rmq_protocol::Error> {
        // `encode` reserves room for the whole frame itself, in one allocation.
        let mut buf = BytesMut::new();
        cmd.encode(&mut buf)?;
        if buf.len() > self.max_frame {
            return Err(rmq_protocol::Error::FrameTooLarge {
                len: buf.len(),
                max: self.max_frame,
            });
        }
        Ok(buf.freeze())
    }
}

impl Default for RemotingCodec {
    /// A codec with Java's 16 MiB limit.
    fn default() -> Self {
        RemotingCodec::new(DEFAULT_MAX_FRAME)
    }
}

impl Decoder for RemotingCodec {
    type Item = Command;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Command>, CodecError> {
        Ok(decode_frame(src, self.max_frame)?)
    }
}

impl Encoder<Command> for RemotingCodec {
    type Error = CodecError;

    fn encode(&mut self, item: Command, dst: &mut BytesMut) -> Result<(), CodecError> {
        let start = dst.len();
        item.encode(dst)?;
        let len = dst.len() - start;
        if len > self.max_frame {
            dst.truncate(start);
            return Err(rmq_protocol::Error::FrameTooLarge {
                len,
                max: self.max_frame,
            }
            .into());
        }
        Ok(())
    }
}

impl Encoder<Bytes> for RemotingCodec {
    type Error = CodecError;

    /// Appends a frame that [`RemotingCodec::encode_frame`] (or [`Command::encode`]) produced.
    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        dst.extend_from_slice(&item);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmq_protocol::RequestCode;

    fn request() -> Command {
        Command::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_ext("topic", "TopicTest")
    }

    #[test]
    fn decodes_frame_delivered_byte_by_byte() {
        let mut codec = RemotingCodec::default();
        let wire = codec.encode_frame(&request()).expect("encodes");
        let mut buf = BytesMut::new();
        let mut out = None;
        for (i, b) in wire.iter().enumerate() {
            buf.extend_from_slice(&[*b]);
            let got = codec.decode(&mut buf).expect("valid prefix");
            if i + 1 < wire.len() {
                assert!(got.is_none(), "frame complete early at byte {i}");
            } else {
                out = got;
            }
        }
        assert_eq!(out, Some(request()));
        assert!(buf.is_empty());
    }

    #[test]
    fn decode_rejects_frame_over_limit_counting_prefix() {
        let frame = RemotingCodec::default()
            .encode_frame(&request())
            .expect("encodes");
        let mut exact = RemotingCodec::new(frame.len());
        let mut buf = BytesMut::from(&frame[..]);
        assert!(exact.decode(&mut buf).expect("fits").is_some());

        let mut small = RemotingCodec::new(frame.len() - 1);
        let mut buf = BytesMut::from(&frame[..]);
        let err = small.decode(&mut buf).expect_err("one byte over");
        assert!(matches!(
            err,
            CodecError::Protocol(rmq_protocol::Error::FrameTooLarge { .. })
        ));
    }

    #[test]
    fn encode_rejects_frame_over_limit_and_leaves_buffer_untouched() {
        let mut codec = RemotingCodec::new(64);
        let mut dst = BytesMut::from(&b"xy"[..]);
        let big = request().with_body(vec![0u8; 100]);
        assert!(Encoder::<Command>::encode(&mut codec, big.clone(), &mut dst).is_err());
        assert_eq!(&dst[..], b"xy");
        assert!(codec.encode_frame(&big).is_err());
    }

    #[test]
    fn recognises_http_and_tls_but_not_a_frame() {
        assert_eq!(
            ForeignPeer::recognise(b"HTTP/1.1 400 Bad Request\r\n"),
            Some(ForeignPeer::Http)
        );
        assert_eq!(
            ForeignPeer::recognise(&[0x16, 0x03, 0x03, 0x00, 0x4a]),
            Some(ForeignPeer::Tls)
        );
        let frame = RemotingCodec::default()
            .encode_frame(&request())
            .expect("encodes");
        assert_eq!(ForeignPeer::recognise(&frame), None);
        assert_eq!(ForeignPeer::recognise(b"\x15\x03"), None);
        // A TLS alert record (0x15) is not a handshake; "HTTP" is matched on its own.
        assert_eq!(ForeignPeer::recognise(b"HTTP"), Some(ForeignPeer::Http));
    }

    #[test]
    fn decode_rejects_garbage() {
        let mut codec = RemotingCodec::default();
        let mut buf = BytesMut::from(&b"\xff\xff\xff\xffgarbage"[..]);
        assert!(codec.decode(&mut buf).is_err());
    }
}
