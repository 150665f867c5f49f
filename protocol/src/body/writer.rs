//! Writes JSON bodies as fastjson does: serde_json's layout with fastjson's string escaping
//! (upper-case `\uXXXX`, U+007F..U+009F and U+2028/U+2029 escaped, `/` raw), so a body Java
//! would write with the same field order is the same bytes.

use std::io;

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter, Serializer};

use crate::encoding::json::escape_fastjson;
use crate::error::{Error, Result};

/// `value` as compact JSON with fastjson's string escaping.
pub(crate) fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    let mut ser = Serializer::with_formatter(&mut out, FastjsonStrings);
    value
        .serialize(&mut ser)
        .map_err(|e| Error::json("JSON body", e))?;
    Ok(out)
}

/// serde_json's compact layout (every other `Formatter` method is the default) with the
/// string escapes replaced.
struct FastjsonStrings;

impl Formatter for FastjsonStrings {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // serde_json cut the fragment at every character it escapes itself; what it leaves in
        // are the characters only fastjson escapes (DEL, C1 controls, U+2028, U+2029).
        let mut result = Ok(());
        escape_fastjson(fragment, |chunk| {
            if result.is_ok() {
                result = writer.write_all(chunk);
            }
        });
        result
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        char_escape: CharEscape,
    ) -> io::Result<()> {
        let byte = match char_escape {
            CharEscape::Quote => b'"',
            CharEscape::ReverseSolidus => b'\\',
            CharEscape::Solidus => b'/',
            CharEscape::Backspace => 0x08,
            CharEscape::FormFeed => 0x0c,
            CharEscape::LineFeed => b'\n',
            CharEscape::CarriageReturn => b'\r',
            CharEscape::Tab => b'\t',
            CharEscape::AsciiControl(b) => b,
        };
        // Every byte above is ASCII, so it is a one-byte str.
        let text = [byte];
        let mut result = Ok(());
        escape_fastjson(std::str::from_utf8(&text).unwrap_or_default(), |chunk| {
            if result.is_ok() {
                result = writer.write_all(chunk);
            }
        });
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_like_fastjson() {
        let text = "a/b\u{2028}c\u{2029}d\u{1}e\u{b}f\u{1f}g\u{7f}h\u{85}i消息\"j\\k\tl\nm";
        let out = to_vec(&text).expect("serialize");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "\"a/b\\u2028c\\u2029d\\u0001e\\u000Bf\\u001Fg\\u007Fh\\u0085i消息\\\"j\\\\k\\tl\\nm\""
        );
    }
}
