//! ACL 2.0 users and ACLs (AUTH_* 3001-3010), as Java 5.3.3 serves them:
//! `AdminBrokerProcessor#createUser..listAcl` over `AuthenticationMetadataManagerImpl` and
//! `AuthorizationMetadataManagerImpl` with the local provider. A broker keeps its own users and
//! ACLs in memory; they only answer these requests (requests are not checked against them).
//!
//! Errors are Java's: a blank username is INVALID_PARAMETER; what the metadata managers refuse
//! (an existing or missing user, a missing subject or ACL, an invalid policy) is NO_PERMISSION
//! with the manager's message.

use std::collections::BTreeMap;

use rmq_protocol::body::{AclInfo, JsonBody, PolicyEntryInfo, PolicyInfo, UserInfo};
use rmq_protocol::header::{
    CreateAclRequestHeader, CreateUserRequestHeader, DeleteAclRequestHeader,
    DeleteUserRequestHeader, GetAclRequestHeader, GetUserRequestHeader, ListAclsRequestHeader,
    ListUsersRequestHeader, UpdateAclRequestHeader, UpdateUserRequestHeader,
};
use rmq_protocol::{Command, RequestCode, ResponseCode};

use super::Broker;
use crate::reply;

/// Most users, and most subjects with an ACL, a broker keeps.
const MAX_ENTRIES: usize = 10_000;
/// Most entries per policy and policies per subject.
const MAX_PER_SUBJECT: usize = 1_024;
/// The subject prefix of users (Java `SubjectType.USER`), the only subject type.
const USER_PREFIX: &str = "User:";

/// A broker's users (by name) and ACLs (by subject key, `User:name`).
#[derive(Debug, Default)]
pub(crate) struct AuthStore {
    users: BTreeMap<String, UserInfo>,
    acls: BTreeMap<String, AclInfo>,
}

/// Whether [`serve`] handles `code`.
pub(crate) fn serves(code: RequestCode) -> bool {
    (RequestCode::AUTH_CREATE_USER.0..=RequestCode::AUTH_LIST_ACL.0).contains(&code.0)
}

/// Serves one of the codes [`serves`] accepts.
pub(crate) fn serve(broker: &Broker, request: &Command) -> Command {
    let result = broker.with_admin5(|state| {
        let auth = &mut state.auth;
        match request.request_code() {
            RequestCode::AUTH_CREATE_USER => create_user(auth, request),
            RequestCode::AUTH_UPDATE_USER => update_user(auth, request),
            RequestCode::AUTH_DELETE_USER => delete_user(auth, request),
            RequestCode::AUTH_GET_USER => get_user(auth, request),
            RequestCode::AUTH_LIST_USER => list_users(auth, request),
            RequestCode::AUTH_CREATE_ACL => reply::header::<CreateAclRequestHeader>(request)
                .and_then(|h| put_acl(auth, &h.subject, request)),
            RequestCode::AUTH_UPDATE_ACL => reply::header::<UpdateAclRequestHeader>(request)
                .and_then(|h| put_acl(auth, &h.subject, request)),
            RequestCode::AUTH_DELETE_ACL => delete_acl(auth, request),
            RequestCode::AUTH_GET_ACL => get_acl(auth, request),
            _ => list_acls(auth, request),
        }
    });
    result.unwrap_or_else(|answer| answer)
}

/// What Java's `handleAuthException` answers for an authentication or authorization error.
fn refused(message: impl Into<String>) -> Command {
    reply::error(ResponseCode::NO_PERMISSION, message)
}

fn blank_username() -> Command {
    reply::error(ResponseCode::INVALID_PARAMETER, "The username is blank")
}

/// A JSON array answer, or an empty body for an empty array (Java leaves the body unset).
fn json_array(items: serde_json::Result<serde_json::Value>) -> Command {
    match items {
        Ok(v) if v.as_array().is_some_and(Vec::is_empty) => reply::ok(),
        Ok(v) => reply::ok().with_body(v.to_string().into_bytes()),
        Err(e) => reply::error(ResponseCode::SYSTEM_ERROR, e.to_string()),
    }
}

