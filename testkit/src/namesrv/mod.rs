//! The name server (Java `DefaultRequestProcessor`): routes, cluster info, topic lists, KV
//! config and its own config. Brokers register in-process through [`Namesrv::routes`], not over
//! TCP, so REGISTER_BROKER from a client is not served.

mod controller;
mod routes;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::future::BoxFuture;
use rmq_protocol::body::{KvTable, TopicList};
use rmq_protocol::header::{
    AddWritePermOfBrokerRequestHeader, AddWritePermOfBrokerResponseHeader,
    DeleteKvConfigRequestHeader, DeleteTopicFromNamesrvRequestHeader, GetKvConfigRequestHeader,
    GetKvConfigResponseHeader, GetKvListByNamespaceRequestHeader, GetRouteInfoRequestHeader,
    GetTopicsByClusterRequestHeader, PutKvConfigRequestHeader, WipeWritePermOfBrokerRequestHeader,
    WipeWritePermOfBrokerResponseHeader,
};
use rmq_protocol::{Command, RequestCode, ResponseCode};

use crate::reply;
use crate::server::{ClientConn, Service};

pub(crate) use routes::{Routes, TopicQueues};

/// Most KV namespaces, and keys per namespace, kept.
const MAX_KV: usize = 10_000;
/// Most name-server config entries kept.
const MAX_CONFIG: usize = 1_000;
/// Java's KV namespace for ordered-topic configs, which a route carries as `orderTopicConf`.
const ORDER_TOPIC_CONFIG: &str = "ORDER_TOPIC_CONFIG";

/// Name-server state; its routes are shared with the brokers.
#[derive(Debug)]
pub(crate) struct Namesrv {
    routes: Mutex<Routes>,
    kv: Mutex<BTreeMap<String, BTreeMap<String, String>>>,
    config: Mutex<BTreeMap<String, String>>,
    /// The controller on the same address, when the cluster runs in controller mode.
    controller: Mutex<Option<controller::Controller>>,
    /// Static-topic mapping infos by topic and broker name, as brokers register them (Java
    /// `RouteInfoManager.topicQueueMappingInfoTable`); a route carries its topic's.
    mappings: Mutex<BTreeMap<String, BTreeMap<String, serde_json::Value>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Namesrv {
    /// An empty name server that listens on `port` (reported in its config).
    pub(crate) fn new(port: u16) -> Namesrv {
        let config = [
            ("listenPort", port.to_string()),
            ("orderMessageEnable", "false".into()),
            ("clusterTest", "false".into()),
            ("rocketmqHome", String::new()),
        ];
        Namesrv {
            routes: Mutex::new(Routes::default()),
            kv: Mutex::new(BTreeMap::new()),
            config: Mutex::new(config.into_iter().map(|(k, v)| (k.into(), v)).collect()),
            controller: Mutex::new(None),
            mappings: Mutex::new(BTreeMap::new()),
        }
    }

    /// Registers broker `bname`'s static-topic mapping info of `topic` (refused past
    /// [`MAX_KV`] topics).
    pub(crate) fn register_mapping(&self, topic: &str, bname: &str, info: serde_json::Value) {
        let mut mappings = lock(&self.mappings);
        if mappings.len() >= MAX_KV && !mappings.contains_key(topic) {
            return;
        }
        let by_broker = mappings.entry(topic.to_owned()).or_default();
        if by_broker.len() < MAX_KV || by_broker.contains_key(bname) {
            by_broker.insert(bname.to_owned(), info);
        }
    }

    /// Starts serving controller requests on this name server's address `addr`.
    pub(crate) fn enable_controller(&self, addr: String) {
        *lock(&self.controller) = Some(controller::Controller::new(addr));
    }

    /// Whether the cluster runs in controller mode.
    pub(crate) fn controller_mode(&self) -> bool {
        lock(&self.controller).is_some()
    }

    /// The route table, locked.
    pub(crate) fn routes(&self) -> MutexGuard<'_, Routes> {
        lock(&self.routes)
    }

    /// Whether `topic` is listed in the `ORDER_TOPIC_CONFIG` KV namespace, which Java brokers
    /// read back on registration to mark their order topics.
    pub(crate) fn is_order_topic(&self, topic: &str) -> bool {
        lock(&self.kv)
            .get(ORDER_TOPIC_CONFIG)
            .is_some_and(|ns| ns.contains_key(topic))
    }

