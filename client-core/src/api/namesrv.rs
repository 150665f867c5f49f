//! Name-server RPCs: routes, cluster info, topic lists, KV config, write permission and the
//! name server's own config.
//!
//! Reads go to the current name server (sticky, rotating on connection errors). Writes that
//! Java sends to every name server (KV config, topic deletion) are sent to every configured
//! one here too; per-server operations (write permission, config) take the address.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use rmq_protocol::body::{ClusterInfo, KvTable, TopicList, TopicRouteData};
use rmq_protocol::header::{
    AddWritePermOfBrokerRequestHeader, AddWritePermOfBrokerResponseHeader,
    DeleteKvConfigRequestHeader, DeleteTopicFromNamesrvRequestHeader, GetKvConfigRequestHeader,
    GetKvConfigResponseHeader, GetKvListByNamespaceRequestHeader, GetRouteInfoRequestHeader,
    GetTopicsByClusterRequestHeader, PutKvConfigRequestHeader, WipeWritePermOfBrokerRequestHeader,
    WipeWritePermOfBrokerResponseHeader,
};
use rmq_protocol::{Command, RequestCode, ResponseCode};

use super::properties::{format_properties, parse_properties};
use super::{bad_answer, json_body, ClientApi};
use crate::error::{Error, Result};

impl ClientApi {
    /// GET_ROUTEINFO_BY_TOPIC (105): the topic's route, or `None` when the name server answers
    /// `TOPIC_NOT_EXIST` (a normal outcome: the topic may be auto-created on first send).
    ///
    /// Sends version 407 and `acceptStandardJsonOnly=true`, so >= 4.9.4 name servers answer in
    /// standard JSON; older ones answer fastjson's bare-key form, which is read as well.
    ///
    /// # Errors
    /// [`Error::Broker`] for any other code (5.x answers `SYSTEM_ERROR` while not ready),
    /// [`Error::BadAnswer`] for a success without a body, transport and parse errors.
    pub async fn topic_route(
        &self,
        topic: &str,
        timeout: Duration,
    ) -> Result<Option<TopicRouteData>> {
        let header = GetRouteInfoRequestHeader {
            topic: topic.to_owned(),
            accept_standard_json_only: Some(true),
        };
        let cmd = self.request_with(RequestCode::GET_ROUTEINFO_BY_TOPIC, &header);
        let (addr, response) = self.call_namesrv(cmd, timeout).await?;
        match response.response_code() {
            ResponseCode::SUCCESS => json_body(&addr, &response).map(Some),
            ResponseCode::TOPIC_NOT_EXIST => Ok(None),
            _ => Err(Error::broker(&addr, &response)),
        }
    }

    /// GET_BROKER_CLUSTER_INFO (106): every broker group and cluster.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport and parse errors.
    pub async fn cluster_info(&self, timeout: Duration) -> Result<ClusterInfo> {
        let cmd = self.request(RequestCode::GET_BROKER_CLUSTER_INFO);
        let (addr, response) = self.call_namesrv_ok(cmd, timeout).await?;
        json_body(&addr, &response)
    }

    /// GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206): every topic name the name server knows.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport and parse errors.
    pub async fn all_topics(&self, timeout: Duration) -> Result<Vec<String>> {
        let cmd = self.request(RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER);
        let (addr, response) = self.call_namesrv_ok(cmd, timeout).await?;
        Ok(json_body::<TopicList>(&addr, &response)?.topic_list)
    }

    /// GET_TOPICS_BY_CLUSTER (224): the topics of one cluster.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport and parse errors.
    pub async fn topics_by_cluster(&self, cluster: &str, timeout: Duration) -> Result<Vec<String>> {
        let header = GetTopicsByClusterRequestHeader {
            cluster: cluster.to_owned(),
        };
        let cmd = self.request_with(RequestCode::GET_TOPICS_BY_CLUSTER, &header);
        let (addr, response) = self.call_namesrv_ok(cmd, timeout).await?;
        Ok(json_body::<TopicList>(&addr, &response)?.topic_list)
    }

