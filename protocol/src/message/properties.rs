//! [`Properties`]: a message's name/value map in insertion order, and its wire codec.
//!
//! ```text
//! name 0x01 value 0x02 name 0x01 value          (UTF-8, no trailing 0x02)
//! ```
//!
//! Decoding follows Java's `MessageDecoder.string2messageProperties` exactly; encoding follows
//! `messageProperties2String`. Which names are reserved is [`super::property`]'s business.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use bytes::Bytes;

use crate::error::{Error, Result};

/// Separates a name from its value.
pub const NAME_VALUE_SEPARATOR: char = '\u{1}';
/// Separates one pair from the next.
pub const PROPERTY_SEPARATOR: char = '\u{2}';

/// Message properties, kept in insertion order so encoding is reproducible.
///
/// Java keeps them in a `HashMap`, so no peer depends on the order; feeding pairs in Java's
/// order reproduces Java's bytes. Lookups are linear: messages carry a handful of properties.
///
/// Properties decoded from a pulled record ([`Properties::from_wire`]) stay as the record's
/// bytes until first read: consumers that never look at a message's properties pay nothing for
/// them, and the first read parses the whole string once (one copy of the text and one index,
/// no string per pair). Any mutation turns them into owned pairs.
#[derive(Clone)]
pub struct Properties {
    /// The pairs, unless `wire` holds them.
    owned: Vec<(String, String)>,
    /// Undecoded properties; when set, `owned` is empty and unused.
    wire: Option<Wire>,
}

/// The undecoded properties of one record and, once read, their parsed index.
#[derive(Clone)]
struct Wire {
    raw: Bytes,
    index: OnceLock<Index>,
}

/// Parsed wire properties: the text (lossily UTF-8) and each kept pair's byte ranges in it.
#[derive(Clone)]
struct Index {
    text: String,
    spans: Vec<Span>,
}

#[derive(Clone)]
struct Span {
    name: Range<usize>,
    value: Range<usize>,
}

impl Index {
    fn parse(raw: &[u8]) -> Index {
        // Valid UTF-8 (the usual case) is copied as is, without building a `Cow` first.
        let text = match std::str::from_utf8(raw) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(raw).into_owned(),
        };
        let spans = parse_spans(&text);
        Index { text, spans }
    }

    fn pair(&self, span: &Span) -> (&str, &str) {
        // The ranges split `text` at ASCII separators, so they lie on char boundaries.
        let name = self.text.get(span.name.clone()).unwrap_or_default();
        let value = self.text.get(span.value.clone()).unwrap_or_default();
        (name, value)
    }
}

/// Java's `MessageDecoder#string2messageProperties` as byte ranges of `text`: pairs split on
/// `0x02`, the first `0x01` splits name from value, pairs with an empty name or value are
/// dropped, and a repeated name keeps its first position and its last value.
fn parse_spans(text: &str) -> Vec<Span> {
    /// Above this many pairs a map keeps a hostile record's parse linear.
    const LINEAR_MAX: usize = 16;
    let bytes = text.as_bytes();
    let mut spans: Vec<Span> = Vec::with_capacity(8);
    let mut index: Option<HashMap<&str, usize>> = None;
    let mut start = 0;
    while start <= bytes.len() {
        let end = memchr(b'\x02', &bytes[start..]).map_or(bytes.len(), |at| start + at);
        let segment = &bytes[start..end];
        if let Some(sep) = memchr(b'\x01', segment) {
            let name = start..start + sep;
            let value = start + sep + 1..end;
            if !name.is_empty() && !value.is_empty() {
                let key = &text[name.clone()];
                let found = match &mut index {
                    Some(map) => map.get(key).copied(),
                    // Bytes, not `str` slices: no char-boundary checks on this hot path.
                    None => spans
                        .iter()
                        .position(|s| bytes.get(s.name.clone()) == Some(key.as_bytes())),
                };
                match found {
                    Some(at) => spans[at].value = value,
                    None => {
                        if let Some(map) = &mut index {
                            map.insert(key, spans.len());
                        }
                        spans.push(Span { name, value });
                        if index.is_none() && spans.len() > LINEAR_MAX {
                            index = Some(
                                spans
                                    .iter()
                                    .enumerate()
                                    .map(|(i, s)| (&text[s.name.clone()], i))
                                    .collect(),
                            );
                        }
                    }
                }
            }
        }
        start = end + 1;
    }
    spans
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// Iterator over the pairs of [`Properties`], in order.
#[derive(Debug, Clone)]
pub struct Iter<'a>(IterRepr<'a>);

