//! ACL 2.0 through `Admin` against a scripted broker: the request each call sends (code, ext
//! fields, JSON body), the decoding of Java-shaped answers, and the error a 4.x broker gives.
//! Scripted because the CI broker's ACL 2.0 support is not established (see CI-BROKER.md).

mod support;

use rmq_client_admin::{ErrorKind, Target};
use rmq_protocol::body::{AclInfo, UserInfo};
use rmq_protocol::{RequestCode, ResponseCode};
use support::*;

const USERS: &str = r#"[{"password":"p1","userStatus":"enable","userType":"Super","username":"alice"},
    {"username":"bob","userType":"Normal","futureField":1}]"#;

const ACLS: &str = r#"[{"policies":[{"entries":[{"actions":["Pub","Sub"],"decision":"Allow",
    "resource":"Topic:orders","sourceIps":["10.0.0.0/8"]}],"policyType":"CUSTOM"}],"subject":"User:alice"}]"#;

/// createUser sends the name as a header and the whole user as the body.
#[tokio::test]
async fn create_user_sends_name_header_and_user_body() {
    let f = start("V5_3_3", |_| None).await;
    let user = UserInfo {
        username: Some("alice".into()),
        password: Some("secret".into()),
        user_type: Some("Super".into()),
        user_status: None,
    };
    let done = f
        .admin
        .create_user(&Target::Cluster(CLUSTER.into()), &user)
        .await
        .expect("created");
    assert_eq!(done, [f.addr()]);
    let req = f.only(RequestCode::AUTH_CREATE_USER);
    assert_eq!(req.ext_fields.get("username"), Some("alice"));
    assert_eq!(
        f.body_json(RequestCode::AUTH_CREATE_USER),
        serde_json::json!({"username":"alice","password":"secret","userType":"Super"})
    );
    f.stop().await;
}

/// updateUser and deleteUser name the user in the header.
#[tokio::test]
async fn update_and_delete_user_name_the_user() {
    let f = start("V5_3_3", |_| None).await;
    let target = Target::Broker(f.addr());
    let user = UserInfo {
        username: Some("bob".into()),
        user_status: Some("disable".into()),
        ..UserInfo::default()
    };
    f.admin.update_user(&target, &user).await.expect("updated");
    f.admin.delete_user(&target, "bob").await.expect("deleted");
    assert_eq!(
        f.only(RequestCode::AUTH_UPDATE_USER)
            .ext_fields
            .get("username"),
        Some("bob")
    );
    assert_eq!(
        f.body_json(RequestCode::AUTH_UPDATE_USER),
        serde_json::json!({"username":"bob","userStatus":"disable"})
    );
    assert_eq!(
        f.only(RequestCode::AUTH_DELETE_USER)
            .ext_fields
            .get("username"),
        Some("bob")
    );
    f.stop().await;
}

