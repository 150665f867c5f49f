//! The admin API (`rmq-client-admin`) against the real name server and broker: every call is
//! made and its parsed result checked.

mod admin_support;

use std::time::Duration;

use admin_support::*;
use rmq_client_admin::{Admin, ErrorKind, Target};
use rmq_protocol::body::SubscriptionGroupConfig;
use rmq_tests::names;

/// The cluster table and the per-broker summary list the shared broker with its version.
#[tokio::test]
async fn cluster_info_and_list_show_the_shared_broker() {
    let shared = rmq_tests::shared();
    let admin = admin().await;
    let info = admin.cluster_info().await.expect("cluster info");
    assert!(
        info.cluster_addr_table.contains_key(&shared.cluster),
        "{info:?}"
    );
    let list = admin
        .cluster_list(Some(&shared.cluster))
        .await
        .expect("cluster list");
    let me = list
        .iter()
        .find(|b| b.addr == shared.broker)
        .expect("shared broker listed");
    assert_eq!(me.broker_id, 0);
    assert!(!me.version.is_empty(), "{me:?}");
    assert!(me.error.is_none(), "{me:?}");
    let stats = admin
        .broker_runtime_stats(&shared.broker)
        .await
        .expect("runtime stats");
    assert!(stats.contains_key("msgPutTotalTodayNow"), "{stats:?}");
    let err = admin
        .cluster_list(Some("no_such_cluster"))
        .await
        .expect_err("unknown cluster");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    admin.shutdown().await;
}

/// `updateTopic` then `topicRoute` shows the queue counts; the topic is listed, belongs to the
/// cluster, and is gone after `deleteTopic`.
#[tokio::test]
async fn created_topic_is_routed_listed_and_deleted() {
    let shared = rmq_tests::shared();
    let admin = admin().await;
    let topic = names::topic("admin_topic_lifecycle");
    create_topic(&admin, &topic, 3).await;
    let route = admin.topic_route(&topic).await.expect("route");
    assert_eq!(route.queue_datas[0].read_queue_nums, 3);
    assert_eq!(route.queue_datas[0].write_queue_nums, 3);
    assert_eq!(route.queue_datas[0].perm, 6);
    assert!(admin.topic_list().await.expect("list").contains(&topic));
    assert!(admin
        .topics_of_cluster(&shared.cluster)
        .await
        .expect("by cluster")
        .contains(&topic));
    assert_eq!(
        admin.topic_clusters(&topic).await.expect("clusters"),
        vec![shared.cluster.clone()]
    );
    let configs = admin
        .topic_configs(&shared.broker)
        .await
        .expect("topic configs");
    assert_eq!(configs[&topic].write_queue_nums, 3);

    admin
        .delete_topic(&topic, &shared.cluster)
        .await
        .expect("delete");
    let gone = eventually(Duration::from_secs(10), || async {
        admin
            .topic_route(&topic)
            .await
            .is_err_and(|e| e.kind() == ErrorKind::NotFound)
    })
    .await;
    assert!(gone, "the route of {topic} is gone after deleteTopic");
    admin.shutdown().await;
}

/// Topic status reports per-queue min/max offsets that add up to what was sent.
#[tokio::test]
async fn topic_status_counts_sent_messages() {
    let admin = admin().await;
    let topic = names::topic("admin_topic_status");
    create_topic(&admin, &topic, 2).await;
    send(&admin, &topic, "k", 10).await;
    let status = admin.topic_status(&topic).await.expect("status");
    assert_eq!(status.offset_table.len(), 2, "{status:?}");
    let total: i64 = status
        .offset_table
        .values()
        .map(|o| o.max_offset - o.min_offset)
        .sum();
    assert_eq!(total, 10);
    assert!(status
        .offset_table
        .values()
        .any(|o| o.last_update_timestamp > 0));
    let err = admin
        .topic_status("rmq_no_such_topic_xyz")
        .await
        .expect_err("unknown topic");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    admin.shutdown().await;
}

