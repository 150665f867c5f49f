//! The 5.x admin operations against an embedded testkit cluster (`rmq-testkit`), which keeps
//! state as a Java 5.3.3 broker does: what a scripted peer could not show (a call's effect on
//! later calls, several brokers and slaves, the broker's refusals) is tested here. The request
//! bytes and Java-shaped answers stay in the scripted `admin5_*` tests; what `rmq-admin` prints
//! for the same cluster is in `rmq-tools`' `admin5_testkit_cli` test.

mod testkit_admin;

use std::collections::BTreeSet;

use rmq_client_admin::{Admin, Target};
use rmq_protocol::body::{AclInfo, SubscriptionGroupConfig, SubscriptionGroupConfigV5, UserInfo};
use rmq_protocol::ResponseCode;
use rmq_testkit::MockCluster;
use testkit_admin::{start, stop};

const CLUSTER: &str = "DefaultCluster";

/// `brokers` masters of [`CLUSTER`], each with a slave when `slaves` is set, and an admin.
async fn cluster(brokers: usize, slaves: bool) -> (MockCluster, Admin) {
    start(
        MockCluster::builder()
            .brokers(brokers)
            .slaves(slaves)
            .cluster_name(CLUSTER),
    )
    .await
}

fn user(name: &str, password: Option<&str>) -> UserInfo {
    UserInfo {
        username: Some(name.into()),
        password: password.map(str::to_owned),
        user_type: Some("Normal".into()),
        user_status: None,
    }
}

/// The broker refuses what Java's metadata managers refuse, with their code and message: a
/// second user of the same name, a user without password, an ACL for a missing user, an update
/// of a missing user; deleting a user deletes its ACL.
#[tokio::test]
async fn user_and_acl_refusals_are_javas() {
    let (cluster, admin) = cluster(1, false).await;
    let addr = cluster.brokers()[0].addr().to_string();
    let target = Target::Broker(addr.clone());
    admin
        .create_user(&target, &user("alice", Some("pw")))
        .await
        .expect("created");
    let err = admin
        .create_user(&target, &user("alice", Some("pw")))
        .await
        .expect_err("existing user");
    assert_eq!(err.response_code(), Some(ResponseCode::NO_PERMISSION));
    assert!(
        rmq_client_admin::report(&err).contains("The user is existed"),
        "{err}"
    );
    let err = admin
        .create_user(&target, &user("bob", None))
        .await
        .expect_err("no password");
    assert!(
        rmq_client_admin::report(&err).contains("password can not be blank"),
        "{err}"
    );
    let err = admin
        .update_user(&target, &user("carol", Some("x")))
        .await
        .expect_err("missing user");
    assert!(
        rmq_client_admin::report(&err).contains("The user is not exist"),
        "{err}"
    );

    let acl = |subject: &str| {
        AclInfo::of(
            subject,
            &["Topic:orders".into(), "Group:g".into()],
            &["Sub".into()],
            &["10.0.0.0/8".into()],
            "Allow",
        )
    };
    let err = admin
        .create_acl(&target, &acl("User:nobody"))
        .await
        .expect_err("missing subject");
    assert!(
        rmq_client_admin::report(&err).contains("The subject of User:nobody is not exist."),
        "{err}"
    );
    admin
        .create_acl(&target, &acl("User:alice"))
        .await
        .expect("acl created");
    let listed = admin
        .list_acls(&target, None, Some("orders"))
        .await
        .expect("listed");
    let entries: Vec<_> = listed[&addr]
        .iter()
        .flat_map(|a| &a.policies)
        .flat_map(|p| &p.entries)
        .filter_map(|e| e.resource.clone())
        .collect();
    assert_eq!(entries, ["Topic:orders"], "the resource filter applies");
    admin
        .delete_user(&target, "alice")
        .await
        .expect("user deleted");
    let listed = admin.list_acls(&target, None, None).await.expect("listed");
    assert!(listed[&addr].is_empty(), "{listed:?}");
    stop(cluster, admin).await;
}

