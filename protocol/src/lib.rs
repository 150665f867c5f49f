//! Pure codecs for Apache RocketMQ's remoting protocol: no sockets, no runtime.
//!
//! Everything a RocketMQ 4.x/5.x client puts on or reads from a TCP connection is modelled
//! here as plain data with encode and decode functions:
//!
//! - [`Command`] and [`frame`]: remoting frames in both header serializations, JSON (what Java
//!   sends by default) and ROCKETMQ binary. Decoders accept both on every frame.
//! - [`RequestCode`] / [`ResponseCode`]: open code spaces.
//!
//! # Getting started
//! ```
//! use bytes::BytesMut;
//! use rmq_protocol::{frame, Command, RequestCode};
//!
//! let request = Command::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_ext("topic", "T");
//! let mut wire = BytesMut::new();
//! request.encode(&mut wire)?;
//! let decoded = frame::decode_frame(&mut wire, frame::DEFAULT_MAX_FRAME)?.expect("one frame");
//! assert_eq!(decoded.ext_fields.get("topic"), Some("T"));
//! # Ok::<(), rmq_protocol::Error>(())
//! ```
//!
//! # Errors
//! Every decoder returns [`Error`] on malformed input and never panics; lengths read from the
//! wire are checked against the bytes present before anything is allocated.
//!
//! # Feature flags
//! - `zlib` (default), with `zlib-rs` (default) as flate2's backend; `lz4` (default); `zstd`
//!   (default): the body codecs of [`compression`]. Without one, that type's compress and
//!   decompress return [`Error::CodecNotCompiled`], and so does decoding a record of that type.
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

pub mod acl;
pub mod body;
pub mod code;
pub mod command;
pub mod compression;
pub mod encoding;
pub mod error;
pub mod frame;
pub mod header;
pub mod ids;
pub mod message;
pub mod naming;
pub mod perm;
pub mod trace;
pub mod validate;
pub mod version;

pub use acl::Credentials;
pub use body::{from_fastjson, JsonBody, MessageQueue};
pub use code::{RequestCode, ResponseCode};
pub use command::{Command, ExtFields, LanguageCode, SerializeType, CURRENT_VERSION};
pub use error::{Error, Result};
pub use header::CommandHeader;
pub use message::{Message, Properties, StoredMessage};
pub use version::Version;
