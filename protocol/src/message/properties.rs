//! [`Properties`]: a message's name/value map in insertion order, and its wire codec.
//!
//! ```text
//! name 0x01 value 0x02 name 0x01 value          (UTF-8, no trailing 0x02)
//! ```
//!
//! Decoding follows Java's `MessageDecoder.string2messageProperties` exactly; encoding follows
//! `messageProperties2String`. Which names are reserved is [`super::property`]'s business.

use std::collections::HashMap;

use crate::error::{Error, Result};

/// Separates a name from its value.
pub const NAME_VALUE_SEPARATOR: char = '\u{1}';
/// Separates one pair from the next.
pub const PROPERTY_SEPARATOR: char = '\u{2}';

/// Message properties, kept in insertion order so encoding is reproducible.
///
/// Java keeps them in a `HashMap`, so no peer depends on the order; feeding pairs in Java's
/// order reproduces Java's bytes. Lookups are linear: messages carry a handful of properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties(Vec<(String, String)>);

impl Properties {
    /// An empty map.
    pub const fn new() -> Self {
        Properties(Vec::new())
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets `name` to `value`, replacing an existing value in place (last write wins).
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }

    /// Removes `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        let at = self.0.iter().position(|(k, _)| k == name)?;
        Some(self.0.remove(at).1)
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pairs in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The wire string, as Java's `messageProperties2String` writes it.
    ///
    /// Empty values are written (`C\x01`) as Java writes them; decoding drops them again.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(self.encoded_len());
        for (i, (k, v)) in self.0.iter().enumerate() {
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
        let pairs: usize = self.0.iter().map(|(k, v)| k.len() + v.len() + 1).sum();
        pairs + self.0.len().saturating_sub(1)
    }

    /// Checks that every pair survives a round trip: names non-empty and free of both
    /// separators, values free of `0x02`.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the first offending property.
    pub fn validate(&self) -> Result<()> {
        for (k, v) in &self.0 {
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
        let pairs = wire.split(PROPERTY_SEPARATOR).filter_map(|segment| {
            let (name, value) = segment.split_once(NAME_VALUE_SEPARATOR)?;
            (!name.is_empty() && !value.is_empty()).then_some((name, value))
        });
        let mut props = Properties::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (name, value) in pairs {
            // A map index keeps a hostile record with thousands of pairs linear.
            match index.get(name) {
                Some(&at) => value.clone_into(&mut props.0[at].1),
                None => {
                    index.insert(name, props.0.len());
                    props.0.push((name.to_owned(), value.to_owned()));
                }
            }
        }
        props
    }

    /// Parses wire bytes; invalid UTF-8 becomes U+FFFD, as Java's `new String(bytes, UTF_8)`.
    pub fn decode_bytes(wire: &[u8]) -> Properties {
        Properties::decode(&String::from_utf8_lossy(wire))
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
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, String)>,
        fn(&'a (String, String)) -> (&'a str, &'a str),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
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
}
