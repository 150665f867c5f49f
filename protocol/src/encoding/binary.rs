//! ROCKETMQ binary header serialization (type byte 1).
//!
//! ```text
//! +-------+------+---------+--------+------+------------+--------+---------+-----------------+
//! | code  | lang | version | opaque | flag | remark_len | remark | ext_len | ext pairs       |
//! | i16   | u8   | i16     | i32    | i32  | i32        | UTF-8  | i32     | (i16 k, i32 v)* |
//! +-------+------+---------+--------+------+------------+--------+---------+-----------------+
//! ```
//!
//! Java decodes a zero-length string as `null`: an empty remark becomes `None`, and a pair with
//! an empty value is treated as absent, so the decoder drops it too.

use bytes::{Buf, BufMut, BytesMut};

use crate::command::{Command, ExtFields, LanguageCode, SerializeType};
use crate::error::{Error, Result};

const FIXED_LEN: usize = 2 + 1 + 2 + 4 + 4 + 4;

/// The encoded length of `cmd`'s binary header.
pub fn header_len(cmd: &Command) -> usize {
    let remark = cmd.remark.as_ref().map_or(0, String::len);
    FIXED_LEN + remark + 4 + ext_len(&cmd.ext_fields)
}

fn ext_len(fields: &ExtFields) -> usize {
    fields.iter().map(|(k, v)| 2 + k.len() + 4 + v.len()).sum()
}

/// Appends the binary header of `cmd` (without body) to `dst`.
///
/// # Errors
/// `code` or `version` outside `i16` (Java would silently truncate 5.x POP codes), a key longer
/// than `i16::MAX` bytes, or a remark/value longer than `i32::MAX` bytes.
pub fn encode_header(cmd: &Command, dst: &mut impl BufMut) -> Result<()> {
    let mut buf = BytesMut::new();
    encode_header_into(cmd, &mut buf)?;
    dst.put_slice(&buf);
    Ok(())
}

/// [`encode_header`] into a `BytesMut`, checking every length first and then writing the
/// header into a slice of its exact size (one bounds check per field instead of a growable
/// buffer call per field). On error `dst` is unchanged.
pub(crate) fn encode_header_into(cmd: &Command, dst: &mut BytesMut) -> Result<()> {
    let code = i16::try_from(cmd.code)
        .map_err(|_| Error::invalid(format!("code {} does not fit a ROCKETMQ header", cmd.code)))?;
    let version = i16::try_from(cmd.version).map_err(|_| {
        Error::invalid(format!(
            "version {} does not fit a ROCKETMQ header",
            cmd.version
        ))
    })?;
    let remark = cmd.remark.as_deref().unwrap_or("");
    let remark_len = len_i32(remark.len(), "remark")?;
    // Every key and value is a range of the map's text: when the whole text fits an i16, each
    // key fits its i16 length and each value its i32 one, and the span index gives the total
    // without looking at the text.
    let pairs_len = if i16::try_from(cmd.ext_fields.text.len()).is_ok() {
        cmd.ext_fields.pairs_text_len() + 6 * cmd.ext_fields.len()
    } else {
        checked_pairs_len(&cmd.ext_fields)?
    };
    let ext_len = len_i32(pairs_len, "extFields")?;
    let len = FIXED_LEN + remark.len() + 4 + pairs_len;

    let start = dst.len();
    dst.resize(start + len, 0);
    let mut out = Out {
        buf: &mut dst[start..],
        pos: 0,
    };
    out.put(&code.to_be_bytes());
    out.put(&[cmd.language.0]);
    out.put(&version.to_be_bytes());
    out.put(&cmd.opaque.to_be_bytes());
    out.put(&cmd.flag.to_be_bytes());
    out.put(&remark_len.to_be_bytes());
    out.put(remark.as_bytes());
    out.put(&ext_len.to_be_bytes());
    for (k, v) in cmd.ext_fields.iter_bytes() {
        // Both lengths were checked above.
        out.put(&(k.len() as i16).to_be_bytes());
        out.put(k);
        out.put(&(v.len() as i32).to_be_bytes());
        out.put(v);
    }
    Ok(())
}

/// The encoded length of the pairs of `ext`, checking that each key's length fits an i16 and
/// each value's an i32.
fn checked_pairs_len(ext: &ExtFields) -> Result<usize> {
    let mut pairs_len = 0usize;
    for (k, v) in ext.iter_bytes() {
        if i16::try_from(k.len()).is_err() {
            return Err(Error::BadLength {
                what: "ext field key",
                len: k.len() as i64,
            });
        }
        len_i32(v.len(), "ext field value")?;
        pairs_len += 2 + k.len() + 4 + v.len();
    }
    Ok(pairs_len)
}

/// A write cursor over a slice sized for exactly what is written.
struct Out<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Out<'_> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.pos + bytes.len();
        if let Some(dst) = self.buf.get_mut(self.pos..end) {
            dst.copy_from_slice(bytes);
        }
        self.pos = end;
    }
}

fn len_i32(len: usize, what: &'static str) -> Result<i32> {
    i32::try_from(len).map_err(|_| Error::BadLength {
        what,
        len: len as i64,
    })
}

