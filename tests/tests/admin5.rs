//! The 5.x admin operations against the shared cluster, for the requests the crates.io broker
//! (1.0.0, 5.x-compatible) serves: ACL 2.0 users and ACLs, batch topic and group creation with
//! their single-config reads, group read bans, consumer topics, static topics, HA status,
//! cold-data flow control and the read-ahead mode; and, for what 1.0.0 lacks (the RocksDB
//! check) or refuses outside controller mode (epochs), the errors it gives.
//!
//! The embedded testkit does not serve these requests yet; there each call must fail with the
//! clear [`ErrorKind::Unsupported`] error (never a raw code or a timeout), and the test stops
//! at the first such answer. Against the real servers (`RMQ_TEST_NAMESRV` set) every call
//! must succeed. Requests the 1.0.0 broker does not serve (controller mode, the RocksDB check)
//! are covered by `client-admin/tests/admin5_*.rs` against scripted peers.

mod admin_support;

use admin_support::*;
use rmq_client_admin::{ErrorKind, Target};
use rmq_protocol::body::{
    AclInfo, SubscriptionGroupConfig, SubscriptionGroupConfigV5, TopicConfig, TopicConfigV5,
    UserInfo,
};
use rmq_tests::names;

/// `Some(value)` on success; `None` when the embedded testkit says it does not support the
/// request; any other outcome fails the test.
fn served<T>(what: &str, result: rmq_client_admin::Result<T>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(e) if !rmq_tests::real_servers() && e.kind() == ErrorKind::Unsupported => {
            assert!(e.to_string().contains("does not support"), "{e}");
            None
        }
        Err(e) => panic!("{what}: {}", rmq_client_admin::report(&e)),
    }
}

fn broker() -> Target {
    Target::Broker(rmq_tests::broker_addr())
}

/// A user is created, read, listed, updated and deleted on the broker.
#[tokio::test]
async fn user_lifecycle() {
    let admin = admin().await;
    let addr = rmq_tests::broker_addr();
    let name = names::name("u", "user_lifecycle").replace('-', "_");
    let user = UserInfo {
        username: Some(name.clone()),
        password: Some("secret-1".into()),
        user_type: Some("Normal".into()),
        user_status: None,
    };
    if served("createUser", admin.create_user(&broker(), &user).await).is_none() {
        return admin.shutdown().await;
    }
    let got = served("getUser", admin.user(&broker(), &name).await).expect("served");
    let got = got[&addr].clone().expect("the user exists");
    assert_eq!(got.username.as_deref(), Some(name.as_str()));
    assert_eq!(got.user_type.as_deref(), Some("Normal"));
    let listed =
        served("listUser", admin.list_users(&broker(), Some(&name)).await).expect("served");
    assert!(
        listed[&addr]
            .iter()
            .any(|u| u.username.as_deref() == Some(name.as_str())),
        "{listed:?}"
    );
    let update = UserInfo {
        username: Some(name.clone()),
        user_status: Some("disable".into()),
        ..UserInfo::default()
    };
    served("updateUser", admin.update_user(&broker(), &update).await).expect("served");
    let got = served("getUser", admin.user(&broker(), &name).await).expect("served");
    assert_eq!(
        got[&addr].as_ref().and_then(|u| u.user_status.as_deref()),
        Some("disable")
    );
    served("deleteUser", admin.delete_user(&broker(), &name).await).expect("served");
    let got = served("getUser", admin.user(&broker(), &name).await).expect("served");
    assert!(got[&addr].is_none(), "{got:?}");
    admin.shutdown().await;
}