/// A static topic over two brokers grows: the first plan spreads the logic queues, the second
/// keeps them where they are and adds the new ones; each broker serves its part of the mapping
/// back with the new epoch, and the topic cannot shrink.
#[tokio::test]
async fn static_topic_grows_over_two_brokers() {
    let (cluster, admin) = cluster(2, false).await;
    let names: BTreeSet<String> = cluster
        .brokers()
        .iter()
        .map(|b| b.name().to_owned())
        .collect();
    let first = admin
        .update_static_topic("S", 4, &names)
        .await
        .expect("created");
    assert_eq!(first.len(), 2);
    let before = admin.topic_config_all("S").await.expect("configs");
    let hosted = |all: &std::collections::BTreeMap<String, _>| -> Vec<(String, Vec<i32>)> {
        all.iter()
            .map(
                |(name, c): (&String, &rmq_protocol::body::TopicConfigAndQueueMapping)| {
                    let m = c.mapping_detail.as_ref().expect("a mapping");
                    (name.clone(), m.hosted_queues.keys().copied().collect())
                },
            )
            .collect()
    };
    let before_hosted = hosted(&before);
    let total: usize = before_hosted.iter().map(|(_, q)| q.len()).sum();
    assert_eq!(total, 4, "{before_hosted:?}");

    admin
        .update_static_topic("S", 6, &names)
        .await
        .expect("grown");
    let after = admin.topic_config_all("S").await.expect("configs");
    for ((name, old), (_, new)) in before_hosted.iter().zip(hosted(&after)) {
        assert!(
            old.iter().all(|q| new.contains(q)),
            "{name} keeps {old:?}: {new:?}"
        );
    }
    let epochs: BTreeSet<i64> = after
        .values()
        .map(|c| c.mapping_detail.as_ref().map_or(0, |m| m.epoch))
        .collect();
    assert_eq!(epochs.len(), 1, "one epoch everywhere: {epochs:?}");
    let old_epoch = before
        .values()
        .filter_map(|c| c.mapping_detail.as_ref())
        .map(|m| m.epoch)
        .max()
        .unwrap_or(0);
    assert!(
        epochs.iter().all(|e| *e > old_epoch),
        "{epochs:?} after {old_epoch}"
    );
    assert!(after.values().all(|c| c
        .mapping_detail
        .as_ref()
        .is_some_and(|m| m.total_queues == 6)));
    admin
        .update_static_topic("S", 5, &names)
        .await
        .expect_err("a static topic never shrinks");
    stop(cluster, admin).await;
}

/// haStatus of a master lists its slave in sync; a slave names its master.
#[tokio::test]
async fn ha_status_of_a_master_and_its_slave() {
    let (cluster, admin) = cluster(1, true).await;
    let master = cluster.brokers()[0].addr().to_string();
    let slave = cluster
        .slave(cluster.brokers()[0].name())
        .expect("a slave")
        .addr()
        .to_string();
    let ha = admin.ha_status(&master).await.expect("master status");
    assert!(ha.master);
    assert_eq!(ha.in_sync_slave_nums, 1);
    assert_eq!(ha.ha_connection_info.len(), 1);
    assert_eq!(ha.ha_connection_info[0].addr, slave);
    assert!(ha.ha_connection_info[0].in_sync);
    let ha = admin.ha_status(&slave).await.expect("slave status");
    assert!(!ha.master);
    assert_eq!(
        ha.ha_client_runtime_info.master_addr.as_deref(),
        Some(master.as_str())
    );
    stop(cluster, admin).await;
}

/// A group list sent to the cluster reaches every broker, and getConsumerConfig finds the
/// group on each; a read ban on one broker stays there.
#[tokio::test]
async fn group_list_reaches_every_broker_and_bans_stay_per_broker() {
    let (cluster, admin) = cluster(2, false).await;
    let group = SubscriptionGroupConfigV5 {
        config: SubscriptionGroupConfig {
            group_name: "G".into(),
            retry_max_times: 7,
            ..SubscriptionGroupConfig::default()
        },
        extra: Default::default(),
    };
    let target = Target::Cluster(CLUSTER.into());
    admin
        .create_group_list(&target, &[group])
        .await
        .expect("created");
    let all = admin.group_config_all("G").await.expect("configs");
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all.iter().all(|g| g.config.config.retry_max_times == 7));
    assert!(admin.group_config_all("H").await.expect("none").is_empty());

    let a = cluster.brokers()[0].addr().to_string();
    let b = cluster.brokers()[1].addr().to_string();
    admin
        .group_forbidden(&Target::Broker(a.clone()), "G", "T", Some(false))
        .await
        .expect("banned");
    let states = admin
        .group_forbidden(&target, "G", "T", None)
        .await
        .expect("read");
    assert_eq!(states[&a].readable, Some(false));
    assert_eq!(states[&b].readable, Some(true));
    stop(cluster, admin).await;
}