/// The user of a request body, named by its header (Java `UserConverter.convertUser`: type
/// and status names are matched ignoring case; unknown ones are none).
fn user_of(request: &Command, username: &str) -> Result<UserInfo, Command> {
    let mut user = if request.body.is_empty() {
        UserInfo::default()
    } else {
        UserInfo::from_json(&request.body)
            .map_err(|e| reply::error(ResponseCode::SYSTEM_ERROR, format!("bad body: {e}")))?
    };
    user.username = Some(username.to_owned());
    user.user_type = user
        .user_type
        .and_then(|t| canonical(&t, &["Super", "Normal"]));
    user.user_status = user
        .user_status
        .and_then(|s| canonical(&s, &["enable", "disable"]));
    Ok(user)
}

fn canonical(name: &str, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find(|n| n.eq_ignore_ascii_case(name.trim()))
        .map(|n| (*n).to_owned())
}

fn create_user(auth: &mut AuthStore, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<CreateUserRequestHeader>(request)?;
    if h.username.is_empty() {
        return Err(blank_username());
    }
    let mut user = user_of(request, &h.username)?;
    if h.username.trim().is_empty() {
        return Err(refused("username can not be blank"));
    }
    if user.password.as_deref().is_none_or(|p| p.trim().is_empty()) {
        return Err(refused("password can not be blank"));
    }
    user.user_type.get_or_insert_with(|| "Normal".to_owned());
    user.user_status.get_or_insert_with(|| "enable".to_owned());
    if auth.users.contains_key(&h.username) {
        return Err(refused("The user is existed"));
    }
    if auth.users.len() >= MAX_ENTRIES {
        return Err(reply::error(ResponseCode::SYSTEM_ERROR, "too many users"));
    }
    auth.users.insert(h.username, user);
    Ok(reply::ok())
}

fn update_user(auth: &mut AuthStore, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<UpdateUserRequestHeader>(request)?;
    if h.username.is_empty() {
        return Err(blank_username());
    }
    let user = user_of(request, &h.username)?;
    let Some(old) = auth.users.get_mut(&h.username) else {
        return Err(refused("The user is not exist"));
    };
    if let Some(password) = user.password.filter(|p| !p.trim().is_empty()) {
        old.password = Some(password);
    }
    if user.user_type.is_some() {
        old.user_type = user.user_type;
    }
    if user.user_status.is_some() {
        old.user_status = user.user_status;
    }
    Ok(reply::ok())
}

/// Deletes the user and its ACL; a missing user is no error.
fn delete_user(auth: &mut AuthStore, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<DeleteUserRequestHeader>(request)?;
    if h.username.trim().is_empty() {
        return Err(refused("username can not be blank"));
    }
    if auth.users.remove(&h.username).is_some() {
        auth.acls.remove(&format!("{USER_PREFIX}{}", h.username));
    }
    Ok(reply::ok())
}

/// The user, or an empty body when there is none.
fn get_user(auth: &mut AuthStore, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<GetUserRequestHeader>(request)?;
    if h.username.trim().is_empty() {
        return Err(blank_username());
    }
    Ok(match auth.users.get(&h.username) {
        Some(user) => reply::json(user),
        None => reply::ok(),
    })
}

/// Users whose name contains the filter; an empty body when none.
fn list_users(auth: &mut AuthStore, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<ListUsersRequestHeader>(request)?;
    let filter = h.filter.filter(|f| !f.trim().is_empty());
    let users: Vec<&UserInfo> = auth
        .users
        .iter()
        .filter(|(name, _)| filter.as_ref().is_none_or(|f| name.contains(f.as_str())))
        .map(|(_, user)| user)
        .collect();
    Ok(json_array(serde_json::to_value(&users)))
}

/// The user name of a subject key, or Java's error for a subject without a type.
fn subject_user(subject: &str) -> Result<&str, Command> {
    subject
        .strip_prefix(USER_PREFIX)
        .ok_or_else(|| refused("The subject type is null."))
}