#[derive(Debug, Clone)]
enum IterRepr<'a> {
    Owned(std::slice::Iter<'a, (String, String)>),
    Wire(&'a Index, std::slice::Iter<'a, Span>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterRepr::Owned(it) => it.next().map(|(k, v)| (k.as_str(), v.as_str())),
            IterRepr::Wire(index, it) => it.next().map(|span| index.pair(span)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            IterRepr::Owned(it) => it.size_hint(),
            IterRepr::Wire(_, it) => it.size_hint(),
        }
    }
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.spans.iter().map(|s| self.pair(s)))
            .finish()
    }
}

impl std::fmt::Debug for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}={:?}", self.name, self.value)
    }
}

impl std::fmt::Debug for Properties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Properties")
            .field(&self.iter().collect::<Vec<_>>())
            .finish()
    }
}

impl Default for Properties {
    fn default() -> Self {
        Properties::new()
    }
}

impl PartialEq for Properties {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Properties {}

impl Properties {
    /// An empty map.
    pub const fn new() -> Self {
        Properties {
            owned: Vec::new(),
            wire: None,
        }
    }

    /// Properties still in wire form (`name 0x01 value 0x02 …`), parsed with
    /// [`Properties::decode_bytes`]'s rules on first read. Keeps `raw` (a zero-copy slice of a
    /// pulled record) instead of parsing it now.
    pub fn from_wire(raw: Bytes) -> Self {
        if raw.is_empty() {
            return Properties::new();
        }
        Properties {
            owned: Vec::new(),
            wire: Some(Wire {
                raw,
                index: OnceLock::new(),
            }),
        }
    }

    /// The parsed index of wire properties, parsing on first use.
    fn wire_index(wire: &Wire) -> &Index {
        wire.index.get_or_init(|| Index::parse(&wire.raw))
    }

    /// The pairs as an owned vector, converting wire properties first.
    fn owned(&mut self) -> &mut Vec<(String, String)> {
        if let Some(wire) = self.wire.take() {
            let index = Properties::wire_index(&wire);
            self.owned = index
                .spans
                .iter()
                .map(|s| {
                    let (k, v) = index.pair(s);
                    (k.to_owned(), v.to_owned())
                })
                .collect();
        }
        &mut self.owned
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// Whether `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets `name` to `value`, replacing an existing value in place (last write wins).
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        let value = value.into();
        let pairs = self.owned();
        match pairs.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => pairs.push((name, value)),
        }
    }

    /// Removes `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        let pairs = self.owned();
        let at = pairs.iter().position(|(k, _)| k == name)?;
        Some(pairs.remove(at).1)
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.iter().len_hint()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pairs in insertion order.
    pub fn iter(&self) -> Iter<'_> {
        match &self.wire {
            None => Iter(IterRepr::Owned(self.owned.iter())),
            Some(wire) => {
                let index = Properties::wire_index(wire);
                Iter(IterRepr::Wire(index, index.spans.iter()))
            }
        }
    }

    /// The wire string, as Java's `messageProperties2String` writes it.
    ///
    /// Empty values are written (`C\x01`) as Java writes them; decoding drops them again.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(self.encoded_len());
        for (i, (k, v)) in self.iter().enumerate() {
            if i > 0 {
                out.push(PROPERTY_SEPARATOR);
            }
            out.push_str(k);
            out.push(NAME_VALUE_SEPARATOR);
            out.push_str(v);
        }
        out
    }

    /// Length in bytes of [`Self::encode`]'s output.
    pub fn encoded_len(&self) -> usize {
        let pairs: usize = self.iter().map(|(k, v)| k.len() + v.len() + 1).sum();
        pairs + self.len().saturating_sub(1)
    }

    /// Checks that every pair survives a round trip: names non-empty and free of both
    /// separators, values free of `0x02`.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the first offending property.
    pub fn validate(&self) -> Result<()> {
        for (k, v) in self.iter() {
            if k.is_empty() || k.contains([NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR]) {
                return Err(Error::invalid(format!("invalid property name {k:?}")));
            }
            if v.contains(PROPERTY_SEPARATOR) {
                return Err(Error::invalid(format!(
                    "property {k:?} has a value containing 0x02"
                )));
            }
        }
        Ok(())
    }

    /// Parses the wire string with Java's rules: pairs split on `0x02`, the first `0x01` of a
    /// pair splits name from value, pairs with an empty name or value are dropped, a trailing
    /// `0x02` is fine, and a repeated name keeps its last value.
    pub fn decode(wire: &str) -> Properties {
        // Java: MessageDecoder#string2messageProperties.
        let pairs = parse_spans(wire)
            .into_iter()
            .map(|s| (wire[s.name].to_owned(), wire[s.value].to_owned()))
            .collect();
        Properties {
            owned: pairs,
            wire: None,
        }
    }

    /// Parses wire bytes; invalid UTF-8 becomes U+FFFD, as Java's `new String(bytes, UTF_8)`.
    pub fn decode_bytes(wire: &[u8]) -> Properties {
        Properties::decode(&String::from_utf8_lossy(wire))
    }
}