/// An ACL is created for a user, read, listed, updated and deleted.
#[tokio::test]
async fn acl_lifecycle() {
    let admin = admin().await;
    let addr = rmq_tests::broker_addr();
    let name = names::name("a", "acl_lifecycle").replace('-', "_");
    let user = UserInfo {
        username: Some(name.clone()),
        password: Some("secret-2".into()),
        user_type: Some("Normal".into()),
        user_status: None,
    };
    if served("createUser", admin.create_user(&broker(), &user).await).is_none() {
        return admin.shutdown().await;
    }
    let subject = format!("User:{name}");
    let topic = names::topic("acl_lifecycle");
    let acl = AclInfo::of(
        subject.clone(),
        &[format!("Topic:{topic}")],
        &["Pub".into()],
        &[],
        "Allow",
    );
    served("createAcl", admin.create_acl(&broker(), &acl).await).expect("served");
    let got = served("getAcl", admin.acl(&broker(), &subject).await).expect("served");
    let got = got[&addr].clone().expect("the subject has policies");
    let entry = &got.policies[0].entries[0];
    assert_eq!(
        entry.resource.as_deref(),
        Some(format!("Topic:{topic}").as_str())
    );
    assert_eq!(entry.decision.as_deref(), Some("Allow"));
    let listed = served(
        "listAcl",
        admin.list_acls(&broker(), Some(&subject), None).await,
    )
    .expect("served");
    assert!(
        listed[&addr]
            .iter()
            .any(|a| a.subject.as_deref() == Some(subject.as_str())),
        "{listed:?}"
    );
    let deny = AclInfo::of(
        subject.clone(),
        &[format!("Topic:{topic}")],
        &["Pub".into()],
        &[],
        "Deny",
    );
    served("updateAcl", admin.update_acl(&broker(), &deny).await).expect("served");
    let got = served("getAcl", admin.acl(&broker(), &subject).await).expect("served");
    let decisions: Vec<_> = got[&addr]
        .iter()
        .flat_map(|a| &a.policies)
        .flat_map(|p| &p.entries)
        .filter_map(|e| e.decision.clone())
        .collect();
    assert_eq!(decisions, ["Deny"]);
    served(
        "deleteAcl",
        admin
            .delete_acl(&broker(), &subject, Some(&format!("Topic:{topic}")))
            .await,
    )
    .expect("served");
    let got = served("getAcl", admin.acl(&broker(), &subject).await).expect("served");
    assert!(
        got[&addr]
            .iter()
            .all(|a| a.policies.iter().all(|p| p.entries.is_empty())),
        "{got:?}"
    );
    served("deleteUser", admin.delete_user(&broker(), &name).await).expect("served");
    admin.shutdown().await;
}

/// updateTopicList creates every topic; getTopicConfig reads each back.
#[tokio::test]
async fn topic_list_creates_topics_and_topic_config_reads_them() {
    let admin = admin().await;
    let addr = rmq_tests::broker_addr();
    let topics: Vec<String> = (0..2)
        .map(|i| names::topic(&format!("topic_list_{i}")))
        .collect();
    let configs: Vec<TopicConfigV5> = topics
        .iter()
        .map(|t| {
            TopicConfigV5::from(TopicConfig {
                topic_name: t.clone(),
                read_queue_nums: 3,
                write_queue_nums: 3,
                ..TopicConfig::default()
            })
        })
        .collect();
    if served(
        "updateTopicList",
        admin.create_topic_list(&broker(), &configs).await,
    )
    .is_none()
    {
        return admin.shutdown().await;
    }
    for topic in &topics {
        let config = served("getTopicConfig", admin.topic_config(&addr, topic).await)
            .expect("served")
            .expect("the topic exists");
        assert_eq!(config.config.config.topic_name, *topic);
        assert_eq!(config.config.config.read_queue_nums, 3);
        assert!(config.mapping_detail.is_none());
    }
    let absent = served(
        "getTopicConfig",
        admin
            .topic_config(&addr, &names::topic("never_created"))
            .await,
    )
    .expect("served");
    assert!(absent.is_none());
    admin.shutdown().await;
}

/// updateSubGroupList creates every group; getConsumerConfig reads each back; a read ban is
/// set and read back.
#[tokio::test]
async fn group_list_creates_groups_and_group_config_reads_them() {
    let admin = admin().await;
    let addr = rmq_tests::broker_addr();
    let groups: Vec<String> = (0..2)
        .map(|i| names::group(&format!("group_list_{i}")))
        .collect();
    let configs: Vec<SubscriptionGroupConfigV5> = groups
        .iter()
        .map(|g| SubscriptionGroupConfigV5 {
            config: SubscriptionGroupConfig {
                group_name: g.clone(),
                retry_max_times: 5,
                ..SubscriptionGroupConfig::default()
            },
            extra: Default::default(),
        })
        .collect();
    if served(
        "updateSubGroupList",
        admin.create_group_list(&broker(), &configs).await,
    )
    .is_none()
    {
        return admin.shutdown().await;
    }
    for group in &groups {
        let config = served("getConsumerConfig", admin.group_config(&addr, group).await)
            .expect("served")
            .expect("the group exists");
        assert_eq!(config.config.group_name, *group);
        assert_eq!(config.config.retry_max_times, 5);
    }
    let topic = names::topic("group_forbidden");
    create_topic(&admin, &topic, 1).await;
    let state = served(
        "updateGroupForbidden",
        admin
            .group_forbidden(&broker(), &groups[0], &topic, Some(false))
            .await,
    )
    .expect("served");
    assert_eq!(state[&addr].readable, Some(false));
    let absent = served(
        "getConsumerConfig",
        admin
            .group_config(&addr, &names::group("never_created"))
            .await,
    )
    .expect("served");
    assert!(absent.is_none());
    admin.shutdown().await;
}

