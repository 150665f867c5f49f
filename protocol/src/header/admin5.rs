//! Admin requests that 5.x brokers and controllers added (Java 5.3.3 `MQClientAPIImpl`): ACL 2.0
//! users and ACLs (AUTH_* 3001-3010), controller mode (CONTROLLER_ELECT_MASTER 1002,
//! CONTROLLER_GET_METADATA_INFO 1005, CLEAN_BROKER_DATA 1011), static topics
//! (UPDATE_AND_CREATE_STATIC_TOPIC 513), batch topic creation (18), single topic and group
//! configs (351, 352), consumer queries (343, 345), group read bans (353) and the RocksDB
//! consume-queue check (354) and the commit-log read-ahead mode (2004).
//!
//! Requests whose only payload is a body (ha status, sync state, epoch cache, controller
//! config, cold-data flow control, group list) carry no header and have none here.

header! {
    /// CreateUserRequestHeader (AUTH_CREATE_USER 3001); the user is the `UserInfo` body.
    CreateUserRequestHeader {
        /// User name.
        username: String = "username",
    }
}

header! {
    /// UpdateUserRequestHeader (AUTH_UPDATE_USER 3002); the user is the `UserInfo` body.
    UpdateUserRequestHeader {
        /// User name.
        username: String = "username",
    }
}

header! {
    /// DeleteUserRequestHeader (AUTH_DELETE_USER 3003).
    DeleteUserRequestHeader {
        /// User name.
        username: String = "username",
    }
}

header! {
    /// GetUserRequestHeader (AUTH_GET_USER 3004).
    GetUserRequestHeader {
        /// User name.
        username: String = "username",
    }
}

header! {
    /// ListUsersRequestHeader (AUTH_LIST_USER 3005).
    ListUsersRequestHeader {
        /// Only users whose name contains this.
        filter: Option<String> = "filter",
    }
}

header! {
    /// CreateAclRequestHeader (AUTH_CREATE_ACL 3006); the policies are the `AclInfo` body.
    CreateAclRequestHeader {
        /// Subject, e.g. `User:alice`.
        subject: String = "subject",
    }
}

header! {
    /// UpdateAclRequestHeader (AUTH_UPDATE_ACL 3007); the policies are the `AclInfo` body.
    UpdateAclRequestHeader {
        /// Subject, e.g. `User:alice`.
        subject: String = "subject",
    }
}

header! {
    /// DeleteAclRequestHeader (AUTH_DELETE_ACL 3008).
    DeleteAclRequestHeader {
        /// Subject, e.g. `User:alice`.
        subject: String = "subject",
        /// `CUSTOM` or `DEFAULT`; absent means every policy type.
        policy_type: Option<String> = "policyType",
        /// Only the entry for this resource, e.g. `Topic:orders`; absent means all.
        resource: Option<String> = "resource",
    }
}

header! {
    /// GetAclRequestHeader (AUTH_GET_ACL 3009).
    GetAclRequestHeader {
        /// Subject, e.g. `User:alice`.
        subject: String = "subject",
    }
}

header! {
    /// ListAclsRequestHeader (AUTH_LIST_ACL 3010).
    ListAclsRequestHeader {
        /// Only subjects containing this.
        subject_filter: Option<String> = "subjectFilter",
        /// Only resources containing this.
        resource_filter: Option<String> = "resourceFilter",
    }
}

header! {
    /// GetMetaDataResponseHeader (CONTROLLER_GET_METADATA_INFO 1005): the controller group
    /// and its leader; the request has no header.
    GetMetaDataResponseHeader {
        /// Raft group name.
        group: Option<String> = "group",
        /// Leader's controller id.
        controller_leader_id: Option<String> = "controllerLeaderId",
        /// Leader's address, where controller writes go.
        controller_leader_address: Option<String> = "controllerLeaderAddress",
        /// Whether the answering controller is the leader (Java field `isLeader`).
        is_leader: bool = "isLeader",
        /// Every peer, `id-addr` separated by `;`.
        peers: Option<String> = "peers",
    }
}

header! {
    /// ElectMasterRequestHeader (CONTROLLER_ELECT_MASTER 1002), as an admin sends it
    /// (`ofAdminTrigger`: `designateElect = true`).
    ElectMasterRequestHeader {
        /// Cluster name.
        cluster_name: String = "clusterName",
        /// Broker group name.
        broker_name: String = "brokerName",
        /// The broker id that should become master.
        broker_id: i64 = "brokerId",
        /// Elect exactly `broker_id` rather than any eligible replica.
        designate_elect: bool = "designateElect",
        /// Milliseconds since the epoch when the request was made.
        invoke_time: i64 = "invokeTime",
    }
}

header! {
    /// ElectMasterResponseHeader (1002): the new master; the group's members are the body.
    ElectMasterResponseHeader {
        /// New master's broker id.
        master_broker_id: Option<i64> = "masterBrokerId",
        /// New master's address.
        master_address: Option<String> = "masterAddress",
        /// Master epoch after the election.
        master_epoch: Option<i32> = "masterEpoch",
        /// Sync-state-set epoch after the election.
        sync_state_set_epoch: Option<i32> = "syncStateSetEpoch",
    }
}

header! {
    /// CleanControllerBrokerDataRequestHeader (CLEAN_BROKER_DATA 1011).
    CleanControllerBrokerDataRequestHeader {
        /// Cluster name.
        cluster_name: Option<String> = "clusterName",
        /// Broker group name.
        broker_name: String = "brokerName",
        /// Broker controller ids to clean, `1;2;3`; absent means the whole group.
        broker_controller_ids_to_clean: Option<String> = "brokerControllerIdsToClean",
        /// Also clean brokers that are alive (Java field `isCleanLivingBroker`).
        is_clean_living_broker: bool = "isCleanLivingBroker",
        /// Milliseconds since the epoch when the request was made.
        invoke_time: i64 = "invokeTime",
    }
}

