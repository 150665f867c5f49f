//! The admin RPCs 5.x added (Java 5.3.3 `MQClientAPIImpl`): ACL 2.0 users and ACLs, controller
//! mode, HA status, static topics, batch creation, single topic and group configs, consumer
//! queries, group read bans, cold-data flow control and the RocksDB consume-queue check.
//!
//! Each call targets one address. Which controller is the leader, which brokers a command
//! fans out to, and turning REQUEST_CODE_NOT_SUPPORTED from a 4.x server into a readable error
//! are the admin crate's job; here every non-success code is [`Error::Broker`].

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use rmq_protocol::body::{
    from_fastjson, AclInfo, BrokerMemberGroup, BrokerReplicasInfo, CheckRocksdbCqWriteResult,
    CreateTopicListRequestBody, EpochEntryCache, GroupForbidden, HaRuntimeInfo,
    QuerySubscriptionResponseBody, SubscriptionGroupConfigV5, SubscriptionGroupList,
    TopicConfigAndQueueMapping, TopicConfigV5, TopicList, TopicQueueMappingDetail, UserInfo,
};
use rmq_protocol::header::{
    CheckRocksdbCqWriteProgressRequestHeader, CleanControllerBrokerDataRequestHeader,
    CreateAclRequestHeader, CreateStaticTopicRequestHeader, CreateTopicListRequestHeader,
    CreateUserRequestHeader, DeleteAclRequestHeader, DeleteUserRequestHeader,
    ElectMasterRequestHeader, ElectMasterResponseHeader, GetAclRequestHeader,
    GetMetaDataResponseHeader, GetSubscriptionGroupConfigRequestHeader,
    GetTopicConfigRequestHeader, GetUserRequestHeader, ListAclsRequestHeader,
    ListUsersRequestHeader, QuerySubscriptionByConsumerRequestHeader,
    QueryTopicsByConsumerRequestHeader, SetCommitLogReadModeRequestHeader, UpdateAclRequestHeader,
    UpdateGroupForbiddenRequestHeader, UpdateUserRequestHeader,
};
use rmq_protocol::{Command, RequestCode};
use serde::de::DeserializeOwned;

use super::namesrv::properties_body;
use super::properties::format_properties;
use super::{json_body, to_json_body, ClientApi};
use crate::error::{Error, Result};

impl ClientApi {
    // ===== ACL 2.0 users =====

