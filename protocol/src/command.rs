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
///
/// All keys and values live in one string, back to back, with a small index of byte ranges:
/// decoding a header costs two allocations however many fields it has.
#[derive(Clone, Default)]
pub struct ExtFields {
    /// Every key and value, back to back.
    pub(crate) text: String,
    /// Each pair's byte ranges in `text`, in wire order.
    pub(crate) spans: Vec<Span>,
    /// Bytes of `text` that no span covers any more (replaced or removed pairs).
    garbage: usize,
    /// Written as `{}` by the JSON encoder even when there are no pairs.
    present: bool,
}

/// Where one pair's key and value sit in an [`ExtFields`]' text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub(crate) key: (usize, usize),
    pub(crate) value: (usize, usize),
}

impl PartialEq for ExtFields {
    fn eq(&self, other: &Self) -> bool {
        self.is_present() == other.is_present() && self.iter().eq(other.iter())
    }
}

impl Eq for ExtFields {}

impl std::fmt::Debug for ExtFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Pairs<'a>(&'a ExtFields);
        impl std::fmt::Debug for Pairs<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_list().entries(self.0.iter()).finish()
            }
        }
        f.debug_struct("ExtFields")
            .field("pairs", &Pairs(self))
            .field("present", &self.present)
            .finish()
    }
}

impl ExtFields {
    /// An empty map that is absent on the wire until a pair is added (Java `null`).
    pub const fn new() -> Self {
        ExtFields {
            text: String::new(),
            spans: Vec::new(),
            garbage: 0,
            present: false,
        }
    }

    /// An empty map that is present on the wire: JSON headers carry `"extFields":{}`.
    pub const fn present() -> Self {
        ExtFields {
            text: String::new(),
            spans: Vec::new(),
            garbage: 0,
            present: true,
        }
    }

    /// An empty map with room for `n` pairs.
    pub fn with_capacity(n: usize) -> Self {
        let mut fields = ExtFields::new();
        fields.reserve(n, n.saturating_mul(16));
        fields
    }

    /// Makes room for `pairs` more pairs whose keys and values take `bytes` in all, so adding
    /// them does not reallocate.
    ///
    /// A map without buffers yet takes those of a map dropped earlier on this thread, if any
    /// (a per-thread pool), so building a header per request allocates nothing once warm.
    pub fn reserve(&mut self, pairs: usize, bytes: usize) {
        if self.text.capacity() == 0 && self.spans.capacity() == 0 {
            if let Some((text, spans)) = pool::take() {
                self.text = text;
                self.spans = spans;
            }
        }
        self.spans.reserve(pairs);
        self.text.reserve(bytes);
    }

    /// Whether the map exists on the wire: it has pairs, or was made with
    /// [`ExtFields::present`] (or decoded from `"extFields":{}`).
    pub fn is_present(&self) -> bool {
        self.present || !self.spans.is_empty()
    }

    /// Marks the map present on the wire (decoders, for `"extFields":{}`).
    pub(crate) fn set_present(&mut self) {
        self.present = true;
    }

    fn slice(&self, (start, end): (usize, usize)) -> &str {
        // Spans always cover whole `&str`s pushed into `text`, so they are char boundaries.
        self.text.get(start..end).unwrap_or_default()
    }

    fn key_of(&self, span: &Span) -> &str {
        self.slice(span.key)
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.spans.iter().rposition(|s| self.key_of(s) == key)
    }

