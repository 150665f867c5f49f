//! The JSON header decoder's fast path: a purpose-built scanner for the `RemotingCommand`
//! object, writing ext fields straight into one string (no `serde_json` map, no `String` per
//! field).
//!
//! It only answers when it is sure to agree with the serde decoder in `json.rs`: on anything
//! unusual (floats, nested values under unknown keys, duplicate known keys, lone surrogates,
//! malformed text) it returns `None` and the serde decoder decides, errors included.

use bytes::Bytes;

use super::scan::find_json_stop;
use crate::command::{Command, ExtFields, LanguageCode, SerializeType};

/// Decodes `src` if it is a header the scanner fully understands.
pub(crate) fn decode(src: &[u8]) -> Option<Command> {
    // One validation up front; every string is then a slice of `text`.
    let text = std::str::from_utf8(src).ok()?;
    let mut s = Scanner { text, src, pos: 0 };
    let mut cmd = Command {
        code: 0,
        language: LanguageCode::OTHER,
        version: 0,
        opaque: 0,
        flag: 0,
        remark: None,
        ext_fields: ExtFields::new(),
        body: Bytes::new(),
        serialize_type: SerializeType::Json,
    };
    // Known keys seen so far: serde refuses a duplicate, so the scanner defers to it.
    let mut seen = 0u8;
    let mut scratch = String::new();
    s.ws();
    s.eat(b'{')?;
    s.ws();
    if s.peek()? == b'}' {
        s.pos += 1;
    } else {
        loop {
            s.ws();
            let key = s.plain_key()?;
            s.ws();
            s.eat(b':')?;
            s.ws();
            let bit = match key {
                b"code" => 1,
                b"language" => 2,
                b"version" => 4,
                b"opaque" => 8,
                b"flag" => 16,
                b"remark" => 32,
                b"extFields" => 64,
                _ => 0,
            };
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            match bit {
                1 => cmd.code = s.int32()?,
                2 => cmd.language = s.language(&mut scratch)?,
                4 => cmd.version = s.int32()?,
                8 => cmd.opaque = s.int32()?,
                16 => cmd.flag = s.int32()?,
                32 => {
                    if s.peek()? == b'n' {
                        s.literal(b"null")?;
                    } else {
                        let mut remark = String::new();
                        s.string_into(&mut remark)?;
                        cmd.remark = Some(remark);
                    }
                }
                64 => {
                    if s.peek()? == b'n' {
                        s.literal(b"null")?;
                    } else {
                        s.ext_fields(&mut cmd.ext_fields, src.len())?;
                    }
                }
                _ => s.skip_scalar(&mut scratch)?,
            }
            s.ws();
            match s.next()? {
                b',' => continue,
                b'}' => break,
                _ => return None,
            }
        }
    }
    s.ws();
    (s.pos == src.len()).then_some(cmd)
}