header! {
    /// CreateTopicRequestHeader as UPDATE_AND_CREATE_STATIC_TOPIC (513) sends it: the topic
    /// header plus `force`; the body is the broker's `TopicQueueMappingDetail`.
    CreateStaticTopicRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Template topic, `"TBW102"`.
        default_topic: String = "defaultTopic",
        /// Read queue count on this broker.
        read_queue_nums: i32 = "readQueueNums",
        /// Write queue count on this broker.
        write_queue_nums: i32 = "writeQueueNums",
        /// PermName bits (6 = read/write).
        perm: i32 = "perm",
        /// `"SINGLE_TAG"` or `"MULTI_TAG"`.
        topic_filter_type: String = "topicFilterType",
        /// Topic sys flag.
        topic_sys_flag: Option<i32> = "topicSysFlag",
        /// Ordered topic.
        order: bool = "order",
        /// Replace a mapping whose epoch is not older.
        force: Option<bool> = "force",
    }
}

header! {
    /// CreateTopicListRequestHeader (UPDATE_AND_CREATE_TOPIC_LIST 18): no fields; the topics
    /// are the body.
    CreateTopicListRequestHeader {}
}

header! {
    /// GetTopicConfigRequestHeader (GET_TOPIC_CONFIG 351).
    GetTopicConfigRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Logical (static-topic) view; Java's admin always sends `true`.
        lo: Option<bool> = "lo",
    }
}

header! {
    /// GetSubscriptionGroupConfigRequestHeader (GET_SUBSCRIPTIONGROUP_CONFIG 352).
    GetSubscriptionGroupConfigRequestHeader {
        /// Group name.
        group: String = "group",
    }
}

header! {
    /// QueryTopicsByConsumerRequestHeader (QUERY_TOPICS_BY_CONSUMER 343).
    QueryTopicsByConsumerRequestHeader {
        /// Consumer group.
        group: String = "group",
    }
}

header! {
    /// QuerySubscriptionByConsumerRequestHeader (QUERY_SUBSCRIPTION_BY_CONSUMER 345).
    QuerySubscriptionByConsumerRequestHeader {
        /// Consumer group.
        group: String = "group",
        /// Topic.
        topic: Option<String> = "topic",
    }
}

header! {
    /// UpdateGroupForbiddenRequestHeader (UPDATE_AND_GET_GROUP_FORBIDDEN 353).
    UpdateGroupForbiddenRequestHeader {
        /// Consumer group.
        group: String = "group",
        /// Topic.
        topic: String = "topic",
        /// New readability; absent only reads the current state.
        readable: Option<bool> = "readable",
    }
}

header! {
    /// CheckRocksdbCqWriteProgressRequestHeader (CHECK_ROCKSDB_CQ_WRITE_PROGRESS 354).
    CheckRocksdbCqWriteProgressRequestHeader {
        /// Topic to check; empty checks every topic.
        topic: String = "topic",
        /// Compare entries stored since this time, milliseconds since the epoch.
        check_store_time: i64 = "checkStoreTime",
    }
}

header! {
    /// SET_COMMITLOG_READ_MODE (2004): no Java header class; the mode travels as the ext
    /// field `READ_AHEAD_MODE` (Java `FIleReadaheadMode.READ_AHEAD_MODE`).
    SetCommitLogReadModeRequestHeader {
        /// `"0"` normal read-ahead (the default), `"1"` random reads.
        read_ahead_mode: String = "READ_AHEAD_MODE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::CommandHeader;

    #[test]
    fn controller_metadata_reads_java_field_names() {
        let mut ext = crate::command::ExtFields::new();
        ext.insert("group", "g1");
        ext.insert("controllerLeaderId", "n0");
        ext.insert("controllerLeaderAddress", "127.0.0.1:9878");
        ext.insert("isLeader", "true");
        ext.insert("peers", "n0-127.0.0.1:9878;n1-127.0.0.1:9868");
        let h = GetMetaDataResponseHeader::read(&ext).expect("decodes");
        assert!(h.is_leader);
        assert_eq!(
            h.controller_leader_address.as_deref(),
            Some("127.0.0.1:9878")
        );
        let empty = GetMetaDataResponseHeader::read(&crate::command::ExtFields::new())
            .expect("every field optional");
        assert!(!empty.is_leader);
    }

    #[test]
    fn elect_master_writes_every_field() {
        let h = ElectMasterRequestHeader {
            cluster_name: "c".into(),
            broker_name: "b".into(),
            broker_id: 2,
            designate_elect: true,
            invoke_time: 7,
        };
        let ext = h.to_ext_fields();
        assert_eq!(ext.get("brokerId"), Some("2"));
        assert_eq!(ext.get("designateElect"), Some("true"));
        assert_eq!(ext.get("invokeTime"), Some("7"));
        assert_eq!(ElectMasterRequestHeader::read(&ext).expect("round trip"), h);
    }

    #[test]
    fn absent_options_are_not_written() {
        let ext = ListAclsRequestHeader::default().to_ext_fields();
        assert!(ext.get("subjectFilter").is_none());
        assert!(ext.get("resourceFilter").is_none());
        let ext = UpdateGroupForbiddenRequestHeader {
            group: "g".into(),
            topic: "t".into(),
            readable: None,
        }
        .to_ext_fields();
        assert!(ext.get("readable").is_none());
    }
}