    fn serve(&self, request: &Command) -> Command {
        match request.request_code() {
            RequestCode::GET_ROUTEINFO_BY_TOPIC => self.route(request),
            RequestCode::GET_BROKER_CLUSTER_INFO => reply::json(&self.routes().cluster_info()),
            RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER => reply::json(&TopicList {
                topic_list: self.routes().topics(),
                broker_addr: None,
            }),
            RequestCode::GET_TOPICS_BY_CLUSTER => {
                match reply::header::<GetTopicsByClusterRequestHeader>(request) {
                    Ok(h) => reply::json(&TopicList {
                        topic_list: self.routes().topics_of_cluster(&h.cluster),
                        broker_addr: None,
                    }),
                    Err(answer) => answer,
                }
            }
            RequestCode::DELETE_TOPIC_IN_NAMESRV => {
                match reply::header::<DeleteTopicFromNamesrvRequestHeader>(request) {
                    Ok(h) => {
                        self.routes().delete_topic(&h.topic);
                        lock(&self.mappings).remove(&h.topic);
                        reply::ok()
                    }
                    Err(answer) => answer,
                }
            }
            RequestCode::WIPE_WRITE_PERM_OF_BROKER => {
                match reply::header::<WipeWritePermOfBrokerRequestHeader>(request) {
                    Ok(h) => reply::with_header(&WipeWritePermOfBrokerResponseHeader {
                        wipe_topic_count: self.routes().set_write_perm(&h.broker_name, false),
                    }),
                    Err(answer) => answer,
                }
            }
            RequestCode::ADD_WRITE_PERM_OF_BROKER => {
                match reply::header::<AddWritePermOfBrokerRequestHeader>(request) {
                    Ok(h) => reply::with_header(&AddWritePermOfBrokerResponseHeader {
                        add_topic_count: self.routes().set_write_perm(&h.broker_name, true),
                    }),
                    Err(answer) => answer,
                }
            }
            RequestCode::PUT_KV_CONFIG
            | RequestCode::GET_KV_CONFIG
            | RequestCode::DELETE_KV_CONFIG
            | RequestCode::GET_KVLIST_BY_NAMESPACE => self.kv(request),
            RequestCode::GET_NAMESRV_CONFIG => {
                let text = reply::format_properties(&lock(&self.config));
                reply::ok().with_body(text.into_bytes())
            }
            RequestCode::UPDATE_NAMESRV_CONFIG => self.update_config(request),
            code if controller::serves(code) => match &mut *lock(&self.controller) {
                Some(controller) => controller.serve(&self.routes(), request),
                None => reply::not_supported(request.code),
            },
            _ => reply::not_supported(request.code),
        }
    }

    fn route(&self, request: &Command) -> Command {
        let h = match reply::header::<GetRouteInfoRequestHeader>(request) {
            Ok(h) => h,
            Err(answer) => return answer,
        };
        let route = self.routes().route(&h.topic);
        match route {
            Some(mut route) => {
                route.order_topic_conf = lock(&self.kv)
                    .get(ORDER_TOPIC_CONFIG)
                    .and_then(|ns| ns.get(&h.topic))
                    .cloned();
                route.topic_queue_mapping_by_broker = lock(&self.mappings)
                    .get(&h.topic)
                    .map(|by_broker| serde_json::json!(by_broker));
                reply::json(&route)
            }
            // Java: DefaultRequestProcessor#getRouteInfoByTopic with FAQUrl.suggestTodo.
            None => reply::error(
                ResponseCode::TOPIC_NOT_EXIST,
                format!(
                    "No topic route info in name server for the topic: {}\nSee http://rocketmq.apache.org/docs/faq/ for further details.",
                    h.topic
                ),
            ),
        }
    }

    fn kv(&self, request: &Command) -> Command {
        let mut kv = lock(&self.kv);
        match request.request_code() {
            RequestCode::PUT_KV_CONFIG => {
                match reply::header::<PutKvConfigRequestHeader>(request) {
                    Ok(h) => {
                        if kv.len() >= MAX_KV && !kv.contains_key(&h.namespace) {
                            return reply::error(ResponseCode::SYSTEM_ERROR, "too many namespaces");
                        }
                        let ns = kv.entry(h.namespace).or_default();
                        if ns.len() >= MAX_KV && !ns.contains_key(&h.key) {
                            return reply::error(ResponseCode::SYSTEM_ERROR, "too many keys");
                        }
                        ns.insert(h.key, h.value);
                        reply::ok()
                    }
                    Err(answer) => answer,
                }
            }
            RequestCode::GET_KV_CONFIG => {
                match reply::header::<GetKvConfigRequestHeader>(request) {
                    Ok(h) => match kv.get(&h.namespace).and_then(|ns| ns.get(&h.key)) {
                        Some(value) => reply::with_header(&GetKvConfigResponseHeader {
                            value: Some(value.clone()),
                        }),
                        None => reply::error(
                            ResponseCode::QUERY_NOT_FOUND,
                            format!("No config item, Namespace: {} Key: {}", h.namespace, h.key),
                        ),
                    },
                    Err(answer) => answer,
                }
            }
            RequestCode::DELETE_KV_CONFIG => {
                match reply::header::<DeleteKvConfigRequestHeader>(request) {
                    Ok(h) => {
                        if let Some(ns) = kv.get_mut(&h.namespace) {
                            ns.remove(&h.key);
                            if ns.is_empty() {
                                kv.remove(&h.namespace);
                            }
                        }
                        reply::ok()
                    }
                    Err(answer) => answer,
                }
            }
            _ => match reply::header::<GetKvListByNamespaceRequestHeader>(request) {
                Ok(h) => match kv.get(&h.namespace) {
                    Some(ns) => reply::json(&KvTable { table: ns.clone() }),
                    None => reply::error(
                        ResponseCode::QUERY_NOT_FOUND,
                        format!("No config item, Namespace: {}", h.namespace),
                    ),
                },
                Err(answer) => answer,
            },
        }
    }

    fn update_config(&self, request: &Command) -> Command {
        let Ok(text) = std::str::from_utf8(&request.body) else {
            return reply::error(ResponseCode::SYSTEM_ERROR, "string2Properties error");
        };
        let mut config = lock(&self.config);
        for (k, v) in reply::parse_properties(text) {
            if config.len() < MAX_CONFIG || config.contains_key(&k) {
                config.insert(k, v);
            }
        }
        reply::ok()
    }
}

impl Service for Namesrv {
    fn handle(
        self: Arc<Self>,
        request: Command,
        _conn: ClientConn,
    ) -> BoxFuture<'static, Option<Command>> {
        Box::pin(async move { Some(self.serve(&request)) })
    }
}
