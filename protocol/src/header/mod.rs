//! Typed request and response headers: Java's `CommandCustomHeader` classes as Rust structs that
//! convert to and from a command's `extFields`, one file per request family.
//!
//! Only the ext-field mapping lives here; which code a header goes with, and bodies, are the
//! caller's business (see [`crate::body`] for JSON bodies).
//!
//! # Wire rules (Java: `RemotingCommand#makeCustomHeaderToNet` / `decodeCommandCustomHeader`)
//! - Every non-null field becomes `extFields[javaFieldName] = value.toString()`: decimal integers,
//!   `"true"`/`"false"`; `None` is omitted.
//! - Booleans are read like `Boolean.parseBoolean`: case-insensitive `"true"` is true, anything
//!   else false. A missing primitive `boolean` reads as `false`, as Java leaves its default.
//! - A missing required field is [`Error::MissingField`]; an unparsable one is
//!   [`Error::InvalidField`], both naming the wire field.
//!
//! ```
//! use rmq_protocol::header::{CommandHeader, GetRouteInfoRequestHeader};
//! use rmq_protocol::{Command, RequestCode};
//!
//! let header = GetRouteInfoRequestHeader { topic: "T".into(), accept_standard_json_only: None };
//! let cmd = Command::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_header(&header);
//! assert_eq!(cmd.ext_fields.get("topic"), Some("T"));
//! assert_eq!(cmd.decode_header::<GetRouteInfoRequestHeader>()?, header);
//! # Ok::<(), rmq_protocol::Error>(())
//! ```

use crate::command::{Command, ExtFields};
use crate::error::{Error, Result};

/// Declares a header struct whose fields map one-to-one onto ext fields.
///
/// Each field is `name: Type = "wireName"`; the type decides required/optional handling through
/// [`HeaderField`].
macro_rules! header {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $wire:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $name {
            /// The Java wire names of this header's fields, in declaration order.
            pub const FIELD_NAMES: &'static [&'static str] = &[$($wire),*];
        }

        impl $crate::header::CommandHeader for $name {
            fn write(&self, ext: &mut $crate::command::ExtFields) {
                // Room for every pair first, so writing them allocates at most twice.
                let text = 0 $( + $wire.len() + $crate::header::HeaderField::wire_len(&self.$field) )*;
                ext.reserve(Self::FIELD_NAMES.len(), text);
                $( $crate::header::HeaderField::put(&self.$field, $wire, ext); )*
            }

            fn read(ext: &$crate::command::ExtFields) -> $crate::error::Result<Self> {
                let _ = &ext;
                Ok($name {
                    $( $field: $crate::header::HeaderField::take(ext, $wire)?, )*
                })
            }
        }
    };
}

mod admin;
mod admin5;
mod client;
mod consumer;
mod kv;
mod offset;
mod pop;
mod pop_handle;
mod pull;
mod query;
mod recall;
mod route;
mod send;
mod transaction;

pub use admin::*;
pub use admin5::*;
pub use client::*;
pub use consumer::*;
pub use kv::*;
pub use offset::*;
pub use pop::*;
pub use pop_handle::*;
pub use pull::*;
pub use query::*;
pub use recall::*;
pub use route::*;
pub use send::*;
pub use transaction::*;

/// A typed custom header: converts to and from a command's `extFields`.
pub trait CommandHeader: Sized {
    /// Writes every present field into `ext` (absent optional fields are not written).
    fn write(&self, ext: &mut ExtFields);

    /// Reads the header from `ext`.
    ///
    /// # Errors
    /// [`Error::MissingField`] when a required field is absent, [`Error::InvalidField`] when a
    /// field does not parse as its type.
    fn read(ext: &ExtFields) -> Result<Self>;

    /// The header as a fresh ext-field map.
    fn to_ext_fields(&self) -> ExtFields {
        let mut ext = ExtFields::new();
        self.write(&mut ext);
        ext
    }
}

impl Command {
    /// Writes `header`'s fields into this command's ext fields.
    pub fn with_header<H: CommandHeader>(mut self, header: &H) -> Self {
        header.write(&mut self.ext_fields);
        self
    }

    /// Reads a typed header from this command's ext fields.
    ///
    /// # Errors
    /// As [`CommandHeader::read`].
    pub fn decode_header<H: CommandHeader>(&self) -> Result<H> {
        H::read(&self.ext_fields)
    }
}

/// A single value carried in an ext field: how it is written and parsed.
pub trait HeaderScalar: Sized {
    /// Java's `toString()` of the value.
    fn to_wire(&self) -> String;

    /// Sets `ext[name]` to [`to_wire`](Self::to_wire)'s text; implementations write it
    /// without an intermediate `String` where they can.
    fn put_wire(&self, name: &'static str, ext: &mut ExtFields) {
        ext.insert_str(name, &self.to_wire());
    }

    /// About how many bytes the wire text takes (for reserving room; need not be exact).
    fn wire_len(&self) -> usize {
        20
    }

