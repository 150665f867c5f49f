//! ACL 2.0 bodies (Java 5.3.3 `UserInfo`, `AclInfo`): users and their access policies, as the
//! AUTH_* requests (3001-3010) send and return them.
//!
//! Every field is optional, as Java leaves unset fields out; unknown fields are ignored.

use serde::{Deserialize, Serialize};

/// A user (Java `UserInfo`): AUTH_CREATE_USER / AUTH_UPDATE_USER body, AUTH_GET_USER answer and
/// the elements of AUTH_LIST_USER's array.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserInfo {
    /// User name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password (brokers answer it for `getUser`; never logged by `Debug`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// `Super` or `Normal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    /// `enable` or `disable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_status: Option<String>,
}

impl std::fmt::Debug for UserInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserInfo")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("user_type", &self.user_type)
            .field("user_status", &self.user_status)
            .finish()
    }
}

/// A subject's policies (Java `AclInfo`): AUTH_CREATE_ACL / AUTH_UPDATE_ACL body, AUTH_GET_ACL
/// answer and the elements of AUTH_LIST_ACL's array.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AclInfo {
    /// Subject, e.g. `User:alice`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Its policies.
    #[serde(deserialize_with = "super::admin5::null_as_default")]
    pub policies: Vec<PolicyInfo>,
}

/// One policy of a subject (Java `AclInfo.PolicyInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PolicyInfo {
    /// `CUSTOM` or `DEFAULT`; absent means `CUSTOM` to the broker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_type: Option<String>,
    /// The entries.
    #[serde(deserialize_with = "super::admin5::null_as_default")]
    pub entries: Vec<PolicyEntryInfo>,
}

/// One resource's rule (Java `AclInfo.PolicyEntryInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PolicyEntryInfo {
    /// Resource, e.g. `Topic:orders`, `Group:*`, `Cluster:c`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Actions: `Pub`, `Sub`, `Create`, `Update`, `Delete`, `Get`, `List`, `All`.
    #[serde(deserialize_with = "super::admin5::null_as_default")]
    pub actions: Vec<String>,
    /// Source IPs or CIDRs the rule applies to (empty: any).
    #[serde(deserialize_with = "super::admin5::null_as_default")]
    pub source_ips: Vec<String>,
    /// `Allow` or `Deny`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
}

impl AclInfo {
    /// One custom policy granting or denying `actions` on each of `resources` from
    /// `source_ips` (Java `AclInfo.of`, what mqadmin's `createAcl` sends).
    pub fn of(
        subject: impl Into<String>,
        resources: &[String],
        actions: &[String],
        source_ips: &[String],
        decision: impl Into<String>,
    ) -> AclInfo {
        let decision = decision.into();
        AclInfo {
            subject: Some(subject.into()),
            policies: vec![PolicyInfo {
                policy_type: None,
                entries: resources
                    .iter()
                    .map(|resource| PolicyEntryInfo {
                        resource: Some(resource.clone()),
                        actions: actions.to_vec(),
                        source_ips: source_ips.to_vec(),
                        decision: Some(decision.clone()),
                    })
                    .collect(),
            }],
        }
    }
}

impl super::JsonBody for UserInfo {}
impl super::JsonBody for AclInfo {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::JsonBody;

    #[test]
    fn acl_reads_java_shape_and_ignores_unknown_fields() {
        let body = br#"{"subject":"User:alice","policies":[{"policyType":"CUSTOM","entries":[
            {"resource":"Topic:orders","actions":["Pub","Sub"],"sourceIps":["10.0.0.0/8"],
             "decision":"Allow","extra":1}]}],"future":true}"#;
        let acl = AclInfo::from_json(body).expect("decodes");
        assert_eq!(acl.subject.as_deref(), Some("User:alice"));
        let entry = &acl.policies[0].entries[0];
        assert_eq!(entry.actions, ["Pub", "Sub"]);
        assert_eq!(entry.decision.as_deref(), Some("Allow"));
    }

    #[test]
    fn null_lists_read_as_empty() {
        let body = br#"{"subject":"User:a","policies":[{"policyType":"CUSTOM","entries":[
            {"resource":"Topic:t","actions":["Pub"],"sourceIps":null,"decision":"Allow"}]},
            {"policyType":"DEFAULT","entries":null}]}"#;
        let acl = AclInfo::from_json(body).expect("decodes");
        assert!(acl.policies[0].entries[0].source_ips.is_empty());
        assert!(acl.policies[1].entries.is_empty());
    }

    #[test]
    fn acl_of_builds_one_entry_per_resource() {
        let acl = AclInfo::of(
            "User:bob",
            &["Topic:a".into(), "Group:g".into()],
            &["Sub".into()],
            &[],
            "Deny",
        );
        let json = String::from_utf8(acl.to_json().expect("encodes")).expect("utf8");
        assert!(json.contains(r#""resource":"Group:g""#), "{json}");
        assert!(!json.contains("policyType"), "{json}");
        assert_eq!(
            AclInfo::from_json(json.as_bytes()).expect("round trip"),
            acl
        );
    }

    #[test]
    fn user_debug_redacts_the_password() {
        let user = UserInfo {
            username: Some("u".into()),
            password: Some("secret".into()),
            ..UserInfo::default()
        };
        assert!(!format!("{user:?}").contains("secret"));
        let list: Vec<UserInfo> =
            crate::body::from_fastjson(br#"[{"username":"u","userType":"Super"}]"#)
                .expect("list decodes");
        assert_eq!(list[0].user_type.as_deref(), Some("Super"));
    }
}
