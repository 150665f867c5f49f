//! Request signatures (ACL 1.0, as 5.x brokers check it): once a broker has accounts, every
//! request must carry an `AccessKey` that names one and a `Signature` over its ext fields and
//! body (Java `AclUtils.combineRequestContent`), or it is refused with NO_PERMISSION (16) and
//! 5.x's remark. Admin requests also need an admin account (Java `Permission.ADMIN_CODE`).
//!
//! Accounts are made as on a 4.x broker, with UPDATE_AND_CREATE_ACL_CONFIG (50) and removed with
//! DELETE_ACL_CONFIG (51); the first account switches checking on, so it can be created
//! unsigned. Topic and group permissions and address whitelists are not modelled.

use std::collections::BTreeMap;

use rmq_protocol::acl::{self, ACCESS_KEY, SIGNATURE};
use rmq_protocol::{Command, RequestCode, ResponseCode, Version};

use super::Broker;
use crate::reply;

/// Java `MixAll.UNIQUE_MSG_QUERY_FLAG`.
const UNIQUE_KEY_QUERY: &str = "_UNIQUE_KEY_QUERY";
/// Most accounts one broker holds.
const MAX_ACCOUNTS: usize = 1024;

/// One account.
#[derive(Clone, PartialEq, Eq)]
struct Account {
    secret_key: String,
    admin: bool,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("secret_key", &"<redacted>")
            .field("admin", &self.admin)
            .finish()
    }
}

/// A broker's accounts by access key (a field of the broker; empty = no checking).
#[derive(Debug, Default)]
pub(crate) struct Accounts(BTreeMap<String, Account>);

impl Accounts {
    /// Creates or replaces an account; `false` when the broker holds too many.
    pub(crate) fn set(&mut self, access_key: &str, secret_key: &str, admin: bool) -> bool {
        if self.0.len() >= MAX_ACCOUNTS && !self.0.contains_key(access_key) {
            return false;
        }
        let account = Account {
            secret_key: secret_key.to_owned(),
            admin,
        };
        self.0.insert(access_key.to_owned(), account);
        true
    }
}

/// The refusal for a request that fails the check, `None` when it may proceed.
pub(crate) fn check(broker: &Broker, request: &Command) -> Option<Command> {
    let denied = |remark: String| Some(reply::error(ResponseCode::NO_PERMISSION, remark));
    broker.with_accounts(|accounts| {
        let accounts = &accounts.0;
        if accounts.is_empty() {
            return None;
        }
        let Some(access_key) = request.ext_fields.get(ACCESS_KEY) else {
            return denied("username cannot be null.".into());
        };
        let Some(account) = accounts.get(access_key) else {
            return denied(format!("User:{access_key} is not found."));
        };
        let content = signed_content(request);
        let expected = acl::calculate_signature(&content, &account.secret_key);
        if request.ext_fields.get(SIGNATURE) != Some(expected.as_str()) {
            return denied("check signature failed.".into());
        }
        if needs_admin(request.request_code()) && !account.admin {
            return denied(format!(
                "Need admin permission for request code={}, but accessKey={access_key} is not",
                request.code
            ));
        }
        None
    })
}

/// What the signature covers. 5.x leaves `_UNIQUE_KEY_QUERY` out for clients up to 4.9.3
/// (Java `DefaultAuthenticationContextBuilder`), which signed without it.
fn signed_content(request: &Command) -> Vec<u8> {
    if request.version > Version::V4_9_3.0 || request.ext_fields.get(UNIQUE_KEY_QUERY).is_none() {
        return acl::signed_content(&request.ext_fields, &request.body);
    }
    let mut fields = request.ext_fields.clone();
    fields.remove(UNIQUE_KEY_QUERY);
    acl::signed_content(&fields, &request.body)
}

/// Java `Permission.ADMIN_CODE`.
fn needs_admin(code: RequestCode) -> bool {
    matches!(
        code,
        RequestCode::UPDATE_AND_CREATE_TOPIC
            | RequestCode::UPDATE_BROKER_CONFIG
            | RequestCode::DELETE_TOPIC_IN_BROKER
            | RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
            | RequestCode::DELETE_SUBSCRIPTIONGROUP
    )
}

/// UPDATE_AND_CREATE_ACL_CONFIG: the `accessKey`, `secretKey` and `admin` ext fields of Java's
/// `PlainAccessConfig` header.
pub(crate) fn update_acl_config(broker: &Broker, request: &Command) -> Command {
    let field = |name: &str| request.ext_fields.get(name).filter(|v| !v.is_empty());
    let (Some(access_key), Some(secret_key)) = (field("accessKey"), field("secretKey")) else {
        return reply::error(
            ResponseCode::UPDATE_AND_CREATE_ACL_CONFIG_FAILED,
            "accessKey and secretKey are required",
        );
    };
    let admin = field("admin").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if broker.with_accounts(|accounts| accounts.set(access_key, secret_key, admin)) {
        reply::ok()
    } else {
        reply::error(
            ResponseCode::UPDATE_AND_CREATE_ACL_CONFIG_FAILED,
            format!("more than {MAX_ACCOUNTS} accounts"),
        )
    }
}

/// DELETE_ACL_CONFIG: removes the account named by the `accessKey` ext field.
pub(crate) fn delete_acl_config(broker: &Broker, request: &Command) -> Command {
    let Some(access_key) = request.ext_fields.get("accessKey") else {
        return reply::error(
            ResponseCode::DELETE_ACL_CONFIG_FAILED,
            "accessKey is required",
        );
    };
    broker.with_accounts(|accounts| accounts.0.remove(access_key));
    reply::ok()
}