    /// The value of `key`, if present (the last one when [`push`](Self::push) added duplicates,
    /// as Java's map keeps the last value it reads).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.position(key)
            .map(|at| self.slice(self.spans[at].value))
    }

    /// Appends `s` to the text, returning its range.
    pub(crate) fn append(&mut self, s: &str) -> (usize, usize) {
        let start = self.text.len();
        self.text.push_str(s);
        (start, self.text.len())
    }

    /// Sets `key` to `value`, replacing an existing value in place (last write wins, as Java).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.insert_str(&key.into(), &value.into());
    }

    /// [`insert`](Self::insert) for borrowed strings, without intermediate allocations.
    pub fn insert_str(&mut self, key: &str, value: &str) {
        match self.position(key) {
            Some(at) => {
                let old = self.spans[at].value;
                self.spans[at].value = self.append(value);
                self.garbage += old.1 - old.0;
                self.compact_if_wasteful();
            }
            None => self.push_str(key, value),
        }
    }

    /// Appends a pair without looking for an existing key.
    ///
    /// Only for reproducing a peer's exact bytes: Java's ROCKETMQ encoder writes a
    /// `FastCodesHeader`'s fields and then `extFields`, so after an RPC hook copied the header
    /// into `extFields` every field appears twice on the wire. Lookups see the last value.
    pub fn push(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.push_str(&key.into(), &value.into());
    }

    /// [`push`](Self::push) for borrowed strings.
    pub fn push_str(&mut self, key: &str, value: &str) {
        let key = self.append(key);
        let value = self.append(value);
        self.spans.push(Span { key, value });
    }

    /// Removes every pair with `key`, returning the value a lookup would have seen.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let removed = self.get(key).map(str::to_owned);
        if removed.is_some() {
            let text = &self.text;
            let mut freed = 0;
            self.spans.retain(|s| {
                let keep = text.get(s.key.0..s.key.1) != Some(key);
                if !keep {
                    freed += (s.key.1 - s.key.0) + (s.value.1 - s.value.0);
                }
                keep
            });
            self.garbage += freed;
            self.compact_if_wasteful();
        }
        removed
    }

    /// Rewrites `text` once more than half of it is garbage, so repeated replacements stay
    /// bounded by twice the live size.
    fn compact_if_wasteful(&mut self) {
        if self.garbage <= 64 || self.garbage * 2 <= self.text.len() {
            return;
        }
        let mut fresh = ExtFields::with_capacity(self.spans.len());
        fresh.present = self.present;
        for (k, v) in self.iter() {
            fresh.push_str(k, v);
        }
        *self = fresh;
    }

    /// Makes repeated keys behave like [`insert`](Self::insert)ing the pairs in order: each
    /// key stays at its first position with its last value. Decoders push and then call this.
    pub(crate) fn dedup_keys(&mut self) {
        /// Above this many pairs a hash map keeps a hostile header linear.
        const LINEAR_MAX: usize = 16;
        let n = self.spans.len();
        if n < 2 {
            return;
        }
        let mut kept: Vec<Span> = Vec::new();
        let mut first_dup = None;
        if n <= LINEAR_MAX {
            // A 64-bit filter on (length, first byte, last byte): distinct keys, the usual
            // case, almost never collide, and then no string is compared at all.
            let mut filter = 0u64;
            let mut collision = false;
            let text = self.text.as_bytes();
            for span in &self.spans {
                let key = text.get(span.key.0..span.key.1).unwrap_or_default();
                let mix = key.len()
                    ^ usize::from(key.first().copied().unwrap_or(0))
                    ^ (usize::from(key.last().copied().unwrap_or(0)) << 3);
                let bit = 1u64 << (mix % 64);
                collision |= filter & bit != 0;
                filter |= bit;
            }
            if !collision {
                return;
            }
            'outer: for i in 1..n {
                let key = self.key_of(&self.spans[i]);
                for j in 0..i {
                    if self.key_of(&self.spans[j]) == key {
                        first_dup = Some(i);
                        break 'outer;
                    }
                }
            }
            let Some(start) = first_dup else { return };
            kept.extend_from_slice(&self.spans[..start]);
            for span in &self.spans[start..] {
                let key = self.key_of(span);
                match kept.iter_mut().find(|k| self.key_of(k) == key) {
                    Some(slot) => slot.value = span.value,
                    None => kept.push(*span),
                }
            }
        } else {
            let mut index: std::collections::HashMap<&str, usize> =
                std::collections::HashMap::with_capacity(n);
            for span in &self.spans {
                let key = self.key_of(span);
                match index.get(key) {
                    Some(&at) => kept[at].value = span.value,
                    None => {
                        index.insert(key, kept.len());
                        kept.push(*span);
                    }
                }
            }
            if kept.len() == n {
                return;
            }
        }
        self.garbage = self.text.len()
            - kept
                .iter()
                .map(|s| (s.key.1 - s.key.0) + (s.value.1 - s.value.0))
                .sum::<usize>();
        self.spans = kept;
        self.compact_if_wasteful();
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The bytes of every key and value of the map, from the span index alone.
    pub(crate) fn pairs_text_len(&self) -> usize {
        self.spans
            .iter()
            .map(|s| (s.key.1 - s.key.0) + (s.value.1 - s.value.0))
            .sum()
    }

    /// The pairs in order, as bytes (encoders: no char-boundary checks).
    pub(crate) fn iter_bytes(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let text = self.text.as_bytes();
        self.spans.iter().map(move |s| {
            let key = text.get(s.key.0..s.key.1).unwrap_or_default();
            let value = text.get(s.value.0..s.value.1).unwrap_or_default();
            (key, value)
        })
    }

    /// The pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.spans
            .iter()
            .map(move |s| (self.slice(s.key), self.slice(s.value)))
    }
}

impl Drop for ExtFields {
    fn drop(&mut self) {
        pool::give(
            std::mem::take(&mut self.text),
            std::mem::take(&mut self.spans),
        );
    }
}

/// The buffers of dropped [`ExtFields`], kept per thread for the next map that reserves room:
/// every request and response carries a map, so the send path reuses two buffers instead of
/// allocating two per frame. Bounded: [`pool::KEEP`] maps per thread, none larger than
/// [`pool::MAX_TEXT`] bytes of text or [`pool::MAX_SPANS`] pairs.
mod pool {
    use std::cell::RefCell;

    use super::Span;

    /// Buffer pairs kept per thread.
    pub(super) const KEEP: usize = 32;
    /// Larger texts are freed, not kept.
    pub(super) const MAX_TEXT: usize = 2048;
    /// Larger span lists are freed, not kept.
    pub(super) const MAX_SPANS: usize = 32;

