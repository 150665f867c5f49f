//! ACL signature checks over TCP: accounts made with UPDATE_AND_CREATE_ACL_CONFIG, then
//! unsigned, mis-signed and unknown-key requests refused with NO_PERMISSION.

mod helpers;

use helpers::call;
use rmq_protocol::acl::sign;
use rmq_protocol::header::{GetMaxOffsetRequestHeader, QueryMessageRequestHeader};
use rmq_protocol::{Command, Credentials, RequestCode, ResponseCode};
use rmq_remoting::{Connection, RemotingConfig};
use rmq_testkit::MockCluster;

fn max_offset_request() -> Command {
    Command::request(RequestCode::GET_MAX_OFFSET).with_header(&GetMaxOffsetRequestHeader {
        topic: "T".into(),
        queue_id: 0,
        ..GetMaxOffsetRequestHeader::default()
    })
}

fn signed(mut cmd: Command, access_key: &str, secret_key: &str) -> Command {
    sign(&mut cmd, &Credentials::new(access_key, secret_key));
    cmd
}

fn create_account(access_key: &str, secret_key: &str, admin: bool) -> Command {
    Command::request(RequestCode::UPDATE_AND_CREATE_ACL_CONFIG)
        .with_ext("accessKey", access_key)
        .with_ext("secretKey", secret_key)
        .with_ext("admin", admin.to_string())
}

async fn cluster_with_accounts() -> (MockCluster, Connection) {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let addr = cluster.broker("broker-a").expect("a").addr().to_string();
    let conn = Connection::connect(&addr, &RemotingConfig::default())
        .await
        .expect("connects");
    let before = call(&conn, max_offset_request()).await;
    assert_eq!(
        before.response_code(),
        ResponseCode::SUCCESS,
        "no accounts, no checks"
    );
    let first = call(&conn, create_account("user", "user-secret", false)).await;
    assert_eq!(first.response_code(), ResponseCode::SUCCESS);
    let admin = call(
        &conn,
        signed(
            create_account("root", "root-secret", true),
            "user",
            "user-secret",
        ),
    )
    .await;
    assert_eq!(admin.response_code(), ResponseCode::SUCCESS);
    (cluster, conn)
}

/// With accounts, a correctly signed request is served and the others are refused with
/// NO_PERMISSION and 5.x's remarks.
#[tokio::test]
async fn requests_must_be_signed_by_a_known_account() {
    let (_cluster, conn) = cluster_with_accounts().await;
    let ok = call(&conn, signed(max_offset_request(), "user", "user-secret")).await;
    assert_eq!(ok.response_code(), ResponseCode::SUCCESS);

    for (request, remark) in [
        (max_offset_request(), "username cannot be null."),
        (
            signed(max_offset_request(), "user", "wrong"),
            "check signature failed.",
        ),
        (
            signed(max_offset_request(), "stranger", "user-secret"),
            "User:stranger is not found.",
        ),
    ] {
        let answer = call(&conn, request).await;
        assert_eq!(
            answer.response_code(),
            ResponseCode::NO_PERMISSION,
            "{remark}"
        );
        assert_eq!(answer.remark.as_deref(), Some(remark));
    }
}

/// A field changed after signing breaks the signature.
#[tokio::test]
async fn tampered_request_is_refused() {
    let (_cluster, conn) = cluster_with_accounts().await;
    let mut request = signed(max_offset_request(), "user", "user-secret");
    request.ext_fields.insert("queueId", "1");
    let answer = call(&conn, request).await;
    assert_eq!(answer.response_code(), ResponseCode::NO_PERMISSION);
    assert_eq!(answer.remark.as_deref(), Some("check signature failed."));
}

/// Admin requests need an admin account.
#[tokio::test]
async fn admin_requests_need_an_admin_account() {
    let (_cluster, conn) = cluster_with_accounts().await;
    let update = || Command::request(RequestCode::UPDATE_BROKER_CONFIG).with_body(&b"x=1\n"[..]);
    let refused = call(&conn, signed(update(), "user", "user-secret")).await;
    assert_eq!(refused.response_code(), ResponseCode::NO_PERMISSION);
    assert_eq!(
        refused.remark.as_deref(),
        Some("Need admin permission for request code=25, but accessKey=user is not")
    );
    let done = call(&conn, signed(update(), "root", "root-secret")).await;
    assert_eq!(done.response_code(), ResponseCode::SUCCESS);
}

/// Deleting every account switches the checks off again.
#[tokio::test]
async fn deleting_the_accounts_turns_checks_off() {
    let (_cluster, conn) = cluster_with_accounts().await;
    for key in ["user", "root"] {
        let delete = Command::request(RequestCode::DELETE_ACL_CONFIG).with_ext("accessKey", key);
        let answer = call(&conn, signed(delete, "root", "root-secret")).await;
        assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    }
    let open = call(&conn, max_offset_request()).await;
    assert_eq!(open.response_code(), ResponseCode::SUCCESS);
}

/// Clients up to 4.9.3 signed a unique-key query without its `_UNIQUE_KEY_QUERY` field; 5.x
/// accepts that from them, and from newer clients only a signature that covers it.
#[tokio::test]
async fn unique_key_flag_is_unsigned_only_for_old_clients() {
    let (_cluster, conn) = cluster_with_accounts().await;
    let query = |version: i32| {
        let mut cmd =
            Command::request(RequestCode::QUERY_MESSAGE).with_header(&QueryMessageRequestHeader {
                topic: "T".into(),
                key: "k".into(),
                max_num: 1,
                begin_timestamp: 0,
                end_timestamp: 1,
                unique_key_query: None,
            });
        cmd.version = version;
        let mut cmd = signed(cmd, "user", "user-secret");
        cmd.ext_fields.insert("_UNIQUE_KEY_QUERY", "true");
        cmd
    };
    let old = call(&conn, query(399)).await;
    assert_eq!(
        old.response_code(),
        ResponseCode::QUERY_NOT_FOUND,
        "{:?}",
        old.remark
    );
    let new = call(&conn, query(407)).await;
    assert_eq!(new.response_code(), ResponseCode::NO_PERMISSION);
}

/// Accounts given to the builder guard every broker from the start; a second cluster without
/// accounts in the same process checks nothing (accounts belong to their broker, not the
/// process).
#[tokio::test]
async fn builder_accounts_guard_every_broker_from_the_start() {
    let guarded = MockCluster::builder()
        .brokers(2)
        .account("user", "user-secret", false)
        .start()
        .await
        .expect("starts");
    let open = MockCluster::builder().start().await.expect("starts");
    for broker in guarded.brokers() {
        let conn = Connection::connect(&broker.addr().to_string(), &RemotingConfig::default())
            .await
            .expect("connects");
        let unsigned = call(&conn, max_offset_request()).await;
        assert_eq!(unsigned.response_code(), ResponseCode::NO_PERMISSION);
        assert_eq!(unsigned.remark.as_deref(), Some("username cannot be null."));
        let ok = call(&conn, signed(max_offset_request(), "user", "user-secret")).await;
        assert_eq!(ok.response_code(), ResponseCode::SUCCESS, "{:?}", ok.remark);
    }
    let addr = open.broker("broker-a").expect("a").addr().to_string();
    let conn = Connection::connect(&addr, &RemotingConfig::default())
        .await
        .expect("connects");
    let unsigned = call(&conn, max_offset_request()).await;
    assert_eq!(unsigned.response_code(), ResponseCode::SUCCESS);
    guarded.shutdown().await;
    open.shutdown().await;
}