/// AUTH_CREATE_ACL and AUTH_UPDATE_ACL, which Java implements alike: the policies are merged
/// into the subject's ACL (same policy type: entries of the same resource replaced, others
/// added), or become it.
fn put_acl(
    auth: &mut AuthStore,
    header_subject: &str,
    request: &Command,
) -> Result<Command, Command> {
    let acl = if request.body.is_empty() {
        AclInfo::default()
    } else {
        AclInfo::from_json(&request.body)
            .map_err(|e| reply::error(ResponseCode::SYSTEM_ERROR, format!("bad body: {e}")))?
    };
    if acl.policies.is_empty() {
        // Java throws this before the try block; the remoting layer answers SYSTEM_ERROR.
        return Err(reply::error(
            ResponseCode::SYSTEM_ERROR,
            "The body of acl is null",
        ));
    }
    let subject = acl
        .subject
        .clone()
        .unwrap_or_else(|| header_subject.to_owned());
    let user = subject_user(&subject)?;
    let policies = acl
        .policies
        .into_iter()
        .map(normalize_policy)
        .collect::<Result<Vec<_>, _>>()?;
    if !auth.users.contains_key(user) {
        return Err(refused(format!("The subject of {subject} is not exist.")));
    }
    if auth.acls.len() >= MAX_ENTRIES && !auth.acls.contains_key(&subject) {
        return Err(reply::error(ResponseCode::SYSTEM_ERROR, "too many ACLs"));
    }
    let old = auth.acls.entry(subject.clone()).or_insert_with(|| AclInfo {
        subject: Some(subject),
        policies: Vec::new(),
    });
    for policy in policies {
        merge_policy(old, policy)?;
    }
    Ok(reply::ok())
}

/// Java's `validate(Policy)` and `initAcl`: entries are required, each with a typed resource,
/// actions other than `Any`, valid source IPs and a decision; the type defaults to `Custom`.
fn normalize_policy(policy: PolicyInfo) -> Result<PolicyInfo, Command> {
    if policy.entries.is_empty() {
        return Err(refused("The policy entries is empty."));
    }
    if policy.entries.len() > MAX_PER_SUBJECT {
        return Err(refused("too many policy entries"));
    }
    let policy_type = match policy.policy_type.as_deref() {
        None => "Custom".to_owned(),
        Some(t) => canonical(t, &["Custom", "Default"])
            .ok_or_else(|| refused(format!("The policy type {t} is illegal.")))?,
    };
    let entries = policy
        .entries
        .into_iter()
        .map(normalize_entry)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PolicyInfo {
        policy_type: Some(policy_type),
        entries,
    })
}

fn normalize_entry(mut entry: PolicyEntryInfo) -> Result<PolicyEntryInfo, Command> {
    let resource = entry.resource.as_deref().unwrap_or("").trim();
    if resource.is_empty() {
        return Err(refused("The resource is null."));
    }
    if resource != "*" {
        let (kind, pattern) = resource.split_once(':').unwrap_or((resource, ""));
        canonical(kind, &["Any", "Cluster", "Namespace", "Topic", "Group"])
            .ok_or_else(|| refused("The resource type is null."))?;
        if pattern.is_empty() {
            return Err(refused("The resource pattern is null."));
        }
    }
    if entry.actions.is_empty() {
        return Err(refused("The actions is empty."));
    }
    let actions = [
        "All", "Pub", "Sub", "Create", "Update", "Delete", "Get", "List",
    ];
    let mut canonical_actions = Vec::new();
    for action in &entry.actions {
        if action.trim().eq_ignore_ascii_case("Any") {
            return Err(refused("The actions can not be Any."));
        }
        if let Some(a) = canonical(action, &actions) {
            canonical_actions.push(a);
        }
    }
    entry.actions = canonical_actions;
    for ip in &entry.source_ips {
        if ip.trim().is_empty() {
            return Err(refused("The source ip is empty."));
        }
        if !is_ip_or_cidr(ip.trim()) {
            return Err(refused("The source ip is invalid."));
        }
    }
    entry.decision = entry
        .decision
        .as_deref()
        .and_then(|d| canonical(d, &["Allow", "Deny"]));
    if entry.decision.is_none() {
        return Err(refused("The decision is null or illegal."));
    }
    Ok(entry)
}

/// An IPv4 or IPv6 address, optionally with a `/prefix` CIDR length.
fn is_ip_or_cidr(text: &str) -> bool {
    let (addr, prefix) = match text.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix)),
        None => (text, None),
    };
    let Ok(ip) = addr.parse::<std::net::IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    prefix.is_none_or(|p| p.parse::<u8>().is_ok_and(|p| p <= max))
}

/// Java `Acl#updatePolicy`: the policy of the same type gets the new entries (an entry for
/// the same resource is replaced).
fn merge_policy(acl: &mut AclInfo, policy: PolicyInfo) -> Result<(), Command> {
    let Some(old) = acl
        .policies
        .iter_mut()
        .find(|p| p.policy_type == policy.policy_type)
    else {
        acl.policies.push(policy);
        return Ok(());
    };
    for entry in policy.entries {
        if let Some(same) = old
            .entries
            .iter_mut()
            .find(|e| e.resource == entry.resource)
        {
            *same = entry;
        } else if old.entries.len() >= MAX_PER_SUBJECT {
            return Err(refused("too many policy entries"));
        } else {
            old.entries.push(entry);
        }
    }
    Ok(())
}

