//! Controller mode and replication through `Admin` against scripted peers: writes and
//! sync-state reads go to the leader the controller names, headers and bodies are Java's, and
//! answers decode. Scripted because the CI broker runs without a controller.

mod support;

use rmq_client_admin::ErrorKind;
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::testing::{MockServer, Reply};
use support::*;

/// What the controller at the fixture's address says: `leader` leads.
fn metadata(req: &Command, leader: &str) -> Reply {
    Reply::Respond(
        Command::response_to(req, ResponseCode::SUCCESS, None)
            .with_ext("group", "ctrl-group")
            .with_ext("controllerLeaderId", "n1")
            .with_ext("controllerLeaderAddress", leader)
            .with_ext("isLeader", "false")
            .with_ext("peers", format!("n0-127.0.0.1:1;n1-{leader}")),
    )
}

/// A controller leader answering sync state, elections and clean-ups as Java's does.
async fn leader() -> MockServer {
    MockServer::start(|req| match RequestCode(req.code) {
        RequestCode::CONTROLLER_GET_SYNC_STATE_DATA => ok_body(
            req,
            r#"{"replicasInfoTable":{"broker-a":{"inSyncReplicas":[{"alive":true,"brokerAddress":"10.0.0.1:30911","brokerId":1,"brokerName":"broker-a"}],
                "masterAddress":"10.0.0.1:30911","masterBrokerId":1,"masterEpoch":2,
                "notInSyncReplicas":[{"alive":false,"brokerAddress":"10.0.0.2:30911","brokerId":2,"brokerName":"broker-a"}],"syncStateSetEpoch":3}}}"#,
        ),
        RequestCode::CONTROLLER_ELECT_MASTER => Reply::Respond(
            Command::response_to(req, ResponseCode::SUCCESS, None)
                .with_ext("masterBrokerId", "2")
                .with_ext("masterAddress", "10.0.0.2:30911")
                .with_ext("masterEpoch", "3")
                .with_ext("syncStateSetEpoch", "4")
                .with_body(
                    r#"{"brokerAddrs":{1:"10.0.0.1:30911",2:"10.0.0.2:30911"},"brokerName":"broker-a","cluster":"c"}"#,
                ),
        ),
        _ => Reply::success(),
    })
    .await
    .expect("bind")
}

/// A [`leader`] and a 5.3.3 fixture whose controller names it as the leader.
async fn controller_naming_a_leader() -> (Fixture, MockServer) {
    let leader = leader().await;
    let leader_addr = leader.addr();
    let f = start("V5_3_3", move |req| {
        (req.code == RequestCode::CONTROLLER_GET_METADATA_INFO.0)
            .then(|| metadata(req, &leader_addr))
    })
    .await;
    (f, leader)
}

/// Stops the fixture, then the leader.
async fn stop(f: Fixture, leader: MockServer) {
    f.stop().await;
    leader.shutdown().await;
}

/// Every request with `code` that `server` received.
fn sent_with(server: &MockServer, code: RequestCode) -> Vec<Command> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.code == code.0)
        .collect()
}

/// The first request with `code` that `server` received (fails the test if none came).
fn first_sent_with(server: &MockServer, code: RequestCode) -> Command {
    sent_with(server, code)
        .into_iter()
        .next()
        .expect("sent to the leader")
}

/// getControllerMetaData reads the response header, Java field names included.
#[tokio::test]
async fn controller_metadata_reads_the_response_header() {
    let f = start("V5_3_3", |req| {
        (req.code == RequestCode::CONTROLLER_GET_METADATA_INFO.0)
            .then(|| metadata(req, "127.0.0.1:9878"))
    })
    .await;
    let m = f
        .admin
        .controller_metadata(&f.addr())
        .await
        .expect("metadata");
    assert_eq!(m.group.as_deref(), Some("ctrl-group"));
    assert_eq!(
        m.controller_leader_address.as_deref(),
        Some("127.0.0.1:9878")
    );
    assert!(!m.is_leader);
    f.stop().await;
}