    /// AUTH_CREATE_USER (3001): creates `user` (name, password, type) on the broker.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn create_user(&self, addr: &str, user: &UserInfo, timeout: Duration) -> Result<()> {
        let header = CreateUserRequestHeader {
            username: user.username.clone().unwrap_or_default(),
        };
        let cmd = self
            .request_with(RequestCode::AUTH_CREATE_USER, &header)
            .with_body(to_json_body(user)?);
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// AUTH_UPDATE_USER (3002): changes the password, type or status of `user`.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn update_user(&self, addr: &str, user: &UserInfo, timeout: Duration) -> Result<()> {
        let header = UpdateUserRequestHeader {
            username: user.username.clone().unwrap_or_default(),
        };
        let cmd = self
            .request_with(RequestCode::AUTH_UPDATE_USER, &header)
            .with_body(to_json_body(user)?);
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// AUTH_DELETE_USER (3003).
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn delete_user(&self, addr: &str, username: &str, timeout: Duration) -> Result<()> {
        let header = DeleteUserRequestHeader {
            username: username.to_owned(),
        };
        let cmd = self.request_with(RequestCode::AUTH_DELETE_USER, &header);
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// AUTH_GET_USER (3004): one user; `None` when the broker answers an empty body.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport and parse errors.
    pub async fn user(
        &self,
        addr: &str,
        username: &str,
        timeout: Duration,
    ) -> Result<Option<UserInfo>> {
        let header = GetUserRequestHeader {
            username: username.to_owned(),
        };
        let cmd = self.request_with(RequestCode::AUTH_GET_USER, &header);
        optional_body(&self.call_ok(addr, cmd, timeout).await?)
    }

    /// AUTH_LIST_USER (3005): every user, or those whose name contains `filter`.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport and parse errors.
    pub async fn list_users(
        &self,
        addr: &str,
        filter: Option<&str>,
        timeout: Duration,
    ) -> Result<Vec<UserInfo>> {
        let header = ListUsersRequestHeader {
            filter: filter.map(str::to_owned),
        };
        let cmd = self.request_with(RequestCode::AUTH_LIST_USER, &header);
        Ok(optional_body(&self.call_ok(addr, cmd, timeout).await?)?.unwrap_or_default())
    }

    // ===== ACL 2.0 policies =====

    /// AUTH_CREATE_ACL (3006): adds `acl`'s policies for its subject.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn create_acl(&self, addr: &str, acl: &AclInfo, timeout: Duration) -> Result<()> {
        let header = CreateAclRequestHeader {
            subject: acl.subject.clone().unwrap_or_default(),
        };
        let cmd = self
            .request_with(RequestCode::AUTH_CREATE_ACL, &header)
            .with_body(to_json_body(acl)?);
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// AUTH_UPDATE_ACL (3007): replaces the entries `acl` names for its subject.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn update_acl(&self, addr: &str, acl: &AclInfo, timeout: Duration) -> Result<()> {
        let header = UpdateAclRequestHeader {
            subject: acl.subject.clone().unwrap_or_default(),
        };
        let cmd = self
            .request_with(RequestCode::AUTH_UPDATE_ACL, &header)
            .with_body(to_json_body(acl)?);
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// AUTH_DELETE_ACL (3008): the subject's entry for `resource`, or all its policies.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn delete_acl(
        &self,
        addr: &str,
        subject: &str,
        resource: Option<&str>,
        timeout: Duration,
    ) -> Result<()> {
        let header = DeleteAclRequestHeader {
            subject: subject.to_owned(),
            policy_type: None,
            resource: resource.map(str::to_owned),
        };
        let cmd = self.request_with(RequestCode::AUTH_DELETE_ACL, &header);
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// AUTH_GET_ACL (3009): the subject's policies; `None` for an empty body.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport and parse errors.
    pub async fn acl(
        &self,
        addr: &str,
        subject: &str,
        timeout: Duration,
    ) -> Result<Option<AclInfo>> {
        let header = GetAclRequestHeader {
            subject: subject.to_owned(),
        };
        let cmd = self.request_with(RequestCode::AUTH_GET_ACL, &header);
        optional_body(&self.call_ok(addr, cmd, timeout).await?)
    }

    /// AUTH_LIST_ACL (3010): every subject's policies, optionally filtered.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport and parse errors.
    pub async fn list_acls(
        &self,
        addr: &str,
        subject_filter: Option<&str>,
        resource_filter: Option<&str>,
        timeout: Duration,
    ) -> Result<Vec<AclInfo>> {
        let header = ListAclsRequestHeader {
            subject_filter: subject_filter.map(str::to_owned),
            resource_filter: resource_filter.map(str::to_owned),
        };
        let cmd = self.request_with(RequestCode::AUTH_LIST_ACL, &header);
        Ok(optional_body(&self.call_ok(addr, cmd, timeout).await?)?.unwrap_or_default())
    }

    // ===== controller mode =====

    /// CONTROLLER_GET_METADATA_INFO (1005): the controller group and its leader.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport and header errors.
    pub async fn controller_metadata(
        &self,
        addr: &str,
        timeout: Duration,
    ) -> Result<GetMetaDataResponseHeader> {
        let cmd = self.request(RequestCode::CONTROLLER_GET_METADATA_INFO);
        Ok(self.call_ok(addr, cmd, timeout).await?.decode_header()?)
    }

    /// CONTROLLER_GET_SYNC_STATE_DATA (1006) to the controller leader: the replicas of
    /// `broker_names` (a JSON array body).
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport and parse errors.
    pub async fn sync_state_data(
        &self,
        leader: &str,
        broker_names: &[String],
        timeout: Duration,
    ) -> Result<BrokerReplicasInfo> {
        // Serializing a list of strings cannot fail.
        let body = serde_json::Value::from(broker_names.to_vec()).to_string();
        let cmd = self
            .request(RequestCode::CONTROLLER_GET_SYNC_STATE_DATA)
            .with_body(Bytes::from(body));
        json_body(leader, &self.call_ok(leader, cmd, timeout).await?)
    }

    /// CONTROLLER_ELECT_MASTER (1002) to the controller leader: the new master (header) and
    /// the broker group's members (body).
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code (the broker is not eligible...); transport
    /// and parse errors.
    pub async fn elect_master(
        &self,
        leader: &str,
        header: &ElectMasterRequestHeader,
        timeout: Duration,
    ) -> Result<(ElectMasterResponseHeader, BrokerMemberGroup)> {
        let cmd = self.request_with(RequestCode::CONTROLLER_ELECT_MASTER, header);
        let response = self.call_ok(leader, cmd, timeout).await?;
        let elected = response.decode_header()?;
        let members = optional_body(&response)?.unwrap_or_default();
        Ok((elected, members))
    }

    /// CLEAN_BROKER_DATA (1011) to the controller leader: drops a broker group's (or some
    /// replicas') metadata.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn clean_broker_data(
        &self,
        leader: &str,
        header: &CleanControllerBrokerDataRequestHeader,
        timeout: Duration,
    ) -> Result<()> {
        let cmd = self.request_with(RequestCode::CLEAN_BROKER_DATA, header);
        self.call_ok(leader, cmd, timeout).await.map(drop)
    }