    thread_local! {
        static FREE: RefCell<Vec<(String, Vec<Span>)>> = const { RefCell::new(Vec::new()) };
    }

    /// A kept pair of empty buffers, if any.
    pub(super) fn take() -> Option<(String, Vec<Span>)> {
        FREE.try_with(|free| free.borrow_mut().pop()).ok().flatten()
    }

    /// Keeps `text` and `spans` for reuse when there is room and they are not too large.
    pub(super) fn give(mut text: String, mut spans: Vec<Span>) {
        if text.capacity() == 0 && spans.capacity() == 0
            || text.capacity() > MAX_TEXT
            || spans.capacity() > MAX_SPANS
        {
            return;
        }
        text.clear();
        spans.clear();
        // A thread that is exiting has no pool left; the buffers are then simply freed.
        let _ = FREE.try_with(|free| {
            let mut free = free.borrow_mut();
            if free.len() < KEEP {
                free.push((text, spans));
            }
        });
    }

    /// Buffer pairs kept on this thread.
    #[cfg(test)]
    pub(super) fn kept() -> usize {
        FREE.with(|free| free.borrow().len())
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

#[cfg(test)]
mod tests {
    use super::ExtFields;

    #[test]
    fn insert_replaces_in_place_and_push_keeps_duplicates() {
        let mut ext = ExtFields::new();
        ext.insert("a", "1");
        ext.insert_str("b", "2");
        ext.insert("a", "3");
        assert_eq!(ext.iter().collect::<Vec<_>>(), [("a", "3"), ("b", "2")]);
        ext.push("b", "4");
        assert_eq!(ext.len(), 3);
        assert_eq!(ext.get("b"), Some("4"));
        assert_eq!(ext.remove("b").as_deref(), Some("4"));
        assert_eq!(ext.iter().collect::<Vec<_>>(), [("a", "3")]);
        assert_eq!(ext.remove("zz"), None);
    }

    #[test]
    fn repeated_replacement_keeps_the_text_bounded() {
        let mut ext = ExtFields::new();
        ext.insert("keep", "k");
        for i in 0..10_000 {
            ext.insert("n", i.to_string());
        }
        assert_eq!(ext.get("n"), Some("9999"));
        assert_eq!(ext.get("keep"), Some("k"));
        assert!(ext.text.len() < 200, "text grew to {}", ext.text.len());
    }

    #[test]
    fn dedup_matches_inserting_in_order_for_small_and_large_maps() {
        for n in [3usize, 40] {
            let pairs: Vec<(String, String)> = (0..3 * n)
                .map(|i| (format!("k{}", i % n), i.to_string()))
                .collect();
            let mut pushed = ExtFields::new();
            for (k, v) in &pairs {
                pushed.push_str(k, v);
            }
            pushed.dedup_keys();
            let inserted: ExtFields = pairs.into_iter().collect();
            assert_eq!(pushed, inserted);
            assert_eq!(pushed.len(), n);
        }
    }

    #[test]
    fn a_dropped_map_lends_its_buffers_to_the_next_one_on_the_thread() {
        let mut first = ExtFields::new();
        first.reserve(14, 300);
        first.insert_str("a", "PID");
        let (text, spans) = (first.text.as_ptr(), first.spans.as_ptr());
        drop(first);
        let mut second = ExtFields::new();
        second.reserve(14, 300);
        assert_eq!(second.text.as_ptr(), text);
        assert_eq!(second.spans.as_ptr(), spans);
        assert!(
            second.is_empty() && second.text.is_empty(),
            "nothing left over"
        );
        second.insert_str("b", "T");
        assert_eq!(second.iter().collect::<Vec<_>>(), [("b", "T")]);
    }

    #[test]
    fn the_pool_keeps_a_bounded_number_of_small_buffers() {
        let maps: Vec<ExtFields> = (0..3 * super::pool::KEEP)
            .map(|_| {
                let mut m = ExtFields::new();
                m.reserve(4, 64);
                m
            })
            .collect();
        drop(maps);
        assert_eq!(super::pool::kept(), super::pool::KEEP);
        while super::pool::take().is_some() {}
        let mut big = ExtFields::new();
        big.reserve(1, 64);
        big.push_str("k", &"v".repeat(2 * super::pool::MAX_TEXT));
        drop(big);
        assert_eq!(super::pool::kept(), 0, "a large text is freed, not kept");
        let mut small = ExtFields::new();
        small.reserve(1, 64);
        drop(small);
        assert_eq!(super::pool::kept(), 1);
    }

    #[test]
    fn equality_tells_present_from_missing() {
        assert_ne!(ExtFields::new(), ExtFields::present());
        assert_eq!(ExtFields::present(), ExtFields::present());
        let a: ExtFields = [("x", "1")].into_iter().collect();
        let mut b = ExtFields::present();
        b.insert("x", "1");
        assert_eq!(a, b);
    }
}
