//! A tiny blocking remoting client: one JSON-header request per connection, the response body
//! read as text. Enough to ask a name server for its cluster info or a route; the real client
//! lives in `rmq-remoting`.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Remoting request code `GET_BROKER_CLUSTER_INFO`.
pub const GET_BROKER_CLUSTER_INFO: i32 = 106;
/// Remoting request code `GET_BROKER_RUNTIME_INFO` (a broker answers it).
pub const GET_BROKER_RUNTIME_INFO: i32 = 28;
/// Remoting request code `GET_ROUTEINFO_BY_TOPIC`.
pub const GET_ROUTEINFO_BY_TOPIC: i32 = 105;

/// A response read by [`request`].
#[derive(Debug, Clone)]
pub struct Response {
    /// The response code (0 is success).
    pub code: i32,
    /// The header as JSON text (or a description when the header was binary).
    pub header: String,
    /// The body as (lossy) UTF-8 text.
    pub body: String,
}

/// Sends one JSON-header request and reads the response, blocking, within `timeout`.
///
/// The frame is `total_len: i32 | (0 << 24 | header_len): i32 | header JSON | body`.
pub fn request(
    addr: &str,
    code: i32,
    ext: &[(&str, &str)],
    timeout: Duration,
) -> io::Result<Response> {
    let sock: SocketAddr = addr
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: {e}")))?;
    let mut stream = TcpStream::connect_timeout(&sock, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut header = format!(
        r#"{{"code":{code},"flag":0,"language":"RUST","opaque":1,"serializeTypeCurrentRPC":"JSON","version":407"#
    );
    if !ext.is_empty() {
        header.push_str(r#","extFields":{"#);
        for (i, (k, v)) in ext.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(header, "{sep}{}:{}", json_string(k), json_string(v));
        }
        header.push('}');
    }
    header.push('}');
    let mut frame = Vec::with_capacity(8 + header.len());
    frame.extend_from_slice(&(4 + header.len() as i32).to_be_bytes());
    frame.extend_from_slice(&(header.len() as i32).to_be_bytes());
    frame.extend_from_slice(header.as_bytes());
    stream.write_all(&frame)?;

    let mut len = [0u8; 4];
    stream.read_exact(&mut len)?;
    let total = i32::from_be_bytes(len);
    if !(4..=16 * 1024 * 1024).contains(&total) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("bad frame length {total}"),
        ));
    }
    let mut rest = vec![0u8; total as usize];
    stream.read_exact(&mut rest)?;
    let word = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
    let header_len = (word & 0xFF_FFFF) as usize;
    if 4 + header_len > rest.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "header longer than frame",
        ));
    }
    let header_bytes = &rest[4..4 + header_len];
    let body = String::from_utf8_lossy(&rest[4 + header_len..]).into_owned();
    let (code, header) = if word >> 24 == 0 {
        let text = String::from_utf8_lossy(header_bytes).into_owned();
        (json_int_field(&text, "code").unwrap_or(-1), text)
    } else {
        // ROCKETMQ binary header: the code is its first two bytes.
        let code = header_bytes
            .get(..2)
            .map_or(-1, |b| i32::from(i16::from_be_bytes([b[0], b[1]])));
        (code, format!("<binary header, {header_len} bytes>"))
    };
    Ok(Response { code, header, body })
}

/// The name server's cluster info body (`GET_BROKER_CLUSTER_INFO`) as text.
pub fn cluster_info(namesrv: &str, timeout: Duration) -> io::Result<String> {
    let resp = request(namesrv, GET_BROKER_CLUSTER_INFO, &[], timeout)?;
    if resp.code != 0 {
        return Err(io::Error::other(format!(
            "cluster info answered code {}: {}",
            resp.code, resp.header
        )));
    }
    Ok(resp.body)
}

/// Whether a cluster info body lists broker `name` at `addr`.
pub fn lists_broker(body: &str, name: &str, addr: &str) -> bool {
    body.contains(&format!("\"{name}\"")) && body.contains(&format!("\"{addr}\""))
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Reads `"key":<int>` from flat JSON text.
fn json_int_field(text: &str, key: &str) -> Option<i32> {
    let at = text.find(&format!("\"{key}\""))? + key.len() + 2;
    let rest = text[at..].trim_start().strip_prefix(':')?.trim_start();
    let end = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
        .map_or(rest.len(), |(i, _)| i);
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_int_field_reads_negative_and_spaced_values() {
        assert_eq!(json_int_field(r#"{"code": -3,"flag":1}"#, "code"), Some(-3));
        assert_eq!(json_int_field(r#"{"flag":1,"code":0}"#, "code"), Some(0));
        assert_eq!(json_int_field(r#"{"flag":1}"#, "code"), None);
    }
}