    /// GET_CONTROLLER_CONFIG (1010): one controller's config (Java properties body).
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors; a body that is not UTF-8.
    pub async fn controller_config(
        &self,
        addr: &str,
        timeout: Duration,
    ) -> Result<BTreeMap<String, String>> {
        let cmd = self.request(RequestCode::GET_CONTROLLER_CONFIG);
        properties_body(addr, &self.call_ok(addr, cmd, timeout).await?)
    }

    /// UPDATE_CONTROLLER_CONFIG (1009): sets the given keys on one controller.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn update_controller_config(
        &self,
        addr: &str,
        config: &BTreeMap<String, String>,
        timeout: Duration,
    ) -> Result<()> {
        let cmd = self
            .request(RequestCode::UPDATE_CONTROLLER_CONFIG)
            .with_body(Bytes::from(format_properties(config)));
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// GET_BROKER_EPOCH_CACHE (1007): a broker's master epochs.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport and parse errors.
    pub async fn broker_epoch_cache(
        &self,
        addr: &str,
        timeout: Duration,
    ) -> Result<EpochEntryCache> {
        let cmd = self.request(RequestCode::GET_BROKER_EPOCH_CACHE);
        json_body(addr, &self.call_ok(addr, cmd, timeout).await?)
    }

    /// GET_BROKER_HA_STATUS (907): a master's slaves, or a slave's view of its master.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport and parse errors.
    pub async fn broker_ha_status(&self, addr: &str, timeout: Duration) -> Result<HaRuntimeInfo> {
        let cmd = self.request(RequestCode::GET_BROKER_HA_STATUS);
        json_body(addr, &self.call_ok(addr, cmd, timeout).await?)
    }

    // ===== topics and groups =====

    /// UPDATE_AND_CREATE_STATIC_TOPIC (513): the topic config and the logic queues this
    /// broker hosts.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code (an older epoch without `force`...);
    /// transport errors.
    pub async fn create_static_topic(
        &self,
        addr: &str,
        header: &CreateStaticTopicRequestHeader,
        mapping: &TopicQueueMappingDetail,
        timeout: Duration,
    ) -> Result<()> {
        let cmd = self
            .request_with(RequestCode::UPDATE_AND_CREATE_STATIC_TOPIC, header)
            .with_body(to_json_body(mapping)?);
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// UPDATE_AND_CREATE_TOPIC_LIST (18): creates or updates many topics in one request.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn create_topic_list(
        &self,
        addr: &str,
        topics: &[TopicConfigV5],
        timeout: Duration,
    ) -> Result<()> {
        let body = CreateTopicListRequestBody {
            topic_config_list: topics.to_vec(),
        };
        let cmd = self
            .request_with(
                RequestCode::UPDATE_AND_CREATE_TOPIC_LIST,
                &CreateTopicListRequestHeader {},
            )
            .with_body(to_json_body(&body)?);
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST (225): creates or updates many groups.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn create_subscription_group_list(
        &self,
        addr: &str,
        groups: &[SubscriptionGroupConfigV5],
        timeout: Duration,
    ) -> Result<()> {
        let body = SubscriptionGroupList {
            group_config_list: groups.to_vec(),
        };
        let cmd = self
            .request(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST)
            .with_body(to_json_body(&body)?);
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// GET_TOPIC_CONFIG (351) with `lo=true`, as Java's admin sends it: the topic's config and
    /// static-topic mapping on this broker.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code (`TOPIC_NOT_EXIST`); transport and parse
    /// errors.
    pub async fn topic_config(
        &self,
        addr: &str,
        topic: &str,
        timeout: Duration,
    ) -> Result<TopicConfigAndQueueMapping> {
        let header = GetTopicConfigRequestHeader {
            topic: topic.to_owned(),
            lo: Some(true),
        };
        let cmd = self.request_with(RequestCode::GET_TOPIC_CONFIG, &header);
        json_body(addr, &self.call_ok(addr, cmd, timeout).await?)
    }

    /// GET_SUBSCRIPTIONGROUP_CONFIG (352): the group's config; `None` when the broker answers
    /// an empty body (Java's null: the group does not exist there).
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport and parse errors.
    pub async fn subscription_group_config(
        &self,
        addr: &str,
        group: &str,
        timeout: Duration,
    ) -> Result<Option<SubscriptionGroupConfigV5>> {
        let header = GetSubscriptionGroupConfigRequestHeader {
            group: group.to_owned(),
        };
        let cmd = self.request_with(RequestCode::GET_SUBSCRIPTIONGROUP_CONFIG, &header);
        optional_body(&self.call_ok(addr, cmd, timeout).await?)
    }

    /// QUERY_TOPICS_BY_CONSUMER (343): the topics the group has offsets for on this broker.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport and parse errors.
    pub async fn topics_by_consumer(
        &self,
        addr: &str,
        group: &str,
        timeout: Duration,
    ) -> Result<TopicList> {
        let header = QueryTopicsByConsumerRequestHeader {
            group: group.to_owned(),
        };
        let cmd = self.request_with(RequestCode::QUERY_TOPICS_BY_CONSUMER, &header);
        Ok(optional_body(&self.call_ok(addr, cmd, timeout).await?)?.unwrap_or_default())
    }

    /// QUERY_SUBSCRIPTION_BY_CONSUMER (345): the group's subscription to `topic`.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport and parse errors.
    pub async fn subscription_by_consumer(
        &self,
        addr: &str,
        group: &str,
        topic: &str,
        timeout: Duration,
    ) -> Result<QuerySubscriptionResponseBody> {
        let header = QuerySubscriptionByConsumerRequestHeader {
            group: group.to_owned(),
            topic: Some(topic.to_owned()),
        };
        let cmd = self.request_with(RequestCode::QUERY_SUBSCRIPTION_BY_CONSUMER, &header);
        Ok(optional_body(&self.call_ok(addr, cmd, timeout).await?)?.unwrap_or_default())
    }

    /// UPDATE_AND_GET_GROUP_FORBIDDEN (353): sets whether `group` may read `topic` (when
    /// `readable` is given) and returns the state.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport and parse errors.
    pub async fn update_and_get_group_forbidden(
        &self,
        addr: &str,
        group: &str,
        topic: &str,
        readable: Option<bool>,
        timeout: Duration,
    ) -> Result<GroupForbidden> {
        let header = UpdateGroupForbiddenRequestHeader {
            group: group.to_owned(),
            topic: topic.to_owned(),
            readable,
        };
        let cmd = self.request_with(RequestCode::UPDATE_AND_GET_GROUP_FORBIDDEN, &header);
        Ok(optional_body(&self.call_ok(addr, cmd, timeout).await?)?.unwrap_or_default())
    }

    // ===== store maintenance =====

    /// GET_COLD_DATA_FLOW_CTR_INFO (2003): the broker's cold-read flow control state, the JSON
    /// text it answers (empty when it has none).
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors; a body that is not UTF-8.
    pub async fn cold_data_flow_ctr_info(&self, addr: &str, timeout: Duration) -> Result<String> {
        let cmd = self.request(RequestCode::GET_COLD_DATA_FLOW_CTR_INFO);
        let response = self.call_ok(addr, cmd, timeout).await?;
        String::from_utf8(response.body.to_vec()).map_err(|_| Error::BadAnswer {
            addr: addr.to_owned(),
            reason: "cold data flow control info is not UTF-8".into(),
        })
    }

    /// UPDATE_COLD_DATA_FLOW_CTR_CONFIG (2001): `consumer group -> cold read threshold`
    /// (Java properties body).
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn update_cold_data_flow_ctr_config(
        &self,
        addr: &str,
        thresholds: &BTreeMap<String, String>,
        timeout: Duration,
    ) -> Result<()> {
        let cmd = self
            .request(RequestCode::UPDATE_COLD_DATA_FLOW_CTR_CONFIG)
            .with_body(Bytes::from(format_properties(thresholds)));
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// REMOVE_COLD_DATA_FLOW_CTR_CONFIG (2002): the body is the group name as text.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn remove_cold_data_flow_ctr_config(
        &self,
        addr: &str,
        group: &str,
        timeout: Duration,
    ) -> Result<()> {
        let cmd = self
            .request(RequestCode::REMOVE_COLD_DATA_FLOW_CTR_CONFIG)
            .with_body(Bytes::from(group.to_owned()));
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// SET_COMMITLOG_READ_MODE (2004): sets the commit log's read-ahead mode (`"0"` normal,
    /// `"1"` random); returns the broker's remark, which describes the outcome.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn set_commit_log_read_mode(
        &self,
        addr: &str,
        mode: &str,
        timeout: Duration,
    ) -> Result<Option<String>> {
        let header = SetCommitLogReadModeRequestHeader {
            read_ahead_mode: mode.to_owned(),
        };
        let cmd = self.request_with(RequestCode::SET_COMMITLOG_READ_MODE, &header);
        Ok(self.call_ok(addr, cmd, timeout).await?.remark)
    }

    /// CHECK_ROCKSDB_CQ_WRITE_PROGRESS (354): compares the RocksDB consume queue with the file
    /// one for `topic` (every topic when empty) from `check_store_time` on.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport and parse errors.
    pub async fn check_rocksdb_cq_write_progress(
        &self,
        addr: &str,
        topic: &str,
        check_store_time: i64,
        timeout: Duration,
    ) -> Result<CheckRocksdbCqWriteResult> {
        let header = CheckRocksdbCqWriteProgressRequestHeader {
            topic: topic.to_owned(),
            check_store_time,
        };
        let cmd = self.request_with(RequestCode::CHECK_ROCKSDB_CQ_WRITE_PROGRESS, &header);
        json_body(addr, &self.call_ok(addr, cmd, timeout).await?)
    }
}

/// Parses a body that Java may leave empty (a null result): `None` when empty.
fn optional_body<T: DeserializeOwned>(response: &Command) -> Result<Option<T>> {
    let body = response.body.as_ref();
    if body.is_empty() || body == b"null" {
        return Ok(None);
    }
    Ok(Some(from_fastjson(body)?))
}
