//! [`AclHook`]: signs every request with an access key and secret (Java `AclClientRPCHook`).
//!
//! The signature itself is `rmq_protocol::acl`'s; this module only plugs it into the remoting
//! client as an [`RpcHook`]. It does not check responses: brokers report ACL failures as
//! `SYSTEM_ERROR` (4.x) or `NO_PERMISSION` (5.x) with a remark.

use std::fmt;

use rmq_protocol::acl::{self, Credentials};
use rmq_protocol::Command;
use rmq_remoting::RpcHook;

/// An [`RpcHook`] that adds `AccessKey`, `SecurityToken` (when set) and `Signature` to every
/// request, signing all ext fields and the body.
///
/// Register it last: a hook that changes the request after it invalidates the signature.
/// `Debug` shows the access key only.
///
/// ```
/// use std::sync::Arc;
/// use rmq_client_core::acl::AclHook;
/// use rmq_client_core::config::Credentials;
/// use rmq_remoting::RemotingClient;
///
/// let credentials = Credentials::new("rocketmq2", "12345678");
/// let remoting = RemotingClient::builder()
///     .hook(Arc::new(AclHook::new(&credentials)))
///     .build();
/// # drop(remoting);
/// ```
#[derive(Clone)]
pub struct AclHook {
    key: Credentials,
}

impl AclHook {
    /// A hook signing with `credentials`.
    pub fn new(credentials: &Credentials) -> Self {
        AclHook {
            key: credentials.clone(),
        }
    }

    /// The access key requests are signed with.
    pub fn access_key(&self) -> &str {
        self.key.access_key()
    }
}

impl fmt::Debug for AclHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AclHook")
            .field("access_key", &self.key.access_key())
            .field("secret_key", &"<redacted>")
            .field(
                "security_token",
                &self.key.security_token().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl RpcHook for AclHook {
    fn before_request(&self, _addr: &str, request: &mut Command) {
        acl::sign(request, &self.key);
    }

    fn after_response(&self, _addr: &str, _request: &Command, _response: &mut Command) {}
}

#[cfg(test)]
mod tests {
    use rmq_protocol::header::GetRouteInfoRequestHeader;
    use rmq_protocol::RequestCode;

    use super::*;

    fn credentials(token: Option<&str>) -> Credentials {
        let credentials = Credentials::new("rocketmq2", "12345678");
        match token {
            Some(t) => credentials.with_security_token(t),
            None => credentials,
        }
    }

    /// Vector from `protocol/vectors/acl_signature.json` (PROTOCOL.md §14 example).
    #[test]
    fn hook_signs_the_documented_example() {
        let mut cmd =
            Command::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_ext("topic", "TopicTest");
        AclHook::new(&credentials(None)).before_request("127.0.0.1:9876", &mut cmd);
        assert_eq!(cmd.ext_fields.get("AccessKey"), Some("rocketmq2"));
        assert_eq!(
            cmd.ext_fields.get("Signature"),
            Some("GeeGoP9mRvDhoVp4PD5omX0prgE=")
        );
    }

    /// Vector `acl_get_routeinfo_no_body` from `acl_signature.json`.
    #[test]
    fn hook_signs_a_route_request_like_java() {
        let header = GetRouteInfoRequestHeader {
            topic: "TestTopic".into(),
            accept_standard_json_only: None,
        };
        let mut cmd = Command::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_header(&header);
        AclHook::new(&credentials(None)).before_request("127.0.0.1:9876", &mut cmd);
        assert_eq!(
            cmd.ext_fields.get("Signature"),
            Some("4BdPrKFCVqVwZdprdcFZ2xLMn80=")
        );
        assert_eq!(cmd.ext_fields.get("SecurityToken"), None);
    }

    /// Vector `acl_update_consumer_offset_oneway` from `acl_signature.json`.
    #[test]
    fn hook_signs_every_ext_field_in_key_order() {
        let mut cmd = Command::request(RequestCode::UPDATE_CONSUMER_OFFSET)
            .with_ext("topic", "TestTopic")
            .with_ext("queueId", "0")
            .with_ext("consumerGroup", "GID_test")
            .with_ext("commitOffset", "100")
            .with_ext("bname", "broker-a");
        AclHook::new(&credentials(None)).before_request("127.0.0.1:10911", &mut cmd);
        assert_eq!(
            cmd.ext_fields.get("Signature"),
            Some("XqkH5RHn7dKSKhsvdT8eK20Z3tQ=")
        );
    }

    #[test]
    fn hook_adds_the_security_token_and_signs_it() {
        let mut plain = Command::request(RequestCode::HEART_BEAT).with_body(&b"{}"[..]);
        let mut with_token = plain.clone();
        AclHook::new(&credentials(None)).before_request("a", &mut plain);
        AclHook::new(&credentials(Some("sts"))).before_request("a", &mut with_token);
        assert_eq!(with_token.ext_fields.get("SecurityToken"), Some("sts"));
        assert_ne!(
            plain.ext_fields.get("Signature"),
            with_token.ext_fields.get("Signature")
        );
    }

    #[test]
    fn debug_redacts_the_secret_and_the_token() {
        let hook = AclHook::new(
            &Credentials::new("visible-ak", "hidden-secret").with_security_token("hidden-token"),
        );
        let shown = format!("{hook:?}");
        assert!(shown.contains("visible-ak"));
        assert!(!shown.contains("hidden-secret"));
        assert!(!shown.contains("hidden-token"));
        assert_eq!(hook.access_key(), "visible-ak");
    }
}
