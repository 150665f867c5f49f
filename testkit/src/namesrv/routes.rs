//! The name server's route table (Java `RouteInfoManager`): which brokers exist, in which
//! cluster, at which addresses, and which queues each serves per topic. Brokers write it
//! in-process; tests can hide a broker from every answer.

use std::collections::{BTreeMap, BTreeSet};

use rmq_protocol::body::{BrokerData, ClusterInfo, QueueData, TopicRouteData};
use rmq_protocol::perm;

/// Most topics the table holds; registrations beyond it are ignored.
pub(crate) const MAX_TOPICS: usize = 100_000;

/// Brokers and topic queues, as the name server knows them.
#[derive(Debug, Default)]
pub(crate) struct Routes {
    brokers: BTreeMap<String, BrokerEntry>,
    topics: BTreeMap<String, BTreeMap<String, QueueData>>,
    /// Brokers removed from routes by a test: kept, but left out of every answer, across
    /// unregistering and registering again.
    hidden: BTreeSet<String>,
}

#[derive(Debug, Default)]
struct BrokerEntry {
    cluster: String,
    addrs: BTreeMap<i64, String>,
}

/// One topic's queues on a broker, as a broker registers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TopicQueues {
    /// The topic.
    pub topic: String,
    /// Read queues.
    pub read: i32,
    /// Write queues.
    pub write: i32,
    /// `perm` bits.
    pub perm: i32,
    /// Topic sys flag.
    pub sys_flag: i32,
}

impl Routes {
    /// Registers broker `name` (`id` 0 = master) at `addr` with its full topic list, replacing
    /// what it registered before (Java: `registerBroker` with the topic config wrapper).
    pub(crate) fn register_broker(
        &mut self,
        cluster: &str,
        name: &str,
        id: i64,
        addr: &str,
        topics: &[TopicQueues],
    ) {
        let entry = self.brokers.entry(name.to_owned()).or_default();
        entry.cluster = cluster.to_owned();
        entry.addrs.insert(id, addr.to_owned());
        if id != 0 {
            return;
        }
        for queues in self.topics.values_mut() {
            queues.remove(name);
        }
        self.topics.retain(|_, queues| !queues.is_empty());
        for topic in topics {
            self.register_topic(name, topic);
        }
    }

    /// Adds or replaces one topic's queues on broker `name`.
    pub(crate) fn register_topic(&mut self, name: &str, topic: &TopicQueues) {
        if self.topics.len() >= MAX_TOPICS && !self.topics.contains_key(&topic.topic) {
            return;
        }
        let data = QueueData {
            broker_name: name.to_owned(),
            perm: topic.perm,
            read_queue_nums: topic.read,
            topic_sys_flag: topic.sys_flag,
            write_queue_nums: topic.write,
        };
        self.topics
            .entry(topic.topic.clone())
            .or_default()
            .insert(name.to_owned(), data);
    }

    /// Removes one topic from broker `name`.
    pub(crate) fn unregister_topic(&mut self, name: &str, topic: &str) {
        if let Some(queues) = self.topics.get_mut(topic) {
            queues.remove(name);
            if queues.is_empty() {
                self.topics.remove(topic);
            }
        }
    }

    /// Removes address `id` of broker `name`; with no address left, the broker and its queues
    /// go too (Java: `unregisterBroker` / `onChannelDestroy`; a slave keeps the queues readable).
    pub(crate) fn unregister_broker(&mut self, name: &str, id: i64) {
        let Some(entry) = self.brokers.get_mut(name) else {
            return;
        };
        entry.addrs.remove(&id);
        if !entry.addrs.is_empty() {
            return;
        }
        self.brokers.remove(name);
        for queues in self.topics.values_mut() {
            queues.remove(name);
        }
        self.topics.retain(|_, queues| !queues.is_empty());
    }

    /// Hides broker `name` from (or shows it again in) every answer, registered or not.
    pub(crate) fn set_hidden(&mut self, name: &str, hidden: bool) {
        if hidden {
            if self.hidden.len() < MAX_TOPICS {
                self.hidden.insert(name.to_owned());
            }
        } else {
            self.hidden.remove(name);
        }
    }

    fn visible(&self, name: &str) -> Option<&BrokerEntry> {
        self.brokers
            .get(name)
            .filter(|_| !self.hidden.contains(name))
    }

    fn broker_data(&self, name: &str, entry: &BrokerEntry) -> BrokerData {
        BrokerData {
            broker_addrs: entry.addrs.clone(),
            broker_name: name.to_owned(),
            cluster: entry.cluster.clone(),
            ..BrokerData::default()
        }
    }

    /// The route of `topic`, or `None` when no visible broker serves it (Java:
    /// `pickupTopicRouteData`).
    pub(crate) fn route(&self, topic: &str) -> Option<TopicRouteData> {
        let queues = self.topics.get(topic)?;
        let mut route = TopicRouteData::default();
        for (name, data) in queues {
            if let Some(entry) = self.visible(name) {
                route.queue_datas.push(data.clone());
                route.broker_datas.push(self.broker_data(name, entry));
            }
        }
        (!route.broker_datas.is_empty()).then_some(route)
    }