    /// GET_KV_CONFIG (101): one value, or `None` when the name server answers
    /// `QUERY_NOT_FOUND`.
    ///
    /// # Errors
    /// [`Error::Broker`] for any other non-success code; transport errors.
    pub async fn kv_config_get(
        &self,
        namespace: &str,
        key: &str,
        timeout: Duration,
    ) -> Result<Option<String>> {
        let header = GetKvConfigRequestHeader {
            namespace: namespace.to_owned(),
            key: key.to_owned(),
        };
        let cmd = self.request_with(RequestCode::GET_KV_CONFIG, &header);
        let (addr, response) = self.call_namesrv(cmd, timeout).await?;
        match response.response_code() {
            ResponseCode::SUCCESS => {
                Ok(response.decode_header::<GetKvConfigResponseHeader>()?.value)
            }
            ResponseCode::QUERY_NOT_FOUND => Ok(None),
            _ => Err(Error::broker(&addr, &response)),
        }
    }

    /// PUT_KV_CONFIG (100), sent to every configured name server as Java does.
    ///
    /// # Errors
    /// The first failure after every server was tried ([`Error::Broker`] or transport).
    pub async fn kv_config_put(
        &self,
        namespace: &str,
        key: &str,
        value: &str,
        timeout: Duration,
    ) -> Result<()> {
        let header = PutKvConfigRequestHeader {
            namespace: namespace.to_owned(),
            key: key.to_owned(),
            value: value.to_owned(),
        };
        let cmd = self.request_with(RequestCode::PUT_KV_CONFIG, &header);
        self.call_every_namesrv(cmd, timeout).await
    }

    /// DELETE_KV_CONFIG (102), sent to every configured name server as Java does.
    ///
    /// # Errors
    /// The first failure after every server was tried ([`Error::Broker`] or transport).
    pub async fn kv_config_delete(
        &self,
        namespace: &str,
        key: &str,
        timeout: Duration,
    ) -> Result<()> {
        let header = DeleteKvConfigRequestHeader {
            namespace: namespace.to_owned(),
            key: key.to_owned(),
        };
        let cmd = self.request_with(RequestCode::DELETE_KV_CONFIG, &header);
        self.call_every_namesrv(cmd, timeout).await
    }

    /// GET_KVLIST_BY_NAMESPACE (219): every key and value of a namespace; empty when the name
    /// server answers `QUERY_NOT_FOUND`.
    ///
    /// # Errors
    /// [`Error::Broker`] for any other non-success code; transport and parse errors.
    pub async fn kv_list_by_namespace(
        &self,
        namespace: &str,
        timeout: Duration,
    ) -> Result<BTreeMap<String, String>> {
        let header = GetKvListByNamespaceRequestHeader {
            namespace: namespace.to_owned(),
        };
        let cmd = self.request_with(RequestCode::GET_KVLIST_BY_NAMESPACE, &header);
        let (addr, response) = self.call_namesrv(cmd, timeout).await?;
        match response.response_code() {
            ResponseCode::SUCCESS => Ok(json_body::<KvTable>(&addr, &response)?.table),
            ResponseCode::QUERY_NOT_FOUND => Ok(BTreeMap::new()),
            _ => Err(Error::broker(&addr, &response)),
        }
    }

    /// DELETE_TOPIC_IN_NAMESRV (216): removes a topic's route, sent to every configured name
    /// server (Java's admin loops over them). `cluster` limits it to one cluster (5.x; older
    /// name servers ignore it).
    ///
    /// # Errors
    /// The first failure after every server was tried ([`Error::Broker`] or transport).
    pub async fn delete_topic_in_namesrv(
        &self,
        topic: &str,
        cluster: Option<&str>,
        timeout: Duration,
    ) -> Result<()> {
        let header = DeleteTopicFromNamesrvRequestHeader {
            topic: topic.to_owned(),
            cluster_name: cluster.map(str::to_owned),
        };
        let cmd = self.request_with(RequestCode::DELETE_TOPIC_IN_NAMESRV, &header);
        self.call_every_namesrv(cmd, timeout).await
    }