/// Without a resource, the whole ACL goes; with one, that entry of the policy type (default
/// `Custom`), and the ACL when no entry is left.
fn delete_acl(auth: &mut AuthStore, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<DeleteAclRequestHeader>(request)?;
    let user = subject_user(&h.subject)?;
    if !auth.users.contains_key(user) {
        return Err(refused("The subject is not exist."));
    }
    let Some(acl) = auth.acls.get_mut(&h.subject) else {
        return Err(refused("The acl is not exist."));
    };
    let Some(resource) = h.resource.filter(|r| !r.trim().is_empty()) else {
        auth.acls.remove(&h.subject);
        return Ok(reply::ok());
    };
    let policy_type = h
        .policy_type
        .and_then(|t| canonical(&t, &["Custom", "Default"]))
        .unwrap_or_else(|| "Custom".to_owned());
    for policy in &mut acl.policies {
        if policy.policy_type.as_deref() == Some(policy_type.as_str()) {
            policy
                .entries
                .retain(|e| e.resource.as_deref() != Some(resource.as_str()));
        }
    }
    acl.policies.retain(|p| !p.entries.is_empty());
    if acl.policies.is_empty() {
        auth.acls.remove(&h.subject);
    }
    Ok(reply::ok())
}

/// The subject's ACL, or an empty body when it has none.
fn get_acl(auth: &mut AuthStore, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<GetAclRequestHeader>(request)?;
    let user = subject_user(&h.subject)?;
    if !auth.users.contains_key(user) {
        return Err(refused("The subject is not exist."));
    }
    Ok(match auth.acls.get(&h.subject) {
        Some(acl) => reply::json(acl),
        None => reply::ok(),
    })
}

/// ACLs whose subject contains the subject filter; with a resource filter (not in the
/// subject), only the entries whose resource contains it, and only ACLs left with one.
fn list_acls(auth: &mut AuthStore, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<ListAclsRequestHeader>(request)?;
    let subject_filter = h.subject_filter.filter(|f| !f.trim().is_empty());
    let resource_filter = h.resource_filter.filter(|f| !f.trim().is_empty());
    let mut out = Vec::new();
    for (subject, acl) in &auth.acls {
        if subject_filter
            .as_ref()
            .is_some_and(|f| !subject.contains(f.as_str()))
        {
            continue;
        }
        let mut acl = acl.clone();
        if let Some(f) = resource_filter
            .as_ref()
            .filter(|f| !subject.contains(f.as_str()))
        {
            for policy in &mut acl.policies {
                policy.entries.retain(|e| {
                    e.resource
                        .as_deref()
                        .is_some_and(|r| r.contains(f.as_str()))
                });
            }
            acl.policies.retain(|p| !p.entries.is_empty());
        }
        if !acl.policies.is_empty() {
            out.push(acl);
        }
    }
    Ok(json_array(serde_json::to_value(&out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_and_cidr_forms_are_checked() {
        assert!(is_ip_or_cidr("10.0.0.1"));
        assert!(is_ip_or_cidr("10.0.0.0/8"));
        assert!(is_ip_or_cidr("::1/128"));
        assert!(!is_ip_or_cidr("10.0.0.0/33"));
        assert!(!is_ip_or_cidr("host"));
    }

    #[test]
    fn merging_replaces_the_entry_of_the_same_resource() {
        let entry = |decision: &str, resource: &str| PolicyEntryInfo {
            resource: Some(resource.into()),
            actions: vec!["Pub".into()],
            source_ips: Vec::new(),
            decision: Some(decision.into()),
        };
        let policy = |entries| PolicyInfo {
            policy_type: Some("Custom".into()),
            entries,
        };
        let mut acl = AclInfo {
            subject: Some("User:u".into()),
            policies: vec![policy(vec![entry("Allow", "Topic:a")])],
        };
        merge_policy(
            &mut acl,
            policy(vec![entry("Deny", "Topic:a"), entry("Allow", "Topic:b")]),
        )
        .expect("merges");
        let entries = &acl.policies[0].entries;
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].decision.as_deref(), Some("Deny"));
        assert_eq!(entries[1].resource.as_deref(), Some("Topic:b"));
    }
}
