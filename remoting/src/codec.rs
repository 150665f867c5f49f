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
    /// A TLS record (a handshake `0x16 0x03`, or an alert `0x15 0x03` answering our plain
    /// bytes) on a plain connection: the server expects TLS.
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
        } else if bytes.starts_with(&[0x16, 0x03]) || bytes.starts_with(&[0x15, 0x03]) {
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
    ///
    /// Frames up to [`ARENA_FRAME_MAX`] bytes are cut from a per-thread arena (see
    /// [`ARENA_CHUNK`]), so encoding a small request allocates nothing once the frames cut
    /// before it were written and dropped; larger frames get a buffer of their own.
    pub fn encode_frame(&self, cmd: &Command) -> Result<Bytes, rmq_protocol::Error> {
        let hint = cmd.frame_len_hint();
        let frame = if hint <= ARENA_FRAME_MAX {
            ARENA
                .try_with(|arena| encode_in_arena(&mut arena.borrow_mut(), cmd, hint))
                // The thread is exiting and its arena is gone.
                .unwrap_or_else(|_| encode_alone(cmd))?
        } else {
            encode_alone(cmd)?
        };
        if frame.len() > self.max_frame {
            return Err(rmq_protocol::Error::FrameTooLarge {
                len: frame.len(),
                max: self.max_frame,
            });
        }
        Ok(frame)
    }
}

/// The size of the buffer a thread cuts small frames from. A new one is allocated only when
/// the current one is full and frames cut from it are still queued; once they are all written,
/// the same memory is reused. Queued frames pin at most their own bytes plus one chunk.
pub const ARENA_CHUNK: usize = 64 * 1024;

/// The largest frame (by [`Command::frame_len_hint`]) encoded into the arena; a quarter of
/// a chunk, so a retired chunk is at least three quarters full.
pub const ARENA_FRAME_MAX: usize = ARENA_CHUNK / 4;

thread_local! {
    /// This thread's arena; empty between calls (each frame is split off whole).
    static ARENA: std::cell::RefCell<BytesMut> = std::cell::RefCell::new(BytesMut::new());
}

/// Encodes `cmd` at the start of `arena`'s free space and splits the frame off.
fn encode_in_arena(
    arena: &mut BytesMut,
    cmd: &Command,
    hint: usize,
) -> Result<Bytes, rmq_protocol::Error> {
    if arena.capacity() < hint {
        // Reclaims the whole chunk when every frame cut from it is gone, else allocates a
        // fresh one.
        arena.reserve(ARENA_CHUNK);
    }
    let encoded = cmd.encode(arena);
    // On error `encode` left nothing behind; either way the arena ends up empty.
    let frame = arena.split().freeze();
    encoded.map(|()| frame)
}

/// Encodes `cmd` into a buffer of its own (`encode` reserves the whole frame at once).
fn encode_alone(cmd: &Command) -> Result<Bytes, rmq_protocol::Error> {
    let mut buf = BytesMut::new();
    cmd.encode(&mut buf)?;
    Ok(buf.freeze())
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
    use rmq_protocol::{RequestCode, SerializeType};

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
        // A TLS server answers our plain frame with an alert record (decode_error).
        assert_eq!(
            ForeignPeer::recognise(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32]),
            Some(ForeignPeer::Tls)
        );
        assert_eq!(ForeignPeer::recognise(b"\x15\x01"), None);
        assert_eq!(ForeignPeer::recognise(b"HTTP"), Some(ForeignPeer::Http));
    }

    fn addr(frame: &Bytes) -> usize {
        frame.as_ptr() as usize
    }

    #[test]
    fn arena_reuses_its_chunk_once_the_frames_cut_from_it_are_dropped() {
        let codec = RemotingCodec::default();
        let cmd = request().with_body(vec![1u8; 1000]);
        let first = codec.encode_frame(&cmd).expect("encodes");
        let (base, len) = (addr(&first), first.len());
        drop(first);
        // Frames dropped at once (written, as the writer task does) are cut one after another
        // from the chunk, and once it is full the same chunk starts over.
        let (mut prev, mut cut_next, mut started_over) = (base, 0, 0);
        for i in 0..(3 * ARENA_CHUNK / len) {
            let at = addr(&codec.encode_frame(&cmd).expect("encodes"));
            if at == prev + len {
                cut_next += 1;
            } else {
                assert_eq!(
                    at, base,
                    "frame {i} is neither next in the chunk nor its start"
                );
                started_over += 1;
            }
            prev = at;
        }
        assert!(
            cut_next > 100,
            "frames were cut one after another ({cut_next})"
        );
        assert!(
            started_over >= 2,
            "the chunk was reused ({started_over} times)"
        );
    }

    #[test]
    fn arena_never_overwrites_a_frame_still_queued() {
        let codec = RemotingCodec::default();
        let held: Vec<(Bytes, Vec<u8>)> = (0..(3 * ARENA_CHUNK / 500))
            .map(|i| {
                let cmd = request().with_body(vec![(i % 251) as u8; 500]);
                let frame = codec.encode_frame(&cmd).expect("encodes");
                let copy = frame.to_vec();
                (frame, copy)
            })
            .collect();
        for (frame, copy) in &held {
            assert_eq!(frame.as_ref(), copy.as_slice());
        }
    }

    #[test]
    fn arena_is_left_empty_by_a_request_that_fails_to_encode() {
        let codec = RemotingCodec::default();
        let mut bad = request().with_serialize_type(SerializeType::RocketMq);
        bad.code = i32::from(i16::MAX) + 1;
        assert!(codec.encode_frame(&bad).is_err());
        let frame = codec.encode_frame(&request()).expect("encodes");
        let mut buf = BytesMut::from(&frame[..]);
        assert_eq!(
            RemotingCodec::default().decode(&mut buf).expect("decodes"),
            Some(request())
        );
    }

    #[test]
    fn frames_over_the_arena_limit_get_their_own_buffer() {
        let codec = RemotingCodec::default();
        let big = request().with_body(vec![3u8; ARENA_FRAME_MAX + 1]);
        let frame = codec.encode_frame(&big).expect("encodes");
        let mut alone = BytesMut::new();
        big.encode(&mut alone).expect("encodes");
        assert_eq!(frame, alone);
    }

    #[test]
    fn decode_rejects_garbage() {
        let mut codec = RemotingCodec::default();
        let mut buf = BytesMut::from(&b"\xff\xff\xff\xffgarbage"[..]);
        assert!(codec.decode(&mut buf).is_err());
    }
}