    /// Every visible broker by name and every cluster's broker names.
    pub(crate) fn cluster_info(&self) -> ClusterInfo {
        let mut info = ClusterInfo::default();
        for (name, entry) in &self.brokers {
            if self.hidden.contains(name) {
                continue;
            }
            info.broker_addr_table
                .insert(name.clone(), self.broker_data(name, entry));
            info.cluster_addr_table
                .entry(entry.cluster.clone())
                .or_default()
                .push(name.clone());
        }
        info
    }

    /// Every topic with a queue on some broker.
    pub(crate) fn topics(&self) -> Vec<String> {
        self.topics.keys().cloned().collect()
    }

    /// Topics served by a broker of `cluster`.
    pub(crate) fn topics_of_cluster(&self, cluster: &str) -> Vec<String> {
        let names: BTreeSet<&str> = self
            .brokers
            .iter()
            .filter(|(_, e)| e.cluster == cluster)
            .map(|(n, _)| n.as_str())
            .collect();
        self.topics
            .iter()
            .filter(|(_, queues)| queues.keys().any(|b| names.contains(b.as_str())))
            .map(|(t, _)| t.clone())
            .collect()
    }

    /// Removes `topic` everywhere (Java: `deleteTopic`); whether it existed.
    pub(crate) fn delete_topic(&mut self, topic: &str) -> bool {
        self.topics.remove(topic).is_some()
    }

    /// Sets or clears the write permission of every topic of broker `name`; how many topics
    /// changed (Java: `wipeWritePermOfBrokerByLock` / `addWritePermOfBrokerByLock`).
    pub(crate) fn set_write_perm(&mut self, name: &str, writable: bool) -> i32 {
        let mut count = 0;
        for queues in self.topics.values_mut() {
            if let Some(data) = queues.get_mut(name) {
                data.perm = if writable {
                    data.perm | perm::WRITE
                } else {
                    data.perm & !perm::WRITE
                };
                count += 1;
            }
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(name: &str, queues: i32) -> TopicQueues {
        TopicQueues {
            topic: name.into(),
            read: queues,
            write: queues,
            perm: perm::READ_WRITE,
            sys_flag: 0,
        }
    }

    #[test]
    fn route_lists_every_broker_serving_the_topic() {
        let mut routes = Routes::default();
        routes.register_broker("C", "a", 0, "127.0.0.1:1", &[topic("T", 4)]);
        routes.register_broker("C", "b", 0, "127.0.0.1:2", &[topic("T", 2)]);
        let route = routes.route("T").expect("route");
        assert_eq!(route.broker_datas.len(), 2);
        assert_eq!(route.queue_datas[1].write_queue_nums, 2);
        assert!(routes.route("U").is_none());
    }

    #[test]
    fn hidden_broker_leaves_routes_and_cluster_info() {
        let mut routes = Routes::default();
        routes.register_broker("C", "a", 0, "127.0.0.1:1", &[topic("T", 4)]);
        routes.register_broker("C", "b", 0, "127.0.0.1:2", &[topic("T", 4)]);
        routes.set_hidden("a", true);
        let route = routes.route("T").expect("route");
        assert_eq!(route.broker_datas[0].broker_name, "b");
        assert!(!routes.cluster_info().broker_addr_table.contains_key("a"));
        routes.unregister_broker("a", 0);
        routes.register_broker("C", "a", 0, "127.0.0.1:1", &[topic("T", 4)]);
        assert_eq!(
            routes.route("T").expect("route").broker_datas.len(),
            1,
            "still hidden"
        );
        routes.set_hidden("a", false);
        assert_eq!(routes.route("T").expect("route").broker_datas.len(), 2);
    }

    #[test]
    fn unregistering_the_master_drops_its_queues() {
        let mut routes = Routes::default();
        routes.register_broker("C", "a", 0, "127.0.0.1:1", &[topic("T", 4)]);
        routes.unregister_broker("a", 0);
        assert!(routes.route("T").is_none());
        assert!(routes.topics().is_empty());
    }

    #[test]
    fn slave_keeps_queues_routed_while_the_master_is_gone() {
        let mut routes = Routes::default();
        routes.register_broker("C", "a", 0, "127.0.0.1:1", &[topic("T", 4)]);
        routes.register_broker("C", "a", 1, "127.0.0.1:2", &[]);
        routes.unregister_broker("a", 0);
        let route = routes.route("T").expect("route via the slave");
        assert_eq!(route.broker_datas[0].master_addr(), None);
        assert_eq!(
            route.broker_datas[0]
                .broker_addrs
                .get(&1)
                .map(String::as_str),
            Some("127.0.0.1:2")
        );
    }

    #[test]
    fn wipe_write_perm_counts_topics() {
        let mut routes = Routes::default();
        routes.register_broker("C", "a", 0, "x:1", &[topic("T", 1), topic("U", 1)]);
        assert_eq!(routes.set_write_perm("a", false), 2);
        let route = routes.route("T").expect("route");
        assert!(!perm::is_writeable(route.queue_datas[0].perm));
    }
}