/// Produce 100, `consumerProgress` shows a lag of 100; consume them and the lag is 0; reset by
/// time to before the sends and the lag is 100 again (old-style reset: no consumer online).
#[tokio::test]
async fn consumer_progress_tracks_lag_and_reset_by_time_replays() {
    let admin = admin().await;
    let topic = names::topic("admin_progress");
    let group = names::group("admin_progress");
    create_topic(&admin, &topic, 4).await;
    let before = rmq_tests_now() - 1000;
    commit(&admin, &group, &topic, Some(0)).await;
    send(&admin, &topic, "p", 100).await;

    let stats = admin
        .consume_stats(&group, Some(&topic))
        .await
        .expect("stats");
    assert_eq!(stats.total_diff(), 100, "{stats:?}");
    assert_eq!(stats.offset_table.len(), 4);

    assert_eq!(consume_all(&admin, &topic).await, 100);
    commit(&admin, &group, &topic, None).await;
    let stats = admin
        .consume_stats(&group, Some(&topic))
        .await
        .expect("stats");
    assert_eq!(stats.total_diff(), 0, "{stats:?}");

    let outcome = admin
        .reset_offset_by_time(&group, &topic, before, true)
        .await
        .expect("reset");
    assert_eq!(outcome.offsets.len(), 4, "{outcome:?}");
    assert!(outcome.offsets.values().all(|o| *o == 0), "{outcome:?}");
    let stats = admin
        .consume_stats(&group, Some(&topic))
        .await
        .expect("stats");
    assert_eq!(stats.total_diff(), 100, "replay after reset: {stats:?}");

    let spans = admin
        .consume_time_span(&topic, &group)
        .await
        .expect("time span");
    assert_eq!(spans.len(), 4);
    assert!(admin
        .topic_consumed_by(&topic)
        .await
        .expect("consumed by")
        .contains(&group));

    let err = admin
        .consume_stats(&names::group("never_consumed"), None)
        .await
        .expect_err("no offsets");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    admin.shutdown().await;
}

fn rmq_tests_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A keyed message is found by key, by unique key, by offset id and by queue offset.
#[tokio::test]
async fn messages_are_found_by_key_unique_key_offset_id_and_offset() {
    let admin = admin().await;
    let topic = names::topic("admin_query");
    create_topic(&admin, &topic, 2).await;
    let key = names::name("key", "q");
    let ids = send(&admin, &topic, &key, 3).await;
    let wanted = format!("{key}-1");

    // Keep the answer that succeeded: asking again can meet the crates.io broker's index
    // lagging behind other tests' messages ("index query is unsafe ...").
    let hits = std::sync::Mutex::new(Vec::new());
    let found = eventually(Duration::from_secs(10), || async {
        match admin
            .query_msg_by_key(&topic, &wanted, 64, 0, i64::MAX)
            .await
        {
            Ok(m) if m.len() == 1 => {
                *hits.lock().expect("hits") = m;
                true
            }
            _ => false,
        }
    })
    .await;
    assert!(found, "queryMsgByKey finds {wanted}");
    let by_key = hits.into_inner().expect("hits");
    assert_eq!(by_key[0].msg_id(), ids[1]);
    assert_eq!(&by_key[0].body[..], b"body-1");

    // The broker's index is built in the background; right after start it refuses queries
    // ("index query is unsafe ... rebuild may still be in progress") until it catches up.
    let unique_hits = std::sync::Mutex::new(Vec::new());
    let indexed = eventually(Duration::from_secs(10), || async {
        match admin.query_msg_by_unique_key(&topic, &ids[2]).await {
            Ok(m) if !m.is_empty() => {
                *unique_hits.lock().expect("hits") = m;
                true
            }
            _ => false,
        }
    })
    .await;
    assert!(indexed, "queryMsgByUniqueKey finds {}", ids[2]);
    let by_unique = unique_hits.into_inner().expect("hits");
    assert_eq!(
        by_unique[0].keys().collect::<Vec<_>>(),
        vec![format!("{key}-2")]
    );

    let viewed = admin
        .view_message(&by_key[0].offset_msg_id())
        .await
        .expect("view");
    assert_eq!(viewed.msg_id(), ids[1]);

    let name = broker_name(&admin).await;
    let mq = queue(&topic, &name, by_key[0].queue_id);
    let at = admin
        .query_msg_by_offset(&mq, by_key[0].queue_offset)
        .await
        .expect("by offset");
    assert_eq!(at.msg_id(), ids[1]);

    let err = admin.view_message("not-an-id").await.expect_err("bad id");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let err = admin
        .query_msg_by_offset(&mq, 1_000_000)
        .await
        .expect_err("nothing there");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    admin.shutdown().await;
}

/// A message sent to a chosen queue lands there.
#[tokio::test]
async fn send_to_a_queue_stores_it_there() {
    let admin = admin().await;
    let topic = names::topic("admin_send_queue");
    create_topic(&admin, &topic, 4).await;
    let name = broker_name(&admin).await;
    let mq = queue(&topic, &name, 2);
    let sent = admin
        .send_message(rmq_protocol::Message::new(&topic, b"x".to_vec()), Some(&mq))
        .await
        .expect("send");
    assert_eq!(
        (
            sent.queue_id,
            sent.broker_name.as_str(),
            sent.status.as_str()
        ),
        (2, name.as_str(), "SEND_OK")
    );
    assert_eq!(admin.max_offset(&mq).await.expect("max"), 1);
    assert_eq!(admin.min_offset(&mq).await.expect("min"), 0);
    assert_eq!(admin.search_offset(&mq, 0).await.expect("search"), 0);
    admin.shutdown().await;
}

