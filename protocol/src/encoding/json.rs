//! JSON header serialization (type byte 0), byte-compatible with Java's fastjson output.
//!
//! fastjson writes the `RemotingCommand` bean with its properties sorted alphabetically, null
//! properties omitted, enums by name and no whitespace:
//!
//! ```text
//! {"code":105,"extFields":{"topic":"T"},"flag":0,"language":"JAVA","opaque":7,
//!  "serializeTypeCurrentRPC":"JSON","version":407}
//! ```
//!
//! The encoder writes exactly that shape by hand (no serde round trip on the hot path). The
//! decoder accepts any key order, unknown keys, a missing `remark`/`extFields`, `language` as a
//! name or an ordinal (unknown names become `OTHER`), and non-string ext values.

use std::fmt;

use bytes::{BufMut, BytesMut};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::scan::may_need_escape;
use crate::command::{Command, ExtFields, LanguageCode, SerializeType};
use crate::error::{Error, Result};

/// Appends the JSON header of `cmd` (without body) to `dst`.
pub fn encode_header(cmd: &Command, dst: &mut impl BufMut) {
    let mut buf = BytesMut::new();
    encode_header_into(cmd, &mut buf);
    dst.put_slice(&buf);
}

/// [`encode_header`] into a `BytesMut`, in one pass. The header is written into a slice sized
/// for the unescaped text (exact unless something needs escaping, then it grows), so each
/// piece costs a bounds check and a copy. Strings without a byte fastjson escapes (the usual
/// case) are found with a word-at-a-time scan and copied whole.
pub(crate) fn encode_header_into(cmd: &Command, dst: &mut BytesMut) {
    let mut int_buf = [0u8; 24];
    // Java omits a null map but writes an empty one as `{}`.
    let ext = cmd.ext_fields.is_present();
    let guess = 160
        + cmd.ext_fields.text.len()
        + 6 * cmd.ext_fields.len()
        + cmd.remark.as_ref().map_or(0, String::len);
    let start = dst.len();
    dst.resize(start + guess, 0);
    let mut out = Out {
        dst,
        start,
        pos: start,
    };
    out.raw(b"{\"code\":");
    out.raw(format_int(i64::from(cmd.code), &mut int_buf));
    if ext {
        out.raw(b",\"extFields\":{");
        let mut pairs = false;
        for (k, v) in cmd.ext_fields.iter_bytes() {
            out.pair(k, v);
            pairs = true;
        }
        // Each pair ends in a comma; the last one's becomes the closing brace.
        if pairs {
            out.pos -= 1;
        }
        out.raw(b"}");
    }
    out.raw(b",\"flag\":");
    out.raw(format_int(i64::from(cmd.flag), &mut int_buf));
    out.raw(b",\"language\":");
    match cmd.language.name() {
        Some(name) => out.str(name.as_bytes()),
        None => out.raw(format_int(i64::from(cmd.language.0), &mut int_buf)),
    }
    out.raw(b",\"opaque\":");
    out.raw(format_int(i64::from(cmd.opaque), &mut int_buf));
    if let Some(remark) = &cmd.remark {
        out.raw(b",\"remark\":");
        out.str(remark.as_bytes());
    }
    out.raw(b",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":");
    out.raw(format_int(i64::from(cmd.version), &mut int_buf));
    out.raw(b"}");
    let end = out.pos;
    dst.truncate(end);
}

/// A write cursor over `dst[start..]`, growing `dst` when a piece does not fit.
struct Out<'a> {
    dst: &'a mut BytesMut,
    start: usize,
    pos: usize,
}

impl Out<'_> {
    /// The next `len` bytes of the output (growing it when they do not fit), written over by
    /// the caller; the cursor moves past them.
    #[inline]
    fn slot(&mut self, len: usize) -> Option<&mut [u8]> {
        let (at, end) = (self.pos, self.pos + len);
        if end > self.dst.len() {
            let grown = (self.dst.len() - self.start) * 2;
            self.dst.resize((self.start + grown).max(end), 0);
        }
        self.pos = end;
        self.dst.get_mut(at..end)
    }

    #[inline]
    fn raw(&mut self, bytes: &[u8]) {
        if let Some(slot) = self.slot(bytes.len()) {
            slot.copy_from_slice(bytes);
        }
    }

    /// `"k":"v",` (escaped as fastjson escapes): in one bounds-checked slot when neither needs
    /// escaping, which is the usual case.
    fn pair(&mut self, k: &[u8], v: &[u8]) {
        if may_need_escape(k) || may_need_escape(v) {
            self.str(k);
            self.raw(b":");
            self.str(v);
            self.raw(b",");
            return;
        }
        if let Some(slot) = self.slot(k.len() + v.len() + 6) {
            let (key, rest) = slot.split_at_mut(k.len() + 4);
            key[0] = b'"';
            key[1..=k.len()].copy_from_slice(k);
            key[k.len() + 1..].copy_from_slice(b"\":\"");
            let (value, tail) = rest.split_at_mut(v.len());
            value.copy_from_slice(v);
            tail.copy_from_slice(b"\",");
        }
    }

    fn str(&mut self, s: &[u8]) {
        self.raw(b"\"");
        if may_need_escape(s) {
            escape_fastjson_bytes(s, |chunk| self.raw(chunk));
        } else {
            self.raw(s);
        }
        self.raw(b"\"");
    }
}

/// `v` in decimal, written into the end of `buf`.
pub(crate) fn format_int(v: i64, buf: &mut [u8; 24]) -> &[u8] {
    let mut n = v.unsigned_abs();
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    &buf[at..]
}

