//! Route refresh (Java's `updateTopicRouteInfoFromNameServer`): fetch a topic's route, and when
//! it changed, update the broker table, every producer's publish info and every consumer's
//! subscribe info. Also offline-broker clean-up and the address lookups built on routes.

use std::collections::BTreeSet;
use std::sync::Arc;

use rmq_protocol::body::TopicRouteData;
use rmq_protocol::naming;
use tracing::{debug, info, warn};

use crate::error::{Error, Result};
use crate::instance::{ClientInstance, LOCK_TIMEOUT};
use crate::route::{route_changed, subscribe_queues, PublishInfo};

impl ClientInstance {
    async fn namesrv_permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>> {
        match tokio::time::timeout(LOCK_TIMEOUT, self.inner.namesrv_lock.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Error::LockTimeout("name server", LOCK_TIMEOUT)),
        }
    }

    /// Refreshes the routes of every topic a producer publishes to or a consumer subscribes to.
    /// Failures are logged per topic and do not stop the others.
    pub async fn update_all_topic_routes(&self) {
        let mut topics = BTreeSet::new();
        for c in self.consumers_snapshot() {
            topics.extend(c.subscriptions().into_iter().map(|s| s.topic));
        }
        for p in self.producers_snapshot() {
            topics.extend(p.publish_topics());
        }
        for topic in topics {
            if let Err(e) = self.update_topic_route(&topic).await {
                if topic.starts_with(naming::RETRY_GROUP_TOPIC_PREFIX)
                    || topic == naming::AUTO_CREATE_TOPIC_KEY_TOPIC
                {
                    debug!(%topic, error = %rmq_remoting::Error::chain(&e), "route refresh failed");
                } else {
                    warn!(%topic, error = %rmq_remoting::Error::chain(&e), "route refresh failed");
                }
            }
        }
    }

    /// Fetches `topic`'s route from the name server and applies it when it changed (or when a
    /// producer or consumer still lacks it). Returns whether anything was updated.
    ///
    /// Concurrent calls for one topic share a single request (see `route_flight.rs`).
    ///
    /// # Errors
    /// [`Error::RouteNotFound`] when the name server does not know the topic; otherwise
    /// [`Error::RouteLookup`] naming the topic, with the cause (transport error, broker code,
    /// [`Error::LockTimeout`] when other updates held the lock for over 3 s) as its source.
    ///
    /// # Cancel safety
    /// Dropping the future stops waiting; the lookup itself runs to its end for other callers.
    pub async fn update_topic_route(&self, topic: &str) -> Result<bool> {
        let owned = topic.to_owned();
        self.single_flight(format!("route:{topic}"), move |instance| async move {
            instance.fetch_topic_route(&owned).await
        })
        .await
        .map_err(|e| crate::single_flight::route_error(topic, e))
    }

    /// [`update_topic_route`](Self::update_topic_route) without the single flight.
    pub(crate) async fn fetch_topic_route(&self, topic: &str) -> Result<bool> {
        let _permit = self.namesrv_permit().await?;
        let route = self
            .api()
            .topic_route(topic, self.config().api_timeout())
            .await?
            .ok_or_else(|| Error::RouteNotFound {
                topic: topic.to_owned(),
                reason: "the name server answered TOPIC_NOT_EXIST".into(),
            })?;
        Ok(self.apply_route(topic, route))
    }

    /// Uses the route of `key_topic` (Java: `TBW102`) for `topic`, each broker's queue count
    /// capped at `queue_nums`, so that a producer can send to a topic the broker will
    /// auto-create.
    ///
    /// # Errors
    /// As [`update_topic_route`](Self::update_topic_route), for `key_topic`.
    pub async fn update_topic_route_from_default(
        &self,
        topic: &str,
        key_topic: &str,
        queue_nums: i32,
    ) -> Result<bool> {
        let _permit = self.namesrv_permit().await?;
        let mut route = self
            .api()
            .topic_route(key_topic, self.config().api_timeout())
            .await?
            .ok_or_else(|| Error::RouteNotFound {
                topic: topic.to_owned(),
                reason: format!(
                    "no route for the topic, nor for the auto-create topic {key_topic}"
                ),
            })?;
        for qd in &mut route.queue_datas {
            let n = queue_nums.min(qd.read_queue_nums);
            qd.read_queue_nums = n;
            qd.write_queue_nums = n;
        }
        Ok(self.apply_route(topic, route))
    }

    fn apply_route(&self, topic: &str, route: TopicRouteData) -> bool {
        let old = self.routes().get(topic);
        let changed = route_changed(old.as_deref(), &route) || self.needs_route(topic);
        if !changed {
            return false;
        }
        info!(%topic, brokers = route.broker_datas.len(), queues = route.queue_datas.len(), "topic route updated");
        for bd in &route.broker_datas {
            self.brokers()
                .update(&bd.broker_name, bd.broker_addrs.clone());
        }
        let route = Arc::new(route);
        let publish = Arc::new(PublishInfo::from_route(topic, route.clone(), true));
        for p in self.producers_snapshot() {
            p.update_topic_publish_info(topic, publish.clone());
        }
        let queues = subscribe_queues(topic, &route);
        let mut first_route_for_a_consumer = false;
        for c in self.consumers_snapshot() {
            c.update_topic_subscribe_info(topic, &queues);
            first_route_for_a_consumer |=
                old.is_none() && c.subscriptions().iter().any(|s| s.topic == topic);
        }
        self.routes().insert(topic, route);
        if first_route_for_a_consumer {
            // A topic that appeared after the consumer started: assign its queues now rather
            // than at the next 20 s round.
            self.rebalance_immediately();
        }
        true
    }

    fn needs_route(&self, topic: &str) -> bool {
        self.producers_snapshot()
            .iter()
            .any(|p| p.is_publish_topic_need_update(topic))
            || self
                .consumers_snapshot()
                .iter()
                .any(|c| c.is_subscribe_topic_need_update(topic))
    }

    /// Removes broker addresses that no known route mentions any more.
    ///
    /// # Errors
    /// [`Error::LockTimeout`] when a route update holds the lock for over 3 s.
    pub async fn clean_offline_brokers(&self) -> Result<()> {
        let _permit = self.namesrv_permit().await?;
        let routes = self.routes();
        for (name, addr) in self
            .brokers()
            .retain_addrs(|addr| routes.has_broker_addr(addr))
        {
            info!(broker = %name, %addr, "broker address is offline, removed");
        }
        Ok(())
    }

    /// Any broker address serving `topic`: a random broker group of its route, its master if
    /// it has one (Java's `findBrokerAddrByTopic`).
    pub fn find_broker_addr_by_topic(&self, topic: &str) -> Option<String> {
        let route = self.routes().get(topic)?;
        let n = route.broker_datas.len();
        if n == 0 {
            return None;
        }
        let bd = &route.broker_datas[cheap_random() % n];
        bd.master_addr().map(str::to_owned).or_else(|| {
            bd.broker_addrs
                .values()
                .nth(cheap_random() % bd.broker_addrs.len().max(1))
                .cloned()
        })
    }

    /// The client ids of `group`'s consumers, asked from a broker serving `topic`.
    ///
    /// # Errors
    /// No broker for the topic, or the broker's error.
    pub async fn find_consumer_id_list(&self, topic: &str, group: &str) -> Result<Vec<String>> {
        let addr = match self.find_broker_addr_by_topic(topic) {
            Some(a) => a,
            None => {
                self.update_topic_route(topic).await?;
                self.find_broker_addr_by_topic(topic)
                    .ok_or_else(|| Error::RouteNotFound {
                        topic: topic.to_owned(),
                        reason: "the route lists no broker".into(),
                    })?
            }
        };
        self.api()
            .consumer_id_list(&addr, group, self.config().api_timeout())
            .await
    }
}

fn cheap_random() -> usize {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    h.finish() as usize
}
