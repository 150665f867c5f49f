//! Turning routes into what producers and consumers use (Java's
//! `topicRouteData2TopicPublishInfo` / `topicRouteData2TopicSubscribeInfo`), and the route
//! table itself: copy-on-write, readers clone an `Arc` and let go at once.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use dashmap::DashMap;
use rmq_protocol::body::{MessageQueue, TopicRouteData};
use rmq_protocol::perm;

/// Where a producer may send messages of one topic (Java's `TopicPublishInfo`).
#[derive(Debug)]
pub struct PublishInfo {
    /// Whether the route came from the name server's `orderTopicConf`.
    pub order_topic: bool,
    /// Whether this is a real route of the topic (not the auto-create template's).
    pub have_route: bool,
    /// Writable queues, broker by broker in name order.
    pub queues: Vec<MessageQueue>,
    /// The route the queues came from.
    pub route: Arc<TopicRouteData>,
    next: AtomicU32,
}

impl PublishInfo {
    /// Builds the publish info of `topic` from its route.
    pub fn from_route(topic: &str, route: Arc<TopicRouteData>, have_route: bool) -> Self {
        let mut queues = Vec::new();
        let conf = route.order_topic_conf.as_deref().filter(|c| !c.is_empty());
        let order_topic = conf.is_some();
        if let Some(conf) = conf {
            for item in conf.split(';') {
                let Some((broker, nums)) = item.split_once(':') else {
                    continue;
                };
                let nums = nums.trim().parse::<i32>().unwrap_or(0);
                queues.extend((0..nums).map(|i| MessageQueue::new(topic, broker, i)));
            }
        } else {
            let mut datas = route.queue_datas.clone();
            datas.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
            for qd in datas.iter().filter(|qd| perm::is_writeable(qd.perm)) {
                let has_master = route
                    .broker_datas
                    .iter()
                    .find(|bd| bd.broker_name == qd.broker_name)
                    .is_some_and(|bd| bd.master_addr().is_some());
                if has_master {
                    queues.extend(
                        (0..qd.write_queue_nums)
                            .map(|i| MessageQueue::new(topic, &qd.broker_name, i)),
                    );
                }
            }
        }
        PublishInfo {
            order_topic,
            have_route,
            queues,
            route,
            next: AtomicU32::new(rand_seed()),
        }
    }

    /// Whether there is at least one queue to send to.
    pub fn is_ok(&self) -> bool {
        !self.queues.is_empty()
    }

    /// The next queue in round-robin order, skipping `avoid_broker` when another broker has a
    /// queue (Java's `selectOneMessageQueue(lastBrokerName)`).
    pub fn select_queue(&self, avoid_broker: Option<&str>) -> Option<&MessageQueue> {
        let n = self.queues.len();
        if n == 0 {
            return None;
        }
        if let Some(avoid) = avoid_broker {
            for _ in 0..n {
                let i = self.next.fetch_add(1, Ordering::Relaxed) as usize % n;
                if self.queues[i].broker_name != avoid {
                    return Some(&self.queues[i]);
                }
            }
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) as usize % n;
        Some(&self.queues[i])
    }
}

fn rand_seed() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    nanos ^ std::process::id()
}

/// The readable queues of `topic` (Java's `topicRouteData2TopicSubscribeInfo`).
pub fn subscribe_queues(topic: &str, route: &TopicRouteData) -> BTreeSet<MessageQueue> {
    route
        .queue_datas
        .iter()
        .filter(|qd| perm::is_readable(qd.perm))
        .flat_map(|qd| {
            (0..qd.read_queue_nums).map(|i| MessageQueue::new(topic, &qd.broker_name, i))
        })
        .collect()
}

/// Whether two routes differ once their queue and broker lists are sorted.
pub fn route_changed(old: Option<&TopicRouteData>, new: &TopicRouteData) -> bool {
    let Some(old) = old else { return true };
    normalized(old) != normalized(new)
}

fn normalized(route: &TopicRouteData) -> TopicRouteData {
    let mut r = route.clone();
    r.queue_datas
        .sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
    r.broker_datas
        .sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
    r
}

/// Topic name to its latest route.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: DashMap<String, Arc<TopicRouteData>>,
}

