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

use bytes::{Buf, BufMut};

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
    let code = i16::try_from(cmd.code)
        .map_err(|_| Error::invalid(format!("code {} does not fit a ROCKETMQ header", cmd.code)))?;
    let version = i16::try_from(cmd.version).map_err(|_| {
        Error::invalid(format!(
            "version {} does not fit a ROCKETMQ header",
            cmd.version
        ))
    })?;
    dst.put_i16(code);
    dst.put_u8(cmd.language.0);
    dst.put_i16(version);
    dst.put_i32(cmd.opaque);
    dst.put_i32(cmd.flag);
    let remark = cmd.remark.as_deref().unwrap_or("");
    dst.put_i32(len_i32(remark.len(), "remark")?);
    dst.put_slice(remark.as_bytes());
    dst.put_i32(len_i32(ext_len(&cmd.ext_fields), "extFields")?);
    for (k, v) in cmd.ext_fields.iter() {
        let klen = i16::try_from(k.len()).map_err(|_| Error::BadLength {
            what: "ext field key",
            len: k.len() as i64,
        })?;
        dst.put_i16(klen);
        dst.put_slice(k.as_bytes());
        dst.put_i32(len_i32(v.len(), "ext field value")?);
        dst.put_slice(v.as_bytes());
    }
    Ok(())
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
    let mut ext_fields = ExtFields::new();
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
        let key = key.to_owned();
        ext.advance(klen);
        let value = take_str(&mut ext, "ext field value")?;
        if let (false, Some(value)) = (key.is_empty(), value) {
            ext_fields.insert(key, value);
        }
    }
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
    if n == 0 {
        return Ok(None);
    }
    let s = std::str::from_utf8(&src[..n])
        .map_err(|_| Error::Utf8(what))?
        .to_owned();
    src.advance(n);
    Ok(Some(s))
}