    /// Parses the wire text; `field` names the field in errors.
    ///
    /// # Errors
    /// [`Error::InvalidField`] when the text does not parse.
    fn from_wire(text: &str, field: &'static str) -> Result<Self>;
}

/// A header field type: decides what "absent" means (error, `None`, or `false`).
pub trait HeaderField: Sized {
    /// Writes the field into `ext` unless it is absent.
    fn put(&self, name: &'static str, ext: &mut ExtFields);

    /// About how many bytes the value takes in `ext` (0 when absent), for reserving room.
    fn wire_len(&self) -> usize {
        20
    }

    /// Reads the field named `name` from `ext`.
    ///
    /// # Errors
    /// [`Error::MissingField`] or [`Error::InvalidField`] naming `name`.
    fn take(ext: &ExtFields, name: &'static str) -> Result<Self>;
}

impl HeaderScalar for String {
    fn to_wire(&self) -> String {
        self.clone()
    }

    fn put_wire(&self, name: &'static str, ext: &mut ExtFields) {
        ext.insert_str(name, self);
    }

    fn wire_len(&self) -> usize {
        self.len()
    }

    fn from_wire(text: &str, _field: &'static str) -> Result<Self> {
        Ok(text.to_owned())
    }
}

impl HeaderScalar for bool {
    fn to_wire(&self) -> String {
        java_bool(*self).to_owned()
    }

    fn put_wire(&self, name: &'static str, ext: &mut ExtFields) {
        ext.insert_str(name, java_bool(*self));
    }

    fn wire_len(&self) -> usize {
        5
    }

    fn from_wire(text: &str, _field: &'static str) -> Result<Self> {
        Ok(parse_java_bool(text))
    }
}

macro_rules! integer_scalar {
    ($($ty:ty),*) => {$(
        impl HeaderScalar for $ty {
            fn to_wire(&self) -> String {
                self.to_string()
            }

            fn put_wire(&self, name: &'static str, ext: &mut ExtFields) {
                let mut buf = [0u8; 24];
                let text = crate::encoding::json::format_int(i64::from(*self), &mut buf);
                // Decimal digits are ASCII.
                ext.insert_str(name, std::str::from_utf8(text).unwrap_or_default());
            }

            fn from_wire(text: &str, field: &'static str) -> Result<Self> {
                parse_java_int(text, field)
            }
        }

        impl HeaderField for $ty {
            fn put(&self, name: &'static str, ext: &mut ExtFields) {
                self.put_wire(name, ext);
            }

            fn wire_len(&self) -> usize {
                HeaderScalar::wire_len(self)
            }

            fn take(ext: &ExtFields, name: &'static str) -> Result<Self> {
                required(ext, name)
            }
        }
    )*};
}

integer_scalar!(i32, i64);

impl HeaderField for String {
    fn put(&self, name: &'static str, ext: &mut ExtFields) {
        ext.insert_str(name, self);
    }

    fn wire_len(&self) -> usize {
        self.len()
    }

    fn take(ext: &ExtFields, name: &'static str) -> Result<Self> {
        required(ext, name)
    }
}

/// A Java primitive `boolean`: always written; absent reads as `false` (Java's default).
impl HeaderField for bool {
    fn put(&self, name: &'static str, ext: &mut ExtFields) {
        ext.insert_str(name, java_bool(*self));
    }

    fn wire_len(&self) -> usize {
        5
    }

    fn take(ext: &ExtFields, name: &'static str) -> Result<Self> {
        Ok(ext.get(name).is_some_and(parse_java_bool))
    }
}

impl<T: HeaderScalar> HeaderField for Option<T> {
    fn put(&self, name: &'static str, ext: &mut ExtFields) {
        if let Some(value) = self {
            value.put_wire(name, ext);
        }
    }

    fn wire_len(&self) -> usize {
        self.as_ref().map_or(0, HeaderScalar::wire_len)
    }

    fn take(ext: &ExtFields, name: &'static str) -> Result<Self> {
        optional(ext, name)
    }
}

/// Reads a required field.
///
/// # Errors
/// [`Error::MissingField`] when absent, [`Error::InvalidField`] when unparsable.
pub fn required<T: HeaderScalar>(ext: &ExtFields, name: &'static str) -> Result<T> {
    match ext.get(name) {
        Some(text) => T::from_wire(text, name),
        None => Err(Error::MissingField(name)),
    }
}

/// Reads an optional field: `None` when absent.
///
/// # Errors
/// [`Error::InvalidField`] when present but unparsable.
pub fn optional<T: HeaderScalar>(ext: &ExtFields, name: &'static str) -> Result<Option<T>> {
    ext.get(name)
        .map(|text| T::from_wire(text, name))
        .transpose()
}

/// Java's `Boolean.toString`.
fn java_bool(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

/// Java `Boolean.parseBoolean`: case-insensitive `"true"` is true, everything else false.
pub fn parse_java_bool(text: &str) -> bool {
    text.eq_ignore_ascii_case("true")
}

/// Java `Integer.parseInt` / `Long.parseLong`: optional sign, decimal digits, nothing else.
fn parse_java_int<T: std::str::FromStr>(text: &str, field: &'static str) -> Result<T> {
    // Rust's parser already rejects whitespace and accepts a leading `+` or `-`, like Java.
    text.parse().map_err(|_| Error::InvalidField {
        field,
        value: text.to_owned(),
    })
}

#[cfg(test)]
mod tests;