impl RouteTable {
    /// The route of `topic`, if known.
    pub fn get(&self, topic: &str) -> Option<Arc<TopicRouteData>> {
        self.routes.get(topic).map(|r| r.value().clone())
    }

    /// Replaces the route of `topic`.
    pub fn insert(&self, topic: &str, route: Arc<TopicRouteData>) {
        self.routes.insert(topic.to_owned(), route);
    }

    /// Forgets `topic`.
    pub fn remove(&self, topic: &str) {
        self.routes.remove(topic);
    }

    /// Every known topic.
    pub fn topics(&self) -> Vec<String> {
        self.routes.iter().map(|e| e.key().clone()).collect()
    }

    /// Whether any route lists `addr` as a broker address.
    pub fn has_broker_addr(&self, addr: &str) -> bool {
        self.routes.iter().any(|e| {
            e.value()
                .broker_datas
                .iter()
                .any(|bd| bd.broker_addrs.values().any(|a| a == addr))
        })
    }

    /// Number of known topics.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether no route is known.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmq_protocol::body::{BrokerData, QueueData};

    fn route(brokers: &[(&str, bool, i32, i32)]) -> TopicRouteData {
        TopicRouteData {
            broker_datas: brokers
                .iter()
                .map(|(name, master, _, _)| BrokerData {
                    broker_name: (*name).into(),
                    broker_addrs: if *master {
                        [(0, format!("127.0.0.1:{}", name.len()))].into()
                    } else {
                        [(1, "127.0.0.1:1".to_owned())].into()
                    },
                    ..Default::default()
                })
                .collect(),
            queue_datas: brokers
                .iter()
                .map(|(name, _, perm, n)| QueueData {
                    broker_name: (*name).into(),
                    perm: *perm,
                    read_queue_nums: *n,
                    write_queue_nums: *n,
                    topic_sys_flag: 0,
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn publish_queues_skip_read_only_and_masterless_brokers_in_name_order() {
        let r = Arc::new(route(&[
            ("b", true, 6, 2),
            ("a", true, 6, 1),
            ("c", false, 6, 4),
            ("d", true, 4, 4),
        ]));
        let info = PublishInfo::from_route("T", r, true);
        let got: Vec<_> = info
            .queues
            .iter()
            .map(|q| (q.broker_name.as_str(), q.queue_id))
            .collect();
        assert_eq!(got, [("a", 0), ("b", 0), ("b", 1)]);
    }

    #[test]
    fn order_topic_conf_defines_the_queues() {
        let mut r = route(&[("a", true, 6, 8)]);
        r.order_topic_conf = Some("a:2;b:1".into());
        let info = PublishInfo::from_route("T", Arc::new(r), true);
        assert!(info.order_topic);
        assert_eq!(info.queues.len(), 3);
    }

    #[test]
    fn select_queue_round_robins_and_avoids_the_failed_broker() {
        let info = PublishInfo::from_route(
            "T",
            Arc::new(route(&[("a", true, 6, 2), ("b", true, 6, 2)])),
            true,
        );
        for _ in 0..8 {
            assert_eq!(
                info.select_queue(Some("a")).expect("queue").broker_name,
                "b"
            );
        }
        let picked: BTreeSet<_> = (0..4)
            .map(|_| info.select_queue(None).expect("queue").clone())
            .collect();
        assert_eq!(picked.len(), 4, "four calls visit all four queues");
    }

    #[test]
    fn subscribe_queues_use_read_perm_and_read_counts() {
        let qs = subscribe_queues("T", &route(&[("a", true, 4, 3), ("b", true, 2, 5)]));
        assert_eq!(qs.len(), 3);
    }

    #[test]
    fn route_change_ignores_list_order() {
        let a = route(&[("a", true, 6, 1), ("b", true, 6, 1)]);
        let b = route(&[("b", true, 6, 1), ("a", true, 6, 1)]);
        assert!(!route_changed(Some(&a), &b));
        assert!(route_changed(None, &b));
        assert!(route_changed(
            Some(&a),
            &route(&[("a", true, 6, 2), ("b", true, 6, 1)])
        ));
    }
}
