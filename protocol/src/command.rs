//! [`Command`]: one remoting frame's logical content (Java's `RemotingCommand`), its flags,
//! language code, serialize type and the ordered `extFields` map.
//!
//! This module only holds the types; the wire layout lives in [`crate::frame`] and the two header
//! serializations in `encoding/`.

use bytes::Bytes;

use crate::code::{RequestCode, ResponseCode};

/// The MQVersion ordinal this crate puts into every command: `V4_9_7` (407).
///
/// Name servers >= 4.9.4 answer route queries in standard JSON for versions >= 401, and brokers
/// refuse some client features (reset offset, running info) to "old" versions.
pub const CURRENT_VERSION: i32 = 407;

/// Bit 0 of `flag`: the command is a response.
pub const FLAG_RESPONSE: i32 = 0x1;
/// Bit 1 of `flag`: the request is oneway; the receiver sends no response.
pub const FLAG_ONEWAY: i32 = 0x2;

/// How a frame's header is serialized (the high byte of the frame's second word).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SerializeType {
    /// fastjson-compatible JSON text (type byte 0). What Java sends by default.
    #[default]
    Json,
    /// RocketMQ's compact binary header (type byte 1).
    RocketMq,
}

impl SerializeType {
    /// The type byte on the wire.
    pub const fn code(self) -> u8 {
        match self {
            SerializeType::Json => 0,
            SerializeType::RocketMq => 1,
        }
    }

    /// The type for a wire byte, if known.
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(SerializeType::Json),
            1 => Some(SerializeType::RocketMq),
            _ => None,
        }
    }

    /// The Java enum name (`"JSON"` or `"ROCKETMQ"`).
    pub const fn name(self) -> &'static str {
        match self {
            SerializeType::Json => "JSON",
            SerializeType::RocketMq => "ROCKETMQ",
        }
    }
}

/// The sender's language (Java `LanguageCode`). An open code space: unknown codes survive.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LanguageCode(pub u8);

macro_rules! languages {
    ($($name:ident = $code:expr),* $(,)?) => {
        impl LanguageCode {
            $(
                #[doc = concat!("`", stringify!($name), "` (", stringify!($code), ").")]
                pub const $name: LanguageCode = LanguageCode($code);
            )*

            /// The Java enum name, or `None` for a code this crate does not know.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($code => Some(stringify!($name)),)*
                    _ => None,
                }
            }

            /// The code for a Java enum name.
            pub fn from_name(name: &str) -> Option<LanguageCode> {
                match name {
                    $(stringify!($name) => Some(LanguageCode::$name),)*
                    _ => None,
                }
            }
        }
    };
}

languages! {
    JAVA = 0, CPP = 1, DOTNET = 2, PYTHON = 3, DELPHI = 4, ERLANG = 5, RUBY = 6, OTHER = 7,
    HTTP = 8, GO = 9, PHP = 10, OMS = 11, RUST = 12, NODE_JS = 13,
}

impl std::fmt::Debug for LanguageCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "LanguageCode({})", self.0),
        }
    }
}

impl Default for LanguageCode {
    fn default() -> Self {
        LanguageCode::RUST
    }
}

/// The `extFields` map: header fields as strings, kept in insertion (wire) order.
///
/// Java writes a `HashMap`, so peers never depend on the order; keeping it lets the encoder
/// reproduce Java's bytes when fed pairs in Java's order. Lookups are linear: headers carry a
/// handful of fields.
///
/// Java also tells a missing map (`null`: no `extFields` key in a JSON header) from an empty
/// one (`"extFields":{}`, which Java writes for responses whose header class has no fields).
/// [`ExtFields::new`] is the former while it holds no pairs, [`ExtFields::present`] the latter;
/// equality compares the pairs and that distinction. The ROCKETMQ encoding cannot carry it: an
/// empty block decodes as missing.
#[derive(Debug, Clone, Default)]
pub struct ExtFields {
    pairs: Vec<(String, String)>,
    /// Written as `{}` by the JSON encoder even when there are no pairs.
    present: bool,
}

impl PartialEq for ExtFields {
    fn eq(&self, other: &Self) -> bool {
        self.pairs == other.pairs && self.is_present() == other.is_present()
    }
}

impl Eq for ExtFields {}

impl ExtFields {
    /// An empty map that is absent on the wire until a pair is added (Java `null`).
    pub const fn new() -> Self {
        ExtFields {
            pairs: Vec::new(),
            present: false,
        }
    }

    /// An empty map that is present on the wire: JSON headers carry `"extFields":{}`.
    pub const fn present() -> Self {
        ExtFields {
            pairs: Vec::new(),
            present: true,
        }
    }