impl Iter<'_> {
    fn len_hint(&self) -> usize {
        self.size_hint().0
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Properties {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut props = Properties::new();
        for (k, v) in iter {
            props.insert(k, v);
        }
        props
    }
}

impl<'a> IntoIterator for &'a Properties {
    type Item = (&'a str, &'a str);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_has_no_trailing_separator() {
        let props: Properties = [("TAGS", "TagA"), ("KEYS", "k1")].into_iter().collect();
        assert_eq!(props.encode(), "TAGS\u{1}TagA\u{2}KEYS\u{1}k1");
        assert_eq!(props.encoded_len(), props.encode().len());
        assert_eq!(Properties::new().encode(), "");
    }

    #[test]
    fn decode_keeps_value_with_name_value_separator() {
        let props = Properties::decode("A\u{1}x\u{1}y\u{2}");
        assert_eq!(props.get("A"), Some("x\u{1}y"));
        assert_eq!(props.len(), 1);
    }

    #[test]
    fn decode_of_repeated_names_keeps_first_position_and_last_value() {
        let props = Properties::decode("A\u{1}1\u{2}B\u{1}2\u{2}A\u{1}3");
        let pairs: Vec<_> = props.iter().collect();
        assert_eq!(pairs, [("A", "3"), ("B", "2")]);
    }

    #[test]
    fn validate_rejects_separators() {
        let bad: Properties = [("A\u{2}", "1")].into_iter().collect();
        assert!(bad.validate().is_err());
        let bad: Properties = [("A", "1\u{2}")].into_iter().collect();
        assert!(bad.validate().is_err());
        let ok: Properties = [("A", "1\u{1}")].into_iter().collect();
        assert!(ok.validate().is_ok());
    }

    #[test]
    fn wire_properties_read_like_decoded_ones() {
        let cases: [&[u8]; 7] = [
            b"",
            b"A\x011\x02B\x012",
            b"A\x011\x02B\x012\x02A\x013\x02",
            b"\x01x\x02A\x01\x02B",
            b"A\x01x\x01y",
            b"N\x01\xff\xfe\x02M\x01ok",
            b"\x02\x02\x02",
        ];
        for raw in cases {
            let lazy = Properties::from_wire(Bytes::copy_from_slice(raw));
            let eager = Properties::decode_bytes(raw);
            assert_eq!(lazy, eager, "{raw:?}");
            assert_eq!(lazy.len(), eager.len());
            assert_eq!(lazy.encode(), eager.encode());
            assert_eq!(format!("{lazy:?}"), format!("{eager:?}"));
        }
        let lazy = Properties::from_wire(Bytes::from_static(b"N\x01\xff\x02A\x011"));
        assert_eq!(lazy.get("N"), Some("\u{fffd}"));
        assert_eq!(lazy.get("A"), Some("1"));
    }

    #[test]
    fn mutating_wire_properties_keeps_the_other_pairs() {
        let mut props = Properties::from_wire(Bytes::from_static(b"A\x011\x02B\x012\x02C\x013"));
        props.insert("B", "20");
        assert_eq!(props.remove("A").as_deref(), Some("1"));
        props.insert("D", "4");
        let pairs: Vec<_> = props.iter().collect();
        assert_eq!(pairs, [("B", "20"), ("C", "3"), ("D", "4")]);
    }

    #[test]
    fn many_repeated_names_keep_first_position_and_last_value() {
        let mut wire = String::new();
        for round in 0..3 {
            for i in 0..40 {
                wire.push_str(&format!("K{i}\u{1}{round}\u{2}"));
            }
        }
        let props = Properties::from_wire(Bytes::from(wire));
        assert_eq!(props.len(), 40);
        assert_eq!(props.iter().next(), Some(("K0", "2")));
        assert_eq!(props.get("K39"), Some("2"));
    }
}