/// getSyncStateSet asks the controller for its leader, then sends the broker names as a JSON
/// array to the leader.
#[tokio::test]
async fn sync_state_set_goes_to_the_leader_with_broker_names() {
    let (f, leader) = controller_naming_a_leader().await;
    let info = f
        .admin
        .sync_state_set(&f.addr(), &["broker-a".into()])
        .await
        .expect("sync state");
    let a = &info.replicas_info_table["broker-a"];
    assert_eq!((a.master_epoch, a.sync_state_set_epoch), (Some(2), Some(3)));
    assert_eq!(a.not_in_sync_replicas[0].broker_id, Some(2));
    let sent = sent_with(&leader, RequestCode::CONTROLLER_GET_SYNC_STATE_DATA);
    assert_eq!(sent.len(), 1);
    assert_eq!(&sent[0].body[..], br#"["broker-a"]"#);
    assert!(f
        .requests(RequestCode::CONTROLLER_GET_SYNC_STATE_DATA)
        .is_empty());
    stop(f, leader).await;
}

/// electMaster designates the broker (Java's admin trigger) and reads the new master and the
/// group's members.
#[tokio::test]
async fn elect_master_designates_the_broker_and_reads_the_outcome() {
    let (f, leader) = controller_naming_a_leader().await;
    let (elected, members) = f
        .admin
        .elect_master(&f.addr(), "c", "broker-a", 2)
        .await
        .expect("elected");
    assert_eq!(elected.master_address.as_deref(), Some("10.0.0.2:30911"));
    assert_eq!(elected.master_epoch, Some(3));
    assert_eq!(members.broker_addrs[&1], "10.0.0.1:30911");
    let req = first_sent_with(&leader, RequestCode::CONTROLLER_ELECT_MASTER);
    assert_eq!(req.ext_fields.get("clusterName"), Some("c"));
    assert_eq!(req.ext_fields.get("brokerName"), Some("broker-a"));
    assert_eq!(req.ext_fields.get("brokerId"), Some("2"));
    assert_eq!(req.ext_fields.get("designateElect"), Some("true"));
    assert!(req.ext_fields.get("invokeTime").is_some());
    stop(f, leader).await;
}

/// cleanBrokerMetadata sends Java's header (`isCleanLivingBroker`) to the leader.
#[tokio::test]
async fn clean_broker_metadata_sends_java_header_to_the_leader() {
    let (f, leader) = controller_naming_a_leader().await;
    f.admin
        .clean_broker_metadata(&f.addr(), Some("c"), "broker-a", Some("1;2"), true)
        .await
        .expect("cleaned");
    let req = first_sent_with(&leader, RequestCode::CLEAN_BROKER_DATA);
    assert_eq!(
        req.ext_fields.get("brokerControllerIdsToClean"),
        Some("1;2")
    );
    assert_eq!(req.ext_fields.get("isCleanLivingBroker"), Some("true"));
    assert_eq!(req.ext_fields.get("clusterName"), Some("c"));
    stop(f, leader).await;
}

/// Controller config is Java properties text both ways.
#[tokio::test]
async fn controller_config_reads_and_writes_properties() {
    let f = start("V5_3_3", |req| {
        (req.code == RequestCode::GET_CONTROLLER_CONFIG.0).then(|| {
            ok_body(
                req,
                "controllerType=jRaft\nscanNotActiveBrokerInterval=5000\n",
            )
        })
    })
    .await;
    let configs = f
        .admin
        .controller_config(&[f.addr()])
        .await
        .expect("config");
    assert_eq!(configs[&f.addr()]["controllerType"], "jRaft");
    f.admin
        .update_controller_config(&[f.addr()], "notifyBrokerRoleChanged", "false")
        .await
        .expect("updated");
    let body = f.only(RequestCode::UPDATE_CONTROLLER_CONFIG).body;
    assert_eq!(
        std::str::from_utf8(&body).expect("utf8").trim(),
        "notifyBrokerRoleChanged=false"
    );
    f.stop().await;
}

/// A name server without a controller refuses; the error says so and names the operation.
#[tokio::test]
async fn a_server_without_controller_gives_a_clear_error() {
    let f = start("V4_9_7", |req| {
        (req.code == RequestCode::CONTROLLER_GET_METADATA_INFO.0).then(|| not_supported(req))
    })
    .await;
    let err = f
        .admin
        .sync_state_set(&f.addr(), &["broker-a".into()])
        .await
        .expect_err("no controller");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert_eq!(
        err.to_string(),
        format!(
            "this controller ({}, version unknown) does not support getControllerMetaData (CONTROLLER_GET_METADATA_INFO)",
            f.addr()
        )
    );
    f.stop().await;
}

/// haStatus and getBrokerEpoch decode Java's bodies; a 4.x broker's refusal names V4_9_7.
#[tokio::test]
async fn ha_status_and_epochs_decode_and_4x_refuses_them() {
    let f = start("V5_3_3", |req| match RequestCode(req.code) {
        RequestCode::GET_BROKER_HA_STATUS => Some(ok_body(
            req,
            r#"{"haClientRuntimeInfo":{"isActivated":false},"haConnectionInfo":[{"addr":"10.0.0.2:50000","diff":10,"inSync":true,"slaveAckOffset":90,"transferFromWhere":0,"transferredByteInSecond":2048}],"inSyncSlaveNums":1,"master":true,"masterCommitLogMaxOffset":100}"#,
        )),
        RequestCode::GET_BROKER_EPOCH_CACHE => Some(ok_body(
            req,
            r#"{"brokerId":0,"brokerName":"broker-a","clusterName":"c","epochList":[{"endOffset":100,"epoch":1,"startOffset":0},{"epoch":2,"startOffset":100}],"maxOffset":180}"#,
        )),
        _ => None,
    })
    .await;
    let ha = f.admin.ha_status(&f.addr()).await.expect("ha");
    assert!(ha.master);
    assert_eq!(ha.ha_connection_info[0].slave_ack_offset, 90);
    let epochs = f.admin.broker_epoch(&f.addr()).await.expect("epochs");
    assert_eq!(epochs.epoch_list.len(), 2);
    assert_eq!(epochs.epoch_list[1].end_offset, i64::MAX);
    f.stop().await;

    let old = start("V4_9_7", |req| {
        (req.code == RequestCode::GET_BROKER_HA_STATUS.0).then(|| not_supported(req))
    })
    .await;
    let err = old.admin.ha_status(&old.addr()).await.expect_err("4.x");
    assert!(
        err.to_string()
            .contains("version V4_9_7) does not support haStatus"),
        "{err}"
    );
    old.stop().await;
}
