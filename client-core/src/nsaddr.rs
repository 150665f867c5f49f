//! Name-server discovery through an HTTP address server (Java's `TopAddressing`): a plain
//! `GET` whose body is the `;`-separated name-server list.
//!
//! Only `http://` URLs are supported, as in Java. The request is HTTP/1.0 with
//! `Connection: close`, so the body is whatever follows the headers until EOF; the answer is
//! capped at [`MAX_RESPONSE`] bytes.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::{Error, Result};

/// The largest address-server answer read.
pub const MAX_RESPONSE: usize = 64 * 1024;

/// A parsed `http://host[:port]/path` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// Host name or IP.
    pub host: String,
    /// Port (80 when absent).
    pub port: u16,
    /// Path with query, starting with `/`.
    pub path: String,
}

/// Parses an address-server URL.
///
/// # Errors
/// [`Error::Config`] for anything but `http://host[:port][/path]`.
pub fn parse_http_url(url: &str) -> Result<HttpUrl> {
    let bad = || {
        Error::Config(format!(
            "address server {url:?} is not an http://host[:port]/path URL"
        ))
    };
    let rest = url.strip_prefix("http://").ok_or_else(bad)?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad())?),
        None => (authority, 80),
    };
    if host.is_empty() {
        return Err(bad());
    }
    Ok(HttpUrl {
        host: host.to_owned(),
        port,
        path: path.to_owned(),
    })
}

/// Fetches the name-server list from `url`; `Ok(None)` when the server answers without one.
///
/// # Errors
/// Connection failures, timeouts, non-200 answers and oversized answers, naming the URL.
pub async fn fetch(url: &str, timeout: Duration) -> Result<Option<Vec<String>>> {
    let parsed = parse_http_url(url)?;
    let fut = async {
        let mut stream = TcpStream::connect((parsed.host.as_str(), parsed.port)).await?;
        let request = format!(
            "GET {} HTTP/1.0\r\nHost: {}\r\nConnection: close\r\nAccept: text/plain\r\n\r\n",
            parsed.path, parsed.host
        );
        stream.write_all(request.as_bytes()).await?;
        let mut buf = Vec::new();
        (&mut stream)
            .take(MAX_RESPONSE as u64 + 1)
            .read_to_end(&mut buf)
            .await?;
        Ok::<_, std::io::Error>(buf)
    };
    let buf = tokio::time::timeout(timeout, fut)
        .await
        .map_err(|_| Error::AddressServer {
            url: url.to_owned(),
            reason: format!("timed out after {timeout:?}"),
        })?
        .map_err(|e| Error::AddressServer {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
    if buf.len() > MAX_RESPONSE {
        return Err(Error::AddressServer {
            url: url.to_owned(),
            reason: "answer too large".into(),
        });
    }
    parse_response(&buf).map_err(|reason| Error::AddressServer {
        url: url.to_owned(),
        reason,
    })
}

fn parse_response(buf: &[u8]) -> std::result::Result<Option<Vec<String>>, String> {
    let text = String::from_utf8_lossy(buf);
    let (head, body) = text.split_once("\r\n\r\n").ok_or("malformed HTTP answer")?;
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("");
    if status != "200" {
        return Err(format!("HTTP status {status:?}"));
    }
    let list: Vec<String> = body
        .replace(['\r', '\n'], "")
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    Ok((!list.is_empty()).then_some(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls_with_and_without_port_and_path() {
        let u = parse_http_url("http://jmenv.tbsite.net:8080/rocketmq/nsaddr").expect("url");
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("jmenv.tbsite.net", 8080, "/rocketmq/nsaddr")
        );
        let u = parse_http_url("http://127.0.0.1").expect("url");
        assert_eq!((u.port, u.path.as_str()), (80, "/"));
        assert!(parse_http_url("https://x/").is_err());
        assert!(parse_http_url("http://:80/").is_err());
    }

    #[test]
    fn answer_body_is_split_on_semicolons_and_newlines_removed() {
        let got =
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\na:1;b:2\r\n").expect("ok");
        assert_eq!(got, Some(vec!["a:1".to_owned(), "b:2".to_owned()]));
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\n\r\n\n").expect("ok"),
            None
        );
        assert!(parse_response(b"HTTP/1.1 404 Not Found\r\n\r\n").is_err());
    }
}
