//! Name-server requests about routes, topics and broker write permission
//! (GET_ROUTEINFO_BY_TOPIC 105, GET_TOPICS_BY_CLUSTER 224, DELETE_TOPIC_IN_NAMESRV 216,
//! WIPE/ADD_WRITE_PERM_OF_BROKER 205/327).

header! {
    /// GetRouteInfoRequestHeader (105).
    GetRouteInfoRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Ask a >= 4.9.4 name server for standard JSON whatever the request version.
        accept_standard_json_only: Option<bool> = "acceptStandardJsonOnly",
    }
}

header! {
    /// GetTopicsByClusterRequestHeader (224).
    GetTopicsByClusterRequestHeader {
        /// Cluster name.
        cluster: String = "cluster",
    }
}

header! {
    /// DeleteTopicFromNamesrvRequestHeader (216).
    DeleteTopicFromNamesrvRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Only delete the topic's route in this cluster.
        cluster_name: Option<String> = "clusterName",
    }
}

header! {
    /// WipeWritePermOfBrokerRequestHeader (205).
    WipeWritePermOfBrokerRequestHeader {
        /// Broker name.
        broker_name: String = "brokerName",
    }
}

header! {
    /// WipeWritePermOfBrokerResponseHeader.
    WipeWritePermOfBrokerResponseHeader {
        /// Number of topics whose write permission was removed.
        wipe_topic_count: i32 = "wipeTopicCount",
    }
}

header! {
    /// AddWritePermOfBrokerRequestHeader (327).
    AddWritePermOfBrokerRequestHeader {
        /// Broker name.
        broker_name: String = "brokerName",
    }
}

header! {
    /// AddWritePermOfBrokerResponseHeader.
    AddWritePermOfBrokerResponseHeader {
        /// Number of topics whose write permission was restored.
        add_topic_count: i32 = "addTopicCount",
    }
}