/// The bytes that start a sequence fastjson may escape (see [`escape_fastjson`]).
static MAY_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = b < 0x20 || b == 0x22 || b == 0x5c || b == 0x7f || b == 0xc2 || b == 0xe2;
        b += 1;
    }
    table
};

/// Hands `emit` the text of `s` escaped as fastjson 1.2.x's `SerializeWriter` escapes a string
/// with default features (Java: `SerializeWriter#writeStringWithDoubleQuote`, the flags in
/// `IOUtils.specicalFlags_doubleQuotes`):
///
/// ```text
/// "  \  -> \"  \\          \b \t \n \f \r -> short escapes
/// other U+0000..U+001F, U+007F..U+009F, U+2028, U+2029 -> \uXXXX (upper-case hex)
/// everything else, `/` and non-ASCII included -> raw UTF-8
/// ```
pub(crate) fn escape_fastjson(s: &str, emit: impl FnMut(&[u8])) {
    escape_fastjson_bytes(s.as_bytes(), emit);
}

/// [`escape_fastjson`] over the bytes of a `str`.
fn escape_fastjson_bytes(bytes: &[u8], mut emit: impl FnMut(&[u8])) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !MAY_ESCAPE[usize::from(b)] {
            i += 1;
            continue;
        }
        // The UTF-8 forms of U+0080..U+009F (C2 80..9F) and U+2028/U+2029 (E2 80 A8/A9).
        let (code, len): (u16, usize) = match b {
            b'"' | b'\\' | 0x08 | b'\t' | b'\n' | 0x0c | b'\r' | 0..=0x1f | 0x7f => {
                (u16::from(b), 1)
            }
            0xc2 if matches!(bytes.get(i + 1), Some(0x80..=0x9f)) => (u16::from(bytes[i + 1]), 2),
            0xe2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)) =>
            {
                (0x2000 | u16::from(bytes[i + 2] - 0x80), 3)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        emit(&bytes[start..i]);
        let short: &[u8] = match code {
            0x22 => b"\\\"",
            0x5c => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            _ => &[],
        };
        if short.is_empty() {
            let [hi, lo] = code.to_be_bytes();
            emit(&[
                b'\\',
                b'u',
                HEX[usize::from(hi >> 4)],
                HEX[usize::from(hi & 0xf)],
                HEX[usize::from(lo >> 4)],
                HEX[usize::from(lo & 0xf)],
            ]);
        } else {
            emit(short);
        }
        i += len;
        start = i;
    }
    emit(&bytes[start..]);
}

#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    code: i32,
    #[serde(default)]
    language: Option<Language>,
    #[serde(default)]
    version: i32,
    #[serde(default)]
    opaque: i32,
    #[serde(default)]
    flag: i32,
    #[serde(default)]
    remark: Option<String>,
    #[serde(default, rename = "extFields")]
    ext_fields: Option<ExtFields>,
}

/// Decodes a JSON header into a command with an empty body.
pub fn decode_header(src: &[u8]) -> Result<Command> {
    // The scanner reads the shape every Java and Rust peer writes; anything else (and every
    // malformed header) goes through serde, whose answer is the reference.
    if let Some(cmd) = super::json_scan::decode(src) {
        return Ok(cmd);
    }
    decode_serde(src)
}

/// The reference decoder: serde, accepting every shape documented in the module docs.
pub(crate) fn decode_serde(src: &[u8]) -> Result<Command> {
    let h: Header = serde_json::from_slice(src).map_err(|e| Error::json("JSON header", e))?;
    Ok(Command {
        code: h.code,
        language: h.language.map_or(LanguageCode::OTHER, |l| l.0),
        version: h.version,
        opaque: h.opaque,
        flag: h.flag,
        remark: h.remark,
        ext_fields: h.ext_fields.unwrap_or_default(),
        body: bytes::Bytes::new(),
        serialize_type: SerializeType::Json,
    })
}

struct Language(LanguageCode);

impl<'de> Deserialize<'de> for Language {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Language;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a language name or code")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Language, E> {
                Ok(Language(
                    LanguageCode::from_name(v).unwrap_or(LanguageCode::OTHER),
                ))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Language, E> {
                Ok(Language(
                    u8::try_from(v).map_or(LanguageCode::OTHER, LanguageCode),
                ))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Language, E> {
                Ok(Language(
                    u8::try_from(v).map_or(LanguageCode::OTHER, LanguageCode),
                ))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Language, E> {
                Ok(Language(LanguageCode::OTHER))
            }
        }
        d.deserialize_any(V)
    }
}

/// An ext value: Java always writes strings, other servers may write numbers or booleans.
struct ExtValue(Option<String>);

impl<'de> Deserialize<'de> for ExtValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ExtValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar ext field value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<ExtValue, E> {
                Ok(ExtValue(Some(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<ExtValue, E> {
                Ok(ExtValue(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for ExtFields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ExtFields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an extFields object")
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<ExtFields, E> {
                Ok(ExtFields::new())
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<ExtFields, A::Error> {
                // `{}` is an empty but present map, unlike `null` or a missing key.
                let mut fields = ExtFields::present();
                while let Some((k, v)) = map.next_entry::<String, ExtValue>()? {
                    if let Some(v) = v.0 {
                        fields.push_str(&k, &v);
                    }
                }
                fields.dedup_keys();
                Ok(fields)
            }
        }
        d.deserialize_any(V)
    }
}