struct Scanner<'a> {
    text: &'a str,
    src: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn eat(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.pos.checked_add(word.len())?;
        (self.src.get(self.pos..end)? == word).then(|| self.pos = end)
    }

    /// A top-level key without escapes (every known key is plain ASCII).
    fn plain_key(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let src = self.src;
        let start = self.pos;
        let len = find_json_stop(&src[start..])?;
        if src[start + len] != b'"' {
            return None;
        }
        self.pos = start + len + 1;
        Some(&src[start..start + len])
    }

    /// A JSON string, unescaped and appended to `out`.
    fn string_into(&mut self, out: &mut String) -> Option<()> {
        self.eat(b'"')?;
        loop {
            let start = self.pos;
            let len = find_json_stop(&self.src[start..])?;
            // Cut at ASCII bytes of a validated string: always char boundaries.
            out.push_str(self.text.get(start..start + len)?);
            self.pos = start + len;
            match self.next()? {
                b'"' => return Some(()),
                b'\\' => self.escape_into(out)?,
                _ => return None, // a raw control character
            }
        }
    }

    fn escape_into(&mut self, out: &mut String) -> Option<()> {
        let c = match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                let code = match unit {
                    0xD800..=0xDBFF => {
                        self.literal(b"\\u")?;
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return None;
                        }
                        0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return None,
                    _ => unit,
                };
                char::from_u32(code)?
            }
            _ => return None,
        };
        out.push(c);
        Some(())
    }

    fn hex4(&mut self) -> Option<u32> {
        let end = self.pos.checked_add(4)?;
        let digits = self.src.get(self.pos..end)?;
        let mut v = 0;
        for &d in digits {
            v = v * 16 + char::from(d).to_digit(16)?;
        }
        self.pos = end;
        Some(v)
    }

    /// An integer in JSON's canonical grammar, as text: `-?(0|[1-9][0-9]*)`, at most 18
    /// digits, not `-0`, not followed by a fraction or exponent (those are floats to serde).
    fn int_text(&mut self) -> Option<&'a [u8]> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits_start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        let src = self.src;
        let digits = &src[digits_start..self.pos];
        let canonical = match digits {
            [] => false,
            [b'0'] => digits_start == start,
            [b'0', ..] => false,
            _ => digits.len() <= 18,
        };
        if !canonical || matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        Some(&src[start..self.pos])
    }

    fn int_str(&mut self) -> Option<&'a str> {
        let start = self.pos;
        self.int_text()?;
        self.text.get(start..self.pos)
    }

    fn int64(&mut self) -> Option<i64> {
        self.int_str()?.parse().ok()
    }

    fn int32(&mut self) -> Option<i32> {
        i32::try_from(self.int64()?).ok()
    }

    /// `language`: a name (unknown names read as OTHER), an ordinal, or null.
    fn language(&mut self, scratch: &mut String) -> Option<LanguageCode> {
        match self.peek()? {
            b'"' => {
                // A name without escapes (always, in practice) is read in place.
                let start = self.pos + 1;
                let name = match find_json_stop(&self.src[start..]) {
                    Some(len) if self.src[start + len] == b'"' => {
                        self.pos = start + len + 1;
                        self.text.get(start..start + len)?
                    }
                    _ => {
                        scratch.clear();
                        self.string_into(scratch)?;
                        scratch.as_str()
                    }
                };
                Some(LanguageCode::from_name(name).unwrap_or(LanguageCode::OTHER))
            }
            b'n' => {
                self.literal(b"null")?;
                Some(LanguageCode::OTHER)
            }
            _ => Some(u8::try_from(self.int64()?).map_or(LanguageCode::OTHER, LanguageCode)),
        }
    }

    /// The value of an unknown key: a string, integer, boolean or null.
    fn skip_scalar(&mut self, scratch: &mut String) -> Option<()> {
        match self.peek()? {
            b'"' => {
                // A string without escapes (`"serializeTypeCurrentRPC":"JSON"`) is stepped
                // over, not copied.
                let start = self.pos + 1;
                let len = find_json_stop(self.src.get(start..)?)?;
                if self.src.get(start + len) == Some(&b'"') {
                    self.pos = start + len + 1;
                    return Some(());
                }
                scratch.clear();
                self.string_into(scratch)
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.int_text().map(drop),
        }
    }

    /// The `extFields` object: string, integer and boolean values kept as text, nulls dropped,
    /// a repeated key keeping its first position and last value (as the serde path does).
    fn ext_fields(&mut self, ext: &mut ExtFields, hint: usize) -> Option<()> {
        self.eat(b'{')?;
        // The unescaped text is never longer than the header: one allocation each.
        *ext = ExtFields::new();
        ext.reserve(16, hint);
        ext.set_present();
        self.ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.ws();
            let key_start = ext.text.len();
            self.string_into(&mut ext.text)?;
            let key = (key_start, ext.text.len());
            self.ws();
            self.eat(b':')?;
            self.ws();
            let value_start = ext.text.len();
            let keep = match self.peek()? {
                b'"' => {
                    self.string_into(&mut ext.text)?;
                    true
                }
                b't' => {
                    self.literal(b"true")?;
                    ext.text.push_str("true");
                    true
                }
                b'f' => {
                    self.literal(b"false")?;
                    ext.text.push_str("false");
                    true
                }
                b'n' => {
                    self.literal(b"null")?;
                    false
                }
                _ => {
                    let digits = self.int_str()?;
                    ext.text.push_str(digits);
                    true
                }
            };
            if keep {
                let value = (value_start, ext.text.len());
                ext.spans.push(crate::command::Span { key, value });
            } else {
                ext.text.truncate(key_start);
            }
            self.ws();
            match self.next()? {
                b',' => continue,
                b'}' => break,
                _ => return None,
            }
        }
        ext.dedup_keys();
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::decode;
    use crate::encoding::json::{decode_header, decode_serde};
    use crate::{Command, RequestCode};

    /// The scanner either declines or returns exactly what serde returns.
    fn check(src: &[u8]) {
        let fast = decode(src);
        let slow = decode_serde(src);
        if let Some(fast) = &fast {
            assert_eq!(
                Some(fast),
                slow.as_ref().ok(),
                "{:?}",
                String::from_utf8_lossy(src)
            );
        }
        assert_eq!(
            decode_header(src).ok(),
            slow.ok(),
            "{:?}",
            String::from_utf8_lossy(src)
        );
    }

    #[test]
    fn scanner_agrees_with_serde_on_unusual_headers() {
        let cases: &[&[u8]] = &[
            br#"{"code":105,"extFields":{"topic":"T"},"flag":0,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":407}"#,
            br#" { "code" : -3 , "flag" : 1 , "opaque" : 2147483647 } "#,
            br#"{}"#,
            br#"{"extFields":{}}"#,
            br#"{"extFields":null,"remark":null,"language":null}"#,
            br#"{"extFields":{"a":1,"b":-2,"c":true,"d":false,"e":null,"f":"x"}}"#,
            br#"{"extFields":{"a":"1","b":"2","a":"3","a":null}}"#,
            br#"{"extFields":{"a":1.5}}"#,
            br#"{"extFields":{"a":-0}}"#,
            br#"{"extFields":{"a":012}}"#,
            br#"{"extFields":{"a":123456789012345678901234}}"#,
            br#"{"extFields":{"a":{"x":1}}}"#,
            br#"{"extFields":{"k\"\\\/\b\f\n\r\t":"\u00e9\ud83d\ude00\u2028"}}"#,
            br#"{"remark":"\ud800"}"#,
            br#"{"remark":"\udc00x"}"#,
            br#"{"remark":"a\u0001b"}"#,
            b"{\"remark\":\"a\x01b\"}",
            b"{\"remark\":\"\xff\"}",
            br#"{"code":1,"code":2}"#,
            br#"{"code":1.0}"#,
            br#"{"code":2147483648}"#,
            br#"{"code":null}"#,
            br#"{"language":"NOPE"}"#,
            br#"{"language":12}"#,
            br#"{"language":300}"#,
            br#"{"language":-1}"#,
            br#"{"language":true}"#,
            br#"{"unknown":[1,2],"code":1}"#,
            br#"{"unknown":{"a":1},"code":1}"#,
            br#"{"unknown":1e5,"code":1}"#,
            br#"{"unknown":"\u0041","code":1}"#,
            br#"{"c\u006fde":1}"#,
            br#"{"code":1}x"#,
            br#"{"code":1,}"#,
            br#"{"code":1"#,
            br#"{"code""#,
            br#"[1,2,3]"#,
            b"",
            b"\xef\xbb\xbf{}",
        ];
        for case in cases {
            check(case);
        }
    }

    #[test]
    fn scanner_reads_what_the_encoder_writes() {
        let cmd = Command::request(RequestCode::SEND_MESSAGE_V2)
            .with_ext("a", "PID")
            .with_ext("i", "KEYS\u{1}k\u{2}TAGS\u{1}\"q\"\\\u{7f}\u{85}\u{2028}")
            .with_remark("r\n");
        let frame = cmd.to_frame().expect("encodes");
        let header = &frame[8..];
        assert_eq!(decode(header).as_ref(), Some(&cmd));
    }

    proptest! {
        #[test]
        fn scanner_agrees_with_serde_on_corrupted_headers(
            at in 0usize..400,
            byte in any::<u8>(),
            cut in 0usize..400,
        ) {
            let cmd = Command::request(RequestCode::SEND_MESSAGE_V2)
                .with_ext("a", "PID_x")
                .with_ext("g", "1700000000000")
                .with_ext("i", "KEYS\u{1}k\u{2}WAIT\u{1}true")
                .with_remark("é\"");
            let frame = cmd.to_frame().expect("encodes");
            let mut header = frame[8..].to_vec();
            if let Some(b) = header.get_mut(at) {
                *b = byte;
            }
            check(&header);
            header.truncate(cut);
            check(&header);
        }
    }
}
