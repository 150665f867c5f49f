//! The one error type of `rmq-protocol`: what can go wrong while encoding or decoding.

use std::fmt;

/// A `Result` whose error defaults to [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a frame, header, message or body could not be encoded or decoded.
///
/// Decoding never panics: every malformed input maps to one of these variants.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A frame announced a length above the configured limit.
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    FrameTooLarge {
        /// Announced length.
        len: usize,
        /// Configured limit.
        max: usize,
    },
    /// The buffer ended before the structure it announced.
    #[error("truncated {what}: needed {needed} bytes, {available} available")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: usize,
        /// Bytes present.
        available: usize,
    },
    /// A length field is negative or points outside its enclosing structure.
    #[error("invalid length {len} for {what}")]
    BadLength {
        /// What the length describes.
        what: &'static str,
        /// The offending value.
        len: i64,
    },
    /// The serialize-type byte of a frame is neither JSON (0) nor ROCKETMQ (1).
    #[error("unknown header serialize type {0}")]
    UnknownSerializeType(u8),
    /// A JSON header or body could not be parsed.
    #[error("invalid JSON in {what}")]
    Json {
        /// What was being parsed.
        what: &'static str,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A string was not valid UTF-8.
    #[error("invalid UTF-8 in {0}")]
    Utf8(&'static str),
    /// A required header field is absent.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// A header field is present but does not parse as its type.
    #[error("field `{field}` has invalid value {value:?}")]
    InvalidField {
        /// Field name on the wire.
        field: &'static str,
        /// The value received.
        value: String,
    },
    /// A stored message has a magic code this decoder does not know.
    #[error("unknown message magic code {0:#010x}")]
    UnknownMagic(u32),
    /// A message body could not be (de)compressed.
    #[error("compression: {0}")]
    Compression(String),
    /// A body uses a codec this build left out: its cargo feature (named as the codec) is off.
    #[error(
        "{codec} compression is not compiled in: enable the `{codec}` feature of rmq-protocol"
    )]
    CodecNotCompiled {
        /// The codec, which is also the name of the feature that compiles it in: `zlib`,
        /// `lz4` or `zstd`.
        codec: &'static str,
    },
    /// A value violates a protocol rule (validators, size limits).
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    pub(crate) fn truncated(what: &'static str, needed: usize, available: usize) -> Self {
        Error::Truncated {
            what,
            needed,
            available,
        }
    }

    pub(crate) fn json(what: &'static str, source: serde_json::Error) -> Self {
        Error::Json { what, source }
    }

    pub(crate) fn invalid(msg: impl fmt::Display) -> Self {
        Error::Invalid(msg.to_string())
    }
}
