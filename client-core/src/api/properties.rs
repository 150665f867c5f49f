//! Java properties text, the body of broker and name-server config requests
//! (GET/UPDATE_BROKER_CONFIG, GET/UPDATE_NAMESRV_CONFIG).
//!
//! Servers write it with `MixAll.properties2String` (`key=value` lines, no escaping) and read it
//! with `java.util.Properties#load`; [`parse_properties`] follows the latter's rules, so text
//! written by either side reads back.

use std::collections::BTreeMap;

/// Parses Java properties text (`Properties#load` rules): `#`/`!` comment lines, blank lines,
/// keys ending at the first unescaped `=`, `:` or whitespace, backslash escapes (`\t`, `\n`,
/// `\r`, `\f`, `\uXXXX`, any other character as itself) and backslash line continuations. A later
/// duplicate key wins, as in Java.
///
/// ```
/// use rmq_client_core::api::parse_properties;
/// let config = parse_properties("# broker\nbrokerName=broker-a\nlistenPort : 10911\n");
/// assert_eq!(config["brokerName"], "broker-a");
/// assert_eq!(config["listenPort"], "10911");
/// ```
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in logical_lines(text) {
        let (key, value) = split_entry(&line);
        out.insert(unescape(key), unescape(value));
    }
    out
}

/// Writes entries as `MixAll.properties2String` does: one `key=value` line each, no escaping.
///
/// ```
/// use std::collections::BTreeMap;
/// use rmq_client_core::api::format_properties;
/// let config = BTreeMap::from([("flushDiskType".to_owned(), "ASYNC_FLUSH".to_owned())]);
/// assert_eq!(format_properties(&config), "flushDiskType=ASYNC_FLUSH\n");
/// ```
pub fn format_properties(entries: &BTreeMap<String, String>) -> String {
    let mut text = String::new();
    for (key, value) in entries {
        text.push_str(key);
        text.push('=');
        text.push_str(value);
        text.push('\n');
    }
    text
}

/// Joins continued lines and drops comments and blank lines. Returned lines keep their escapes
/// (a continuation's backslash and line break removed, its leading whitespace skipped).
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current: Option<String> = None;
    for natural in text.split('\n') {
        let natural = natural.strip_suffix('\r').unwrap_or(natural);
        let trimmed = natural.trim_start_matches([' ', '\t', '\x0c']);
        let mut line = match current.take() {
            Some(mut so_far) => {
                so_far.push_str(trimmed);
                so_far
            }
            None if trimmed.is_empty() || trimmed.starts_with(['#', '!']) => continue,
            None => trimmed.to_owned(),
        };
        if ends_with_escape(&line) {
            line.pop();
            current = Some(line);
        } else {
            lines.push(line);
        }
    }
    lines.extend(current.filter(|line| !line.is_empty()));
    lines
}

/// Whether `line` ends with an odd number of backslashes (an escaped line break).
fn ends_with_escape(line: &str) -> bool {
    line.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1
}

/// Splits a logical line into raw key and raw value.
fn split_entry(line: &str) -> (&str, &str) {
    let mut escaped = false;
    let mut key_end = line.len();
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if matches!(c, '=' | ':' | ' ' | '\t' | '\x0c') {
            key_end = i;
            break;
        }
    }
    let key = &line[..key_end];
    let rest = line[key_end..].trim_start_matches([' ', '\t', '\x0c']);
    let rest = rest.strip_prefix(['=', ':']).unwrap_or(rest);
    (key, rest.trim_start_matches([' ', '\t', '\x0c']))
}

/// Resolves backslash escapes as `Properties#loadConvert` does.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                // Java throws on a malformed \u escape; keep the text instead of failing the body.
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(decoded) if hex.len() == 4 => out.push(decoded),
                    _ => {
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_every_separator_and_skips_comments() {
        let text = "#c\n! also\n\n  a=1\nb:2\nc 3\nd = 4 \ne\n";
        let props = parse_properties(text);
        assert_eq!(props["a"], "1");
        assert_eq!(props["b"], "2");
        assert_eq!(props["c"], "3");
        assert_eq!(props["d"], "4 ");
        assert_eq!(props["e"], "");
        assert_eq!(props.len(), 5);
    }

    #[test]
    fn parse_resolves_escapes_and_continuations() {
        let text = "path=C\\:\\\\store\nlong=one,\\\n    two\nuni=\\u4e2d\nkey\\ with\\=sep=v\r\n";
        let props = parse_properties(text);
        assert_eq!(props["path"], "C:\\store");
        assert_eq!(props["long"], "one,two");
        assert_eq!(props["uni"], "中");
        assert_eq!(props["key with=sep"], "v");
    }

    #[test]
    fn format_then_parse_round_trips_plain_values() {
        let config = BTreeMap::from([
            ("brokerClusterName".to_owned(), "DefaultCluster".to_owned()),
            (
                "namesrvAddr".to_owned(),
                "127.0.0.1:9876;127.0.0.2:9876".to_owned(),
            ),
        ]);
        assert_eq!(parse_properties(&format_properties(&config)), config);
    }
}