    /// An empty map with room for `n` pairs.
    pub fn with_capacity(n: usize) -> Self {
        ExtFields {
            pairs: Vec::with_capacity(n),
            present: false,
        }
    }

    /// Whether the map exists on the wire: it has pairs, or was made with
    /// [`ExtFields::present`] (or decoded from `"extFields":{}`).
    pub fn is_present(&self) -> bool {
        self.present || !self.pairs.is_empty()
    }

    /// The value of `key`, if present (the last one when [`push`](Self::push) added duplicates,
    /// as Java's map keeps the last value it reads).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `key` to `value`, replacing an existing value in place (last write wins, as Java).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        let value = value.into();
        match self.pairs.iter_mut().rev().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.pairs.push((key, value)),
        }
    }

    /// Appends a pair without looking for an existing key.
    ///
    /// Only for reproducing a peer's exact bytes: Java's ROCKETMQ encoder writes a
    /// `FastCodesHeader`'s fields and then `extFields`, so after an RPC hook copied the header
    /// into `extFields` every field appears twice on the wire. Lookups see the last value.
    pub fn push(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.pairs.push((key.into(), value.into()));
    }

    /// Removes every pair with `key`, returning the value a lookup would have seen.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let mut removed = None;
        self.pairs.retain_mut(|(k, v)| {
            if k == key {
                removed = Some(std::mem::take(v));
                false
            } else {
                true
            }
        });
        removed
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for ExtFields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut fields = ExtFields::new();
        for (k, v) in iter {
            fields.insert(k, v);
        }
        fields
    }
}

/// One remoting command: a request, a response or a oneway request.
///
/// ```
/// use rmq_protocol::{Command, RequestCode};
/// let cmd = Command::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_ext("topic", "TopicTest");
/// assert_eq!(cmd.ext_fields.get("topic"), Some("TopicTest"));
/// assert!(!cmd.is_response());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Request code (requests) or response code (responses).
    pub code: i32,
    /// Sender's language.
    pub language: LanguageCode,
    /// Sender's MQVersion ordinal.
    pub version: i32,
    /// Correlation id; a response copies its request's.
    pub opaque: i32,
    /// Bit 0 response, bit 1 oneway.
    pub flag: i32,
    /// Error or status text; `None` when absent (an empty binary remark decodes to `None`).
    pub remark: Option<String>,
    /// The custom header's fields as strings.
    pub ext_fields: ExtFields,
    /// The body; empty when there is none.
    pub body: Bytes,
    /// How the header was (or will be) serialized.
    pub serialize_type: SerializeType,
}

impl Command {
    /// A request with `code`, language RUST, version 407, opaque 0 and no fields.
    pub fn request(code: RequestCode) -> Self {
        Command {
            code: code.0,
            language: LanguageCode::RUST,
            version: CURRENT_VERSION,
            opaque: 0,
            flag: 0,
            remark: None,
            ext_fields: ExtFields::new(),
            body: Bytes::new(),
            serialize_type: SerializeType::Json,
        }
    }

    /// A response with `code` and `remark`, to be given its request's opaque.
    pub fn response(code: ResponseCode, remark: Option<String>) -> Self {
        Command {
            code: code.0,
            flag: FLAG_RESPONSE,
            remark,
            ..Command::request(RequestCode(0))
        }
    }

    /// The response to `request`: same opaque and serialize type, response bit set.
    pub fn response_to(request: &Command, code: ResponseCode, remark: Option<String>) -> Self {
        Command {
            opaque: request.opaque,
            serialize_type: request.serialize_type,
            ..Command::response(code, remark)
        }
    }

    /// Adds one ext field.
    pub fn with_ext(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.ext_fields.insert(key, value);
        self
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Replaces the remark.
    pub fn with_remark(mut self, remark: impl Into<String>) -> Self {
        self.remark = Some(remark.into());
        self
    }

    /// Selects the header serialization used when encoding.
    pub fn with_serialize_type(mut self, serialize_type: SerializeType) -> Self {
        self.serialize_type = serialize_type;
        self
    }

    /// Whether bit 0 (response) of `flag` is set.
    pub fn is_response(&self) -> bool {
        self.flag & FLAG_RESPONSE != 0
    }

    /// Whether bit 1 (oneway) of `flag` is set.
    pub fn is_oneway(&self) -> bool {
        self.flag & FLAG_ONEWAY != 0
    }

    /// Marks the request oneway.
    pub fn mark_oneway(&mut self) {
        self.flag |= FLAG_ONEWAY;
    }

    /// The code read as a request code.
    pub fn request_code(&self) -> RequestCode {
        RequestCode(self.code)
    }

    /// The code read as a response code.
    pub fn response_code(&self) -> ResponseCode {
        ResponseCode(self.code)
    }
}