/// In controller mode the name server's address is the controller: it is its own leader,
/// reports each group's sync state set (master and slave in sync), refuses to elect a new
/// master while the old one lives and to clean a live group, keeps config updates (not those
/// of its black list), and brokers answer their epoch cache.
#[tokio::test]
async fn controller_mode_on_the_name_server() {
    let (cluster, admin) = start(
        MockCluster::builder()
            .slaves(true)
            .cluster_name(CLUSTER)
            .controller(true),
    )
    .await;
    let controller = cluster.namesrv_addr();
    let name = cluster.brokers()[0].name().to_owned();
    let master = cluster.brokers()[0].addr().to_string();
    let slave = cluster.slave(&name).expect("a slave").addr().to_string();

    let meta = admin
        .controller_metadata(&controller)
        .await
        .expect("metadata");
    assert!(meta.is_leader);
    assert_eq!(
        meta.controller_leader_address.as_deref(),
        Some(controller.as_str())
    );

    let state = admin
        .sync_state_set(&controller, &[name.clone(), "nope".into()])
        .await
        .expect("sync state");
    assert_eq!(state.replicas_info_table.len(), 1, "{state:?}");
    let group = &state.replicas_info_table[&name];
    assert_eq!(group.master_address.as_deref(), Some(master.as_str()));
    let in_sync: Vec<_> = group
        .in_sync_replicas
        .iter()
        .filter_map(|r| r.broker_address.clone())
        .collect();
    assert_eq!(in_sync, [master.clone(), slave]);

    let err = admin
        .elect_master(&controller, CLUSTER, &name, 0)
        .await
        .expect_err("the master is alive");
    assert_eq!(err.response_code(), Some(ResponseCode(2011)), "{err}");
    assert!(
        rmq_client_admin::report(&err).contains("The old master 0 is still alive"),
        "{err}"
    );
    let err = admin
        .elect_master(&controller, CLUSTER, "nope", 1)
        .await
        .expect_err("unknown group");
    assert_eq!(err.response_code(), Some(ResponseCode(2010)), "{err}");

    let err = admin
        .clean_broker_metadata(&controller, Some(CLUSTER), &name, None, false)
        .await
        .expect_err("a live group");
    assert!(
        rmq_client_admin::report(&err).contains("is still alive, clean up failure"),
        "{err}"
    );

    let controllers = [controller.clone()];
    admin
        .update_controller_config(&controllers, "scanNotActiveBrokerInterval", "7000")
        .await
        .expect("updated");
    let config = admin.controller_config(&controllers).await.expect("config");
    assert_eq!(
        config[&controller]
            .get("scanNotActiveBrokerInterval")
            .map(String::as_str),
        Some("7000")
    );
    let err = admin
        .update_controller_config(&controllers, "configStorePath", "/x")
        .await
        .expect_err("black-listed key");
    assert_eq!(err.response_code(), Some(ResponseCode::NO_PERMISSION));

    let epochs = admin.broker_epoch(&master).await.expect("epoch cache");
    assert_eq!(epochs.broker_name.as_deref(), Some(name.as_str()));
    assert_eq!(epochs.epoch_list.len(), 1);
    assert_eq!(epochs.epoch_list[0].epoch, 1);
    stop(cluster, admin).await;
}

/// Without controller mode the name server does not serve controller requests, and brokers
/// refuse the epoch cache as Java does outside controller mode.
#[tokio::test]
async fn without_controller_mode_controller_requests_are_refused() {
    let (cluster, admin) = cluster(1, false).await;
    let err = admin
        .controller_metadata(&cluster.namesrv_addr())
        .await
        .expect_err("no controller");
    assert_eq!(
        err.kind(),
        rmq_client_admin::ErrorKind::Unsupported,
        "{err}"
    );
    let master = cluster.brokers()[0].addr().to_string();
    let err = admin.broker_epoch(&master).await.expect_err("no epochs");
    assert!(
        rmq_client_admin::report(&err).contains("controllerMode"),
        "{err}"
    );
    stop(cluster, admin).await;
}
