//! Bodies of controller-mode clusters and of broker replication (Java 5.3.3): the sync state
//! sets a controller answers (`BrokerReplicasInfo`), a broker's epoch entries
//! (`EpochEntryCache`), an election's member group (`BrokerMemberGroup`) and a broker's HA
//! status (`HARuntimeInfo`).
//!
//! Fields 5.x may leave out default; unknown fields are ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// CONTROLLER_GET_SYNC_STATE_DATA answer (Java `BrokerReplicasInfo`); the request body is the
/// JSON array of broker names.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerReplicasInfo {
    /// Broker group name to its replicas.
    #[serde(deserialize_with = "super::admin5::null_as_default")]
    pub replicas_info_table: BTreeMap<String, ReplicasInfo>,
}

/// One broker group's replicas (Java `BrokerReplicasInfo.ReplicasInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReplicasInfo {
    /// Master's broker id.
    pub master_broker_id: Option<i64>,
    /// Master's address.
    pub master_address: Option<String>,
    /// Master epoch.
    pub master_epoch: Option<i32>,
    /// Sync-state-set epoch.
    pub sync_state_set_epoch: Option<i32>,
    /// Replicas in the sync state set.
    #[serde(deserialize_with = "super::admin5::null_as_default")]
    pub in_sync_replicas: Vec<ReplicaIdentity>,
    /// Replicas outside it.
    #[serde(deserialize_with = "super::admin5::null_as_default")]
    pub not_in_sync_replicas: Vec<ReplicaIdentity>,
}

/// One replica (Java `BrokerReplicasInfo.ReplicaIdentity`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReplicaIdentity {
    /// Broker group name.
    pub broker_name: Option<String>,
    /// Broker id.
    pub broker_id: Option<i64>,
    /// Address.
    pub broker_address: Option<String>,
    /// Whether the controller sees it alive (absent before 5.1).
    pub alive: Option<bool>,
}

/// GET_BROKER_EPOCH_CACHE answer (Java `EpochEntryCache`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EpochEntryCache {
    /// Cluster name.
    pub cluster_name: Option<String>,
    /// Broker group name.
    pub broker_name: Option<String>,
    /// Broker id.
    pub broker_id: i64,
    /// Epochs, oldest first.
    #[serde(deserialize_with = "super::admin5::null_as_default")]
    pub epoch_list: Vec<EpochEntry>,
    /// The broker's commit-log max offset.
    pub max_offset: i64,
}

/// One master epoch and the commit-log range it wrote (Java `EpochEntry`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EpochEntry {
    /// Epoch.
    pub epoch: i32,
    /// First offset written in it.
    pub start_offset: i64,
    /// End offset, exclusive (`i64::MAX` for the current epoch).
    pub end_offset: i64,
}

impl Default for EpochEntry {
    /// Java's default: an open-ended epoch.
    fn default() -> Self {
        EpochEntry {
            epoch: 0,
            start_offset: 0,
            end_offset: i64::MAX,
        }
    }
}

/// CONTROLLER_ELECT_MASTER answer body (Java `BrokerMemberGroup`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerMemberGroup {
    /// Cluster name.
    pub cluster: Option<String>,
    /// Broker group name.
    pub broker_name: Option<String>,
    /// Broker id to address (fastjson writes the keys bare).
    #[serde(deserialize_with = "super::admin5::null_as_default")]
    pub broker_addrs: BTreeMap<i64, String>,
}

/// GET_BROKER_HA_STATUS answer (Java `HARuntimeInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HaRuntimeInfo {
    /// Whether the broker is a master (then `ha_connection_info` lists its slaves).
    pub master: bool,
    /// Master's commit-log max offset.
    pub master_commit_log_max_offset: i64,
    /// Slaves in sync.
    pub in_sync_slave_nums: i32,
    /// A master's slave connections.
    #[serde(deserialize_with = "super::admin5::null_as_default")]
    pub ha_connection_info: Vec<HaConnectionRuntimeInfo>,
    /// A slave's view of its master.
    pub ha_client_runtime_info: HaClientRuntimeInfo,
}

