//! Small builders for the answers every node gives: success, an error code with Java's remark,
//! a typed response header, a JSON body; and Java-properties text for config bodies.

use std::collections::BTreeMap;

use rmq_protocol::body::JsonBody;
use rmq_protocol::{Command, CommandHeader, ResponseCode};

/// `SUCCESS` with nothing else.
pub(crate) fn ok() -> Command {
    Command::response(ResponseCode::SUCCESS, None)
}

/// `code` with `remark`.
pub(crate) fn error(code: ResponseCode, remark: impl Into<String>) -> Command {
    Command::response(code, Some(remark.into()))
}

/// `SUCCESS` carrying `header` in its ext fields.
pub(crate) fn with_header<H: CommandHeader>(header: &H) -> Command {
    ok().with_header(header)
}

/// `SUCCESS` with `body` as standard JSON (what fastjson reads), or `SYSTEM_ERROR` if it
/// cannot be encoded.
pub(crate) fn json<B: JsonBody>(body: &B) -> Command {
    match body.to_json() {
        Ok(bytes) => ok().with_body(bytes),
        Err(e) => error(ResponseCode::SYSTEM_ERROR, format!("encode body: {e}")),
    }
}

/// Java's answer to a code it has no processor for
/// (Java: `NettyRemotingAbstract#processRequestCommand`).
pub(crate) fn not_supported(code: i32) -> Command {
    error(
        ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
        format!(" request type {code} not supported"),
    )
}

/// The answer to a request whose header does not decode (Java throws
/// `RemotingCommandException`, which the remoting layer turns into `SYSTEM_ERROR`).
pub(crate) fn bad_header(e: rmq_protocol::Error) -> Command {
    error(ResponseCode::SYSTEM_ERROR, e.to_string())
}

/// Decodes a request header, or gives the error answer for it.
pub(crate) fn header<H: CommandHeader>(request: &Command) -> Result<H, Command> {
    request.decode_header::<H>().map_err(bad_header)
}

/// Java-properties text, one `key=value` per line.
pub(crate) fn format_properties(map: &BTreeMap<String, String>) -> String {
    map.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
}

/// Parses `key=value` lines (blank lines and `#`/`!` comments skipped; `:` also separates).
pub(crate) fn parse_properties(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| {
            let at = l.find(['=', ':'])?;
            Some((l[..at].trim().to_owned(), l[at + 1..].trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_round_trip_and_skip_comments() {
        let text = "# comment\na=1\n\nb : two\n";
        let map = parse_properties(text);
        assert_eq!(map.get("a").map(String::as_str), Some("1"));
        assert_eq!(map.get("b").map(String::as_str), Some("two"));
        assert_eq!(parse_properties(&format_properties(&map)), map);
    }

    #[test]
    fn not_supported_has_java_remark() {
        let answer = not_supported(9999);
        assert_eq!(
            answer.response_code(),
            ResponseCode::REQUEST_CODE_NOT_SUPPORTED
        );
        assert_eq!(
            answer.remark.as_deref(),
            Some(" request type 9999 not supported")
        );
    }
}