/// A group with committed offsets on a topic lists that topic (queryTopicsByConsumer).
#[tokio::test]
async fn topics_by_consumer_lists_the_topics_a_group_has_offsets_for() {
    let admin = admin().await;
    let topic = names::topic("topics_by_consumer");
    let group = names::group("topics_by_consumer");
    create_topic(&admin, &topic, 2).await;
    commit(&admin, &group, &topic, Some(0)).await;
    let Some(topics) = served(
        "queryTopicsByConsumer",
        admin.topics_by_consumer(&group).await,
    ) else {
        return admin.shutdown().await;
    };
    assert!(topics.contains(&topic), "{topics:?}");
    admin.shutdown().await;
}

/// updateStaticTopic creates a static topic whose mapping getTopicConfig reads back.
#[tokio::test]
async fn static_topic_is_created_with_its_mapping() {
    let admin = admin().await;
    let addr = rmq_tests::broker_addr();
    let topic = names::topic("static_topic");
    let name = broker_name(&admin).await;
    let targets = std::collections::BTreeSet::from([name.clone()]);
    let Some(plan) = served(
        "updateStaticTopic",
        admin.update_static_topic(&topic, 3, &targets).await,
    ) else {
        return admin.shutdown().await;
    };
    assert_eq!(plan[&name].config.config.write_queue_nums, 3);
    let config = served("getTopicConfig", admin.topic_config(&addr, &topic).await)
        .expect("served")
        .expect("the topic exists");
    let mapping = config.mapping_detail.expect("a static topic has a mapping");
    assert_eq!(mapping.total_queues, 3);
    assert_eq!(mapping.bname, name);
    assert_eq!(
        mapping.hosted_queues.keys().copied().collect::<Vec<_>>(),
        [0, 1, 2]
    );
    let err = admin
        .update_static_topic(&topic, 2, &targets)
        .await
        .expect_err("a static topic never shrinks");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    admin.shutdown().await;
}

/// haStatus of a lone master: a master with no slave; a group's cold-read threshold is set,
/// shown and removed; the read-ahead mode is set.
#[tokio::test]
async fn ha_status_and_cold_data_info_of_a_lone_master() {
    let admin = admin().await;
    let addr = rmq_tests::broker_addr();
    let Some(ha) = served("haStatus", admin.ha_status(&addr).await) else {
        return admin.shutdown().await;
    };
    assert!(ha.master, "{ha:?}");
    assert!(ha.ha_connection_info.is_empty(), "{ha:?}");
    let group = names::group("cold_data");
    served(
        "updateColdDataFlowCtrGroupConfig",
        admin
            .update_cold_data_flow_ctr(&broker(), &group, "4096")
            .await,
    )
    .expect("served");
    let info = served(
        "getColdDataFlowCtrInfo",
        admin.cold_data_flow_ctr_info(&broker()).await,
    )
    .expect("served");
    let text = info[&addr]
        .clone()
        .expect("the broker has a cold-data table");
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(compact.contains(&format!("\"{group}\":4096")), "{text}");
    served(
        "removeColdDataFlowCtrGroupConfig",
        admin.remove_cold_data_flow_ctr(&broker(), &group).await,
    )
    .expect("served");
    let info = served(
        "getColdDataFlowCtrInfo",
        admin.cold_data_flow_ctr_info(&broker()).await,
    )
    .expect("served");
    assert!(
        !info[&addr].clone().unwrap_or_default().contains(&group),
        "{info:?}"
    );
    let modes = served(
        "setCommitLogReadAheadMode",
        admin.set_commit_log_read_mode(&broker(), "0").await,
    )
    .expect("served");
    assert!(modes.contains_key(&addr), "{modes:?}");
    admin.shutdown().await;
}

/// What the 1.0.0 broker does not serve gives clear errors: the RocksDB check is not
/// supported at all (named with the broker's version), and the epoch cache only in controller
/// mode (the broker's code and remark kept).
#[tokio::test]
async fn unserved_requests_fail_clearly() {
    let admin = admin().await;
    let addr = rmq_tests::broker_addr();
    let err = admin
        // 1.0.0 checks the topic is not blank before it finds it has no RocksDB check.
        .check_rocksdb_cq(&broker(), "TBW102", 0)
        .await
        .expect_err("1.0.0 and the testkit have no RocksDB check");
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("this broker ({addr}, version ")),
        "{text}"
    );
    assert!(
        text.ends_with(
            "does not support checkRocksdbCqWriteProgress (CHECK_ROCKSDB_CQ_WRITE_PROGRESS)"
        ),
        "{text}"
    );
    if rmq_tests::real_servers() {
        let err = admin
            .broker_epoch(&addr)
            .await
            .expect_err("no epochs outside controller mode");
        let report = rmq_client_admin::report(&err);
        assert!(report.contains("controllerMode"), "{report}");
        assert!(
            report.contains(&format!("epoch cache of broker {addr}")),
            "{report}"
        );
    }
    admin.shutdown().await;
}