/// Subscription groups are created, listed, updated and deleted.
#[tokio::test]
async fn subscription_group_lifecycle() {
    let shared = rmq_tests::shared();
    let admin = admin().await;
    let group = names::group("admin_subgroup");
    let target = Target::Broker(shared.broker.clone());
    let config = SubscriptionGroupConfig {
        group_name: group.clone(),
        retry_max_times: 5,
        ..SubscriptionGroupConfig::default()
    };
    admin
        .create_or_update_group(&target, &config)
        .await
        .expect("create");
    let groups = admin.groups(&shared.broker).await.expect("list");
    assert_eq!(groups[&group].retry_max_times, 5);
    admin
        .delete_group(&target, &group, true)
        .await
        .expect("delete");
    assert!(!admin
        .groups(&shared.broker)
        .await
        .expect("list")
        .contains_key(&group));
    let err = admin
        .create_or_update_group(
            &target,
            &SubscriptionGroupConfig {
                group_name: "bad name!".into(),
                ..Default::default()
            },
        )
        .await
        .expect_err("invalid name");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    admin.shutdown().await;
}

/// Producer and consumer connections, and the consumer's running info relayed by the broker.
#[tokio::test]
async fn connections_and_running_info_of_live_clients() {
    let admin = admin().await;
    let topic = names::topic("admin_connections");
    let (pg, cg) = (names::group("admin_conn_p"), names::group("admin_conn_c"));
    create_topic(&admin, &topic, 2).await;
    let clients = live_clients(&topic, &pg, &cg).await;
    let client_id = clients.client_id().to_owned();

    let producers = admin
        .producer_connection(&pg, &topic)
        .await
        .expect("producers");
    assert!(
        producers
            .connection_set
            .iter()
            .any(|c| c.client_id == client_id),
        "{producers:?}"
    );
    let consumers = admin.consumer_connection(&cg).await.expect("consumers");
    assert!(
        consumers
            .connection_set
            .iter()
            .any(|c| c.client_id == client_id),
        "{consumers:?}"
    );
    assert!(consumers.subscription_table.contains_key(&topic));
    let info = admin
        .consumer_running_info(&cg, &client_id, false)
        .await
        .expect("running info");
    // A real consumer also subscribes to its group's retry topic.
    assert!(
        info.subscription_set.iter().any(|s| s.topic == topic),
        "{info:?}"
    );

    clients.shutdown().await;
    let err = admin
        .consumer_connection(&names::group("nobody"))
        .await
        .expect_err("no consumer");
    assert!(
        matches!(err.kind(), ErrorKind::Broker(_) | ErrorKind::NotFound),
        "{err:?}"
    );
    admin.shutdown().await;
}

/// Offsets cloned to another (pre-created) group match the source's.
#[tokio::test]
async fn clone_group_offset_copies_committed_offsets() {
    let shared = rmq_tests::shared();
    let admin = admin().await;
    let topic = names::topic("admin_clone");
    let (src, dest) = (
        names::group("admin_clone_src"),
        names::group("admin_clone_dst"),
    );
    create_topic(&admin, &topic, 2).await;
    send(&admin, &topic, "c", 6).await;
    commit(&admin, &src, &topic, None).await;
    // The CI broker refuses to clone into a group it does not know (code 26): create it first.
    let dest_config = SubscriptionGroupConfig {
        group_name: dest.clone(),
        ..Default::default()
    };
    admin
        .create_or_update_group(&Target::Broker(shared.broker.clone()), &dest_config)
        .await
        .expect("dest group");
    admin
        .clone_group_offset(&src, &dest, &topic, true)
        .await
        .expect("clone");
    let stats = admin
        .consume_stats(&dest, Some(&topic))
        .await
        .expect("dest stats");
    assert_eq!(stats.total_diff(), 0, "{stats:?}");
    assert_eq!(
        stats
            .offset_table
            .values()
            .map(|o| o.consumer_offset)
            .sum::<i64>(),
        6
    );
    admin.shutdown().await;
}