/// Decodes a binary header into a command with an empty body.
pub fn decode_header(mut src: &[u8]) -> Result<Command> {
    if src.len() < FIXED_LEN {
        return Err(Error::truncated("ROCKETMQ header", FIXED_LEN, src.len()));
    }
    let code = i32::from(src.get_i16());
    let language = LanguageCode(src.get_u8());
    let version = i32::from(src.get_i16());
    let opaque = src.get_i32();
    let flag = src.get_i32();
    let remark = take_str(&mut src, "remark")?;
    if src.len() < 4 {
        return Err(Error::truncated("ROCKETMQ extFields length", 4, src.len()));
    }
    let ext_len = src.get_i32();
    let ext_len = usize::try_from(ext_len)
        .ok()
        .filter(|&n| n <= src.len())
        .ok_or(Error::BadLength {
            what: "extFields",
            len: i64::from(ext_len),
        })?;
    let mut ext = &src[..ext_len];
    // Keys and values are copied into one string (see `ExtFields`), not one `String` each.
    let mut ext_fields = ExtFields::new();
    ext_fields.reserve(16, ext_len);
    while ext.has_remaining() {
        if ext.len() < 2 {
            return Err(Error::truncated("ext field key length", 2, ext.len()));
        }
        let klen = ext.get_i16();
        let klen = usize::try_from(klen)
            .ok()
            .filter(|&n| n <= ext.len())
            .ok_or(Error::BadLength {
                what: "ext field key",
                len: i64::from(klen),
            })?;
        let key = std::str::from_utf8(&ext[..klen]).map_err(|_| Error::Utf8("ext field key"))?;
        ext.advance(klen);
        let value = take_slice(&mut ext, "ext field value")?;
        if !key.is_empty() && !value.is_empty() {
            ext_fields.push_str(key, value);
        }
    }
    ext_fields.dedup_keys();
    Ok(Command {
        code,
        language,
        version,
        opaque,
        flag,
        remark,
        ext_fields,
        body: bytes::Bytes::new(),
        serialize_type: SerializeType::RocketMq,
    })
}

/// Reads an i32-length-prefixed UTF-8 string; zero length is `None`, as in Java.
fn take_str(src: &mut &[u8], what: &'static str) -> Result<Option<String>> {
    let s = take_slice(src, what)?;
    Ok((!s.is_empty()).then(|| s.to_owned()))
}

/// Reads an i32-length-prefixed UTF-8 string, borrowed from `src`.
fn take_slice<'a>(src: &mut &'a [u8], what: &'static str) -> Result<&'a str> {
    if src.len() < 4 {
        return Err(Error::truncated(what, 4, src.len()));
    }
    let len = src.get_i32();
    let n = usize::try_from(len)
        .ok()
        .filter(|&n| n <= src.len())
        .ok_or(Error::BadLength {
            what,
            len: i64::from(len),
        })?;
    let (text, rest) = src.split_at(n);
    let text = std::str::from_utf8(text).map_err(|_| Error::Utf8(what))?;
    *src = rest;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(ext: ExtFields) -> Command {
        let mut cmd = Command::request(crate::RequestCode::SEND_MESSAGE_V2);
        cmd.ext_fields = ext;
        cmd
    }

    #[test]
    fn a_key_too_long_for_an_i16_length_is_an_error_and_writes_nothing() {
        let mut ext = ExtFields::default();
        ext.insert_str("k", "v");
        ext.insert_str(&"x".repeat(40_000), "v");
        let mut dst = BytesMut::from(&b"before"[..]);
        let err = encode_header_into(&command(ext), &mut dst);
        assert!(
            matches!(
                err,
                Err(Error::BadLength {
                    what: "ext field key",
                    len: 40_000
                })
            ),
            "{err:?}"
        );
        assert_eq!(&dst[..], b"before");
        // A long value is fine: its length is an i32.
        let mut ext = ExtFields::default();
        ext.insert_str("k", &"v".repeat(40_000));
        let cmd = command(ext);
        let mut dst = BytesMut::new();
        encode_header_into(&cmd, &mut dst).expect("a long value encodes");
        assert_eq!(
            decode_header(&dst).expect("decodes").ext_fields,
            cmd.ext_fields
        );
    }

    #[test]
    fn replaced_and_removed_pairs_leave_no_trace_on_the_wire() {
        let mut ext = ExtFields::default();
        for i in 0..40 {
            ext.insert_str(&format!("key{i}"), &format!("value{i}"));
        }
        for i in 0..40 {
            ext.insert_str(&format!("key{i}"), &"w".repeat(i));
        }
        for i in (0..40).step_by(3) {
            ext.remove(&format!("key{i}"));
        }
        let cmd = command(ext);
        let mut dst = BytesMut::new();
        encode_header_into(&cmd, &mut dst).expect("encodes");
        let expected_len = FIXED_LEN
            + 4
            + cmd
                .ext_fields
                .iter()
                .map(|(k, v)| 2 + k.len() + 4 + v.len())
                .sum::<usize>();
        assert_eq!(dst.len(), expected_len);
        assert_eq!(
            decode_header(&dst).expect("decodes").ext_fields,
            cmd.ext_fields
        );
    }
}