/// One slave connection of a master (Java `HARuntimeInfo.HAConnectionRuntimeInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HaConnectionRuntimeInfo {
    /// Slave address.
    pub addr: String,
    /// Offset the slave acknowledged.
    pub slave_ack_offset: i64,
    /// Bytes the slave is behind.
    pub diff: i64,
    /// Whether the slave is in sync.
    pub in_sync: bool,
    /// Transfer speed, bytes per second.
    pub transferred_byte_in_second: i64,
    /// Offset the transfer started from.
    pub transfer_from_where: i64,
}

/// A slave's replication state (Java `HARuntimeInfo.HAClientRuntimeInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HaClientRuntimeInfo {
    /// Master address.
    pub master_addr: Option<String>,
    /// Transfer speed, bytes per second.
    pub transferred_byte_in_second: i64,
    /// Slave's commit-log max offset.
    pub max_offset: i64,
    /// Last read from the master, milliseconds since the epoch.
    pub last_read_timestamp: i64,
    /// Last write to the master, milliseconds since the epoch.
    pub last_write_timestamp: i64,
    /// Master's flush offset.
    pub master_flush_offset: i64,
    /// Whether the HA client is activated (Java has no getter; read when present).
    #[serde(alias = "isActivated")]
    pub activated: bool,
}

impl super::JsonBody for BrokerReplicasInfo {}
impl super::JsonBody for EpochEntryCache {}
impl super::JsonBody for BrokerMemberGroup {}
impl super::JsonBody for HaRuntimeInfo {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::JsonBody;

    #[test]
    fn sync_state_reads_java_answer() {
        let body = br#"{"replicasInfoTable":{"broker-a":{"masterBrokerId":1,
            "masterAddress":"10.0.0.1:30911","masterEpoch":3,"syncStateSetEpoch":5,
            "inSyncReplicas":[{"brokerName":"broker-a","brokerId":1,"brokerAddress":"10.0.0.1:30911","alive":true}],
            "notInSyncReplicas":[{"brokerName":"broker-a","brokerId":2,"brokerAddress":"10.0.0.2:30911"}]}}}"#;
        let info = BrokerReplicasInfo::from_json(body).expect("decodes");
        let a = &info.replicas_info_table["broker-a"];
        assert_eq!(a.master_epoch, Some(3));
        assert_eq!(a.in_sync_replicas[0].alive, Some(true));
        assert_eq!(a.not_in_sync_replicas[0].alive, None);
    }

    #[test]
    fn member_group_reads_bare_fastjson_keys() {
        let body = br#"{"brokerAddrs":{1:"10.0.0.1:30911",2:"10.0.0.2:30911"},"brokerName":"b","cluster":"c"}"#;
        let group = BrokerMemberGroup::from_json(body).expect("decodes");
        assert_eq!(group.broker_addrs[&2], "10.0.0.2:30911");
    }

    #[test]
    fn epoch_entries_default_to_open_ended() {
        let body = br#"{"brokerId":1,"brokerName":"b","clusterName":"c","epochList":[{"epoch":1,"startOffset":0,"endOffset":100},{"epoch":2,"startOffset":100}],"maxOffset":250}"#;
        let cache = EpochEntryCache::from_json(body).expect("decodes");
        assert_eq!(cache.epoch_list[1].end_offset, i64::MAX);
        assert_eq!(cache.max_offset, 250);
    }

    #[test]
    fn ha_status_reads_master_and_slave_shapes() {
        let master = br#"{"haClientRuntimeInfo":{"isActivated":false,"lastReadTimestamp":0,"lastWriteTimestamp":0,"masterFlushOffset":0,"maxOffset":0,"transferredByteInSecond":0},
            "haConnectionInfo":[{"addr":"10.0.0.2:50000","diff":10,"inSync":true,"slaveAckOffset":90,"transferFromWhere":0,"transferredByteInSecond":2048}],
            "inSyncSlaveNums":1,"master":true,"masterCommitLogMaxOffset":100}"#;
        let info = HaRuntimeInfo::from_json(master).expect("decodes");
        assert!(info.master);
        assert_eq!(info.ha_connection_info[0].diff, 10);
        let slave = br#"{"haClientRuntimeInfo":{"masterAddr":"10.0.0.1:10912","maxOffset":5,"activated":true},"master":false}"#;
        let info = HaRuntimeInfo::from_json(slave).expect("decodes");
        assert!(info.ha_client_runtime_info.activated);
        assert_eq!(info.ha_client_runtime_info.max_offset, 5);
    }
}