/// KV config is put, read, listed and deleted on the name server.
#[tokio::test]
async fn kv_config_put_get_delete() {
    let admin = admin().await;
    let ns = names::name("ns", "kv");
    admin.put_kv_config(&ns, "k1", "v1").await.expect("put");
    assert_eq!(
        admin.kv_config(&ns, "k1").await.expect("get").as_deref(),
        Some("v1")
    );
    assert_eq!(
        admin
            .kv_list(&ns)
            .await
            .expect("list")
            .get("k1")
            .map(String::as_str),
        Some("v1")
    );
    admin.delete_kv_config(&ns, "k1").await.expect("delete");
    assert_eq!(admin.kv_config(&ns, "k1").await.expect("get"), None);
    admin.shutdown().await;
}

/// Name-server and broker configs are read, and written back unchanged.
#[tokio::test]
async fn namesrv_and_broker_config_read_and_update() {
    let shared = rmq_tests::shared();
    let admin = admin().await;
    let configs = admin.namesrv_config().await.expect("namesrv config");
    let config = &configs[&shared.namesrv];
    assert!(!config.is_empty());
    // A hot key both name-server lines accept, written back with its current value.
    let value = config
        .get("orderMessageEnable")
        .cloned()
        .unwrap_or_else(|| "false".into());
    admin
        .update_namesrv_config("orderMessageEnable", &value)
        .await
        .expect("update namesrv config");

    let target = Target::Broker(shared.broker.clone());
    let broker = admin.broker_config(&target).await.expect("broker config");
    let broker = &broker[&shared.broker];
    assert_eq!(broker.get("brokerClusterName"), Some(&shared.cluster));
    // A hot-reloadable key, written back with its current value (the CI broker refuses keys
    // that need a restart; Java accepts them).
    let value = broker
        .get("brokerPermission")
        .cloned()
        .unwrap_or_else(|| "6".into());
    admin
        .update_broker_config(&target, "brokerPermission", &value)
        .await
        .expect("update broker config");
    admin.shutdown().await;
}

/// Write permission of an unknown broker name: every name server answers with 0 topics.
/// (Wiping the shared broker's permission would break the tests running beside this one.)
#[tokio::test]
async fn write_perm_of_an_unknown_broker_touches_no_topic() {
    let shared = rmq_tests::shared();
    let admin = admin().await;
    let name = names::name("nobroker", "perm");
    let wiped = admin.wipe_write_perm(&name).await.expect("wipe");
    assert_eq!(wiped.get(&shared.namesrv), Some(&0));
    let added = admin.add_write_perm(&name).await.expect("add");
    assert_eq!(added.get(&shared.namesrv), Some(&0));
    admin.shutdown().await;
}

/// The clean-ups are accepted by the broker (or refused, per broker, without failing).
#[tokio::test]
async fn clean_expired_cq_and_unused_topic_report_per_broker() {
    let shared = rmq_tests::shared();
    let admin = admin().await;
    let target = Target::Cluster(shared.cluster.clone());
    let cq = admin
        .clean_expired_cq(&target)
        .await
        .expect("cleanExpiredCQ");
    assert!(cq.contains_key(&shared.broker), "{cq:?}");
    let unused = admin
        .clean_unused_topic(&target)
        .await
        .expect("cleanUnusedTopic");
    assert!(unused.contains_key(&shared.broker), "{unused:?}");
    admin.shutdown().await;
}

/// Broker statistics of a topic that received messages.
#[tokio::test]
async fn broker_stats_count_puts() {
    let shared = rmq_tests::shared();
    let admin = admin().await;
    let topic = names::topic("admin_stats");
    create_topic(&admin, &topic, 1).await;
    send(&admin, &topic, "s", 3).await;
    match admin
        .broker_stats(&shared.broker, "TOPIC_PUT_NUMS", &topic)
        .await
    {
        Ok(stats) => assert!(stats.stats_minute.sum >= 0),
        Err(e) => assert!(matches!(e.kind(), ErrorKind::Broker(_)), "{e:?}"),
    }
    admin.shutdown().await;
}

/// An unreachable name server fails with a connection error naming it; no name server at all
/// is an invalid argument.
#[tokio::test]
async fn unreachable_or_missing_name_server_is_reported() {
    let admin = Admin::connect("127.0.0.1:1")
        .await
        .expect("builds without contacting it");
    let err = admin
        .topic_list()
        .await
        .expect_err("nothing listens on port 1");
    assert_eq!(err.kind(), ErrorKind::Connection);
    assert!(
        rmq_client_admin::report(&err).contains("127.0.0.1:1"),
        "{err}"
    );
    admin.shutdown().await;
    let err = Admin::builder().build().await.expect_err("no name server");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}