/// listUser passes the filter and reads the Java list; getUser reads one user or none.
#[tokio::test]
async fn list_and_get_users_decode_java_answers() {
    let f = start("V5_3_3", |req| match RequestCode(req.code) {
        RequestCode::AUTH_LIST_USER => Some(ok_body(req, USERS)),
        RequestCode::AUTH_GET_USER if req.ext_fields.get("username") == Some("alice") => {
            Some(ok_body(req, r#"{"username":"alice","userType":"Super"}"#))
        }
        _ => None,
    })
    .await;
    let target = Target::Broker(f.addr());
    let users = f
        .admin
        .list_users(&target, Some("a"))
        .await
        .expect("listed");
    let users = &users[&f.addr()];
    assert_eq!(users.len(), 2);
    assert_eq!(users[0].user_status.as_deref(), Some("enable"));
    assert_eq!(users[1].user_type.as_deref(), Some("Normal"));
    assert_eq!(
        f.only(RequestCode::AUTH_LIST_USER).ext_fields.get("filter"),
        Some("a")
    );
    let alice = f.admin.user(&target, "alice").await.expect("got");
    assert_eq!(
        alice[&f.addr()]
            .as_ref()
            .and_then(|u| u.user_type.as_deref()),
        Some("Super")
    );
    let nobody = f.admin.user(&target, "nobody").await.expect("got");
    assert!(nobody[&f.addr()].is_none());
    f.stop().await;
}

/// createAcl and updateAcl send the subject header and Java's AclInfo body; deleteAcl the
/// subject and resource.
#[tokio::test]
async fn acl_writes_send_subject_and_policies() {
    let f = start("V5_3_3", |_| None).await;
    let target = Target::Broker(f.addr());
    let acl = AclInfo::of(
        "User:alice",
        &["Topic:orders".into()],
        &["Pub".into(), "Sub".into()],
        &["10.0.0.0/8".into()],
        "Allow",
    );
    f.admin.create_acl(&target, &acl).await.expect("created");
    f.admin.update_acl(&target, &acl).await.expect("updated");
    f.admin
        .delete_acl(&target, "User:alice", Some("Topic:orders"))
        .await
        .expect("deleted");
    let expected = serde_json::json!({"subject":"User:alice","policies":[{"entries":[
        {"resource":"Topic:orders","actions":["Pub","Sub"],"sourceIps":["10.0.0.0/8"],"decision":"Allow"}]}]});
    assert_eq!(f.body_json(RequestCode::AUTH_CREATE_ACL), expected);
    assert_eq!(f.body_json(RequestCode::AUTH_UPDATE_ACL), expected);
    assert_eq!(
        f.only(RequestCode::AUTH_CREATE_ACL)
            .ext_fields
            .get("subject"),
        Some("User:alice")
    );
    let del = f.only(RequestCode::AUTH_DELETE_ACL);
    assert_eq!(del.ext_fields.get("subject"), Some("User:alice"));
    assert_eq!(del.ext_fields.get("resource"), Some("Topic:orders"));
    assert!(del.ext_fields.get("policyType").is_none());
    f.stop().await;
}

/// listAcl sends both filters and reads the Java list; getAcl reads one subject.
#[tokio::test]
async fn list_and_get_acls_decode_java_answers() {
    let f = start("V5_3_3", |req| match RequestCode(req.code) {
        RequestCode::AUTH_LIST_ACL => Some(ok_body(req, ACLS)),
        RequestCode::AUTH_GET_ACL => Some(ok_body(
            req,
            ACLS.trim().trim_start_matches('[').trim_end_matches(']'),
        )),
        _ => None,
    })
    .await;
    let target = Target::Broker(f.addr());
    let acls = f
        .admin
        .list_acls(&target, Some("User:"), Some("Topic:"))
        .await
        .expect("listed");
    let entry = &acls[&f.addr()][0].policies[0].entries[0];
    assert_eq!(entry.source_ips, ["10.0.0.0/8"]);
    let req = f.only(RequestCode::AUTH_LIST_ACL);
    assert_eq!(req.ext_fields.get("subjectFilter"), Some("User:"));
    assert_eq!(req.ext_fields.get("resourceFilter"), Some("Topic:"));
    let one = f.admin.acl(&target, "User:alice").await.expect("got");
    let one = one[&f.addr()].as_ref().expect("has policies");
    assert_eq!(one.policies[0].policy_type.as_deref(), Some("CUSTOM"));
    f.stop().await;
}

/// A 4.x broker answers REQUEST_CODE_NOT_SUPPORTED; the error names the broker, its version
/// (from its runtime info) and the operation.
#[tokio::test]
async fn a_4x_broker_refuses_acl_2_with_a_clear_error() {
    let f = start("V4_9_7", |req| {
        (req.code >= RequestCode::AUTH_CREATE_USER.0).then(|| not_supported(req))
    })
    .await;
    let err = f
        .admin
        .list_users(&Target::Broker(f.addr()), None)
        .await
        .expect_err("4.x has no ACL 2.0");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert_eq!(
        err.response_code(),
        Some(ResponseCode::REQUEST_CODE_NOT_SUPPORTED)
    );
    assert_eq!(
        err.to_string(),
        format!(
            "this broker ({}, version V4_9_7) does not support listUser (AUTH_LIST_USER)",
            f.addr()
        )
    );
    f.stop().await;
}

/// Other refusals keep the broker's code and say what was attempted.
#[tokio::test]
async fn other_refusals_keep_the_code_and_name_the_user() {
    let f = start("V5_3_3", |req| {
        (req.code == RequestCode::AUTH_DELETE_USER.0).then(|| {
            rmq_remoting::testing::Reply::Respond(rmq_protocol::Command::response_to(
                req,
                ResponseCode::SYSTEM_ERROR,
                Some("user not found".into()),
            ))
        })
    })
    .await;
    let err = f
        .admin
        .delete_user(&Target::Broker(f.addr()), "ghost")
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Broker(ResponseCode::SYSTEM_ERROR));
    assert!(err.to_string().contains("delete user ghost"), "{err}");
    f.stop().await;
}

/// A broker that reports only its version ordinal is named by the ordinal's version name.
#[tokio::test]
async fn the_version_ordinal_is_named_when_the_description_is_missing() {
    let f = start("399", |req| {
        (req.code == RequestCode::AUTH_GET_ACL.0).then(|| not_supported(req))
    })
    .await;
    let err = f
        .admin
        .acl(&Target::Broker(f.addr()), "User:x")
        .await
        .expect_err("old broker");
    assert!(
        err.to_string()
            .contains("version V4_9_3) does not support getAcl (AUTH_GET_ACL)"),
        "{err}"
    );
    f.stop().await;
}
