//! Messages on the wire: [`Message`] (what users send), [`StoredMessage`] (what brokers return),
//! the properties codec, the store format of pull bodies and the batch body.
//!
//! Sending, a message travels as header fields (topic, flag, sysFlag, properties string) plus a
//! body; a batch packs several into one body ([`encode_batch`]). Receiving, a pull body holds
//! store-format records ([`decode_stored`]). Ids live in [`crate::ids`] and compression in
//! [`crate::compression`]; deciding when to compress or what to batch is the producer's job.
//!
//! ```
//! use bytes::BytesMut;
//! use rmq_protocol::message::{decode_stored, DecodeOptions, StoredMessage};
//!
//! let record = StoredMessage { topic: "T".into(), body: "hi".into(), ..StoredMessage::default() };
//! let mut body = BytesMut::new();
//! record.encode(&mut body)?;
//! let pulled = decode_stored(body.freeze(), DecodeOptions::new())?;
//! assert_eq!(pulled[0].body, "hi");
//! # Ok::<(), rmq_protocol::Error>(())
//! ```

mod batch;
mod decode;
mod encode;
mod outgoing;
mod properties;
pub mod property;
mod stored;
pub mod sysflag;

pub use batch::{decode_batch, encode_batch, encode_batch_into};
pub use decode::{decode_stored, DecodeOptions, StoredMessages};
pub use outgoing::Message;
pub use properties::{
    Iter as PropertiesIter, Properties, NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR,
};
pub use stored::{body_crc, MessageVersion, StoredMessage};
pub use sysflag::PullSysFlag;