    /// WIPE_WRITE_PERM_OF_BROKER (205) to one name server: removes the broker's write
    /// permission there. Returns how many topics were affected. Call it for each name server.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors; a missing count.
    pub async fn wipe_write_perm(
        &self,
        namesrv_addr: &str,
        broker_name: &str,
        timeout: Duration,
    ) -> Result<i32> {
        let header = WipeWritePermOfBrokerRequestHeader {
            broker_name: broker_name.to_owned(),
        };
        let cmd = self.request_with(RequestCode::WIPE_WRITE_PERM_OF_BROKER, &header);
        let response = self.call_ok(namesrv_addr, cmd, timeout).await?;
        let header: WipeWritePermOfBrokerResponseHeader = response.decode_header()?;
        Ok(header.wipe_topic_count)
    }

    /// ADD_WRITE_PERM_OF_BROKER (327) to one name server: restores the broker's write
    /// permission there. Returns how many topics were affected. Call it for each name server.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors; a missing count.
    pub async fn add_write_perm(
        &self,
        namesrv_addr: &str,
        broker_name: &str,
        timeout: Duration,
    ) -> Result<i32> {
        let header = AddWritePermOfBrokerRequestHeader {
            broker_name: broker_name.to_owned(),
        };
        let cmd = self.request_with(RequestCode::ADD_WRITE_PERM_OF_BROKER, &header);
        let response = self.call_ok(namesrv_addr, cmd, timeout).await?;
        let header: AddWritePermOfBrokerResponseHeader = response.decode_header()?;
        Ok(header.add_topic_count)
    }

    /// GET_NAMESRV_CONFIG (319) from one name server: its config as Java properties.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors; a body that is not UTF-8.
    pub async fn namesrv_config_get(
        &self,
        namesrv_addr: &str,
        timeout: Duration,
    ) -> Result<BTreeMap<String, String>> {
        let cmd = self.request(RequestCode::GET_NAMESRV_CONFIG);
        let response = self.call_ok(namesrv_addr, cmd, timeout).await?;
        properties_body(namesrv_addr, &response)
    }

    /// UPDATE_NAMESRV_CONFIG (318) on one name server: the body is the entries as Java
    /// properties text.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn namesrv_config_update(
        &self,
        namesrv_addr: &str,
        config: &BTreeMap<String, String>,
        timeout: Duration,
    ) -> Result<()> {
        let cmd = self
            .request(RequestCode::UPDATE_NAMESRV_CONFIG)
            .with_body(Bytes::from(format_properties(config)));
        self.call_ok(namesrv_addr, cmd, timeout).await?;
        Ok(())
    }

    /// Sends `cmd` to every configured name server, one after the other; every server is tried
    /// and the first failure is returned.
    async fn call_every_namesrv(&self, cmd: Command, timeout: Duration) -> Result<()> {
        let addrs = self.remoting.namesrv().addrs();
        if addrs.is_empty() {
            return Err(rmq_remoting::Error::NoNameServer.into());
        }
        let mut first_error = None;
        for addr in addrs {
            if let Err(error) = self.call_ok(&addr, cmd.clone(), timeout).await {
                tracing::warn!(addr, %error, code = cmd.code, "name-server write failed");
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Parses a Java-properties body (broker and name-server configs).
pub(super) fn properties_body(addr: &str, response: &Command) -> Result<BTreeMap<String, String>> {
    let text = std::str::from_utf8(&response.body)
        .map_err(|_| bad_answer(addr, response, "config body is not UTF-8"))?;
    Ok(parse_properties(text))
}
