//! ACL request signing (Java `AclClientRPCHook`, ACL 1.0; 5.x auth 2.0 checks the same
//! signature) as pure functions over a [`Command`].
//!
//! When to sign (every request, after all its fields are in) is the remoting layer's business.
//!
//! ```text
//! content   = values of all ext fields except Signature, sorted by key (UTF-16 order),
//!             concatenated without separators, UTF-8 ++ raw body bytes
//! Signature = Base64(HmacSHA1(key = secret key UTF-8, content))
//! ```

use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::command::{Command, ExtFields};

/// Ext field carrying the access key.
pub const ACCESS_KEY: &str = "AccessKey";
/// Ext field carrying the security token, when there is one.
pub const SECURITY_TOKEN: &str = "SecurityToken";
/// Ext field carrying the signature.
pub const SIGNATURE: &str = "Signature";

/// An access key, its secret and an optional security token (STS).
///
/// `Debug` shows the access key only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key: String,
    secret_key: String,
    security_token: Option<String>,
}

impl Credentials {
    /// Credentials without a security token.
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Credentials {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            security_token: None,
        }
    }

    /// Adds a security token, sent as `SecurityToken` and signed like every other field.
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(token.into());
        self
    }

    /// The access key.
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The security token, if any.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Signs `cmd` in place, as `AclClientRPCHook.doBeforeRequest` does: sets `AccessKey` (and
/// `SecurityToken`), then `Signature` over every other field and the body.
///
/// Call it last: any field added afterwards invalidates the signature.
///
/// ```
/// use rmq_protocol::acl::{sign, Credentials};
/// use rmq_protocol::{Command, RequestCode};
/// let mut cmd = Command::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_ext("topic", "TopicTest");
/// sign(&mut cmd, &Credentials::new("rocketmq2", "12345678"));
/// assert_eq!(cmd.ext_fields.get("Signature"), Some("GeeGoP9mRvDhoVp4PD5omX0prgE="));
/// ```
pub fn sign(cmd: &mut Command, credentials: &Credentials) {
    cmd.ext_fields
        .insert(ACCESS_KEY, credentials.access_key.as_str());
    if let Some(token) = &credentials.security_token {
        cmd.ext_fields.insert(SECURITY_TOKEN, token.as_str());
    }
    let content = signed_content(&cmd.ext_fields, &cmd.body);
    let signature = calculate_signature(&content, &credentials.secret_key);
    cmd.ext_fields.insert(SIGNATURE, signature);
}

/// The fields that are signed, in signing order: all but `Signature`, sorted by key in
/// UTF-16 code-unit order (Java `TreeMap`), one value per key (the last, as Java's map keeps).
pub fn signed_fields(ext: &ExtFields) -> Vec<(&str, &str)> {
    let mut fields: Vec<(&str, &str)> = ext.iter().filter(|(k, _)| *k != SIGNATURE).collect();
    // Stable: among duplicates of one key the wire order survives, and the last one is kept.
    fields.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    let mut unique: Vec<(&str, &str)> = Vec::with_capacity(fields.len());
    for field in fields {
        match unique.last_mut() {
            Some(last) if last.0 == field.0 => *last = field,
            _ => unique.push(field),
        }
    }
    unique
}

/// The bytes that are signed: the values of [`signed_fields`] concatenated, then `body`.
pub fn signed_content(ext: &ExtFields, body: &[u8]) -> Vec<u8> {
    let fields = signed_fields(ext);
    let len = fields.iter().map(|(_, v)| v.len()).sum::<usize>() + body.len();
    let mut content = Vec::with_capacity(len);
    for (_, value) in fields {
        content.extend_from_slice(value.as_bytes());
    }
    content.extend_from_slice(body);
    content
}

/// Java `AclUtils.calSignature`: Base64 (standard alphabet, padded) of HMAC-SHA1 of `content`
/// keyed with the UTF-8 bytes of `secret_key`.
pub fn calculate_signature(content: &[u8], secret_key: &str) -> String {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret_key.as_bytes())
        .expect("invariant: HMAC accepts keys of any length");
    mac.update(content);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_twice_replaces_the_signature_instead_of_signing_it() {
        let creds = Credentials::new("ak", "sk").with_security_token("tok");
        let mut once = Command::request(crate::RequestCode::HEART_BEAT).with_body(&b"{}"[..]);
        sign(&mut once, &creds);
        let mut twice = once.clone();
        sign(&mut twice, &creds);
        assert_eq!(once, twice);
        assert_eq!(once.ext_fields.get(SECURITY_TOKEN), Some("tok"));
    }

    #[test]
    fn debug_redacts_the_secret_and_the_token() {
        let creds = Credentials::new("ak", "very-secret").with_security_token("tok-secret");
        let shown = format!("{creds:?}");
        assert!(shown.contains("ak") && !shown.contains("very-secret"));
        assert!(!shown.contains("tok-secret"));
    }
}
