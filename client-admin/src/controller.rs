//! Controller-mode clusters (5.x): the controller group's metadata, sync state sets, master
//! election, broker metadata clean-up and controller config; and what brokers report about
//! replication (HA status, epoch entries).
//!
//! Writes and sync-state reads go to the controller leader, found by asking the given
//! controller for its metadata first, as Java's admin does.

use std::collections::BTreeMap;

use rmq_protocol::body::{BrokerMemberGroup, BrokerReplicasInfo, EpochEntryCache, HaRuntimeInfo};
use rmq_protocol::header::{
    CleanControllerBrokerDataRequestHeader, ElectMasterRequestHeader, ElectMasterResponseHeader,
    GetMetaDataResponseHeader,
};

use crate::admin::{now_ms, Admin, Target};
use crate::error::{Error, Result};
use crate::support::Role;

impl Admin {
    /// The controller group and its leader, as `controller` sees them
    /// (`getControllerMetaData`).
    ///
    /// # Errors
    /// [`Error::Unsupported`] from a server without a controller; transport errors, named.
    pub async fn controller_metadata(&self, controller: &str) -> Result<GetMetaDataResponseHeader> {
        let r = self
            .api()
            .controller_metadata(controller, self.timeout())
            .await;
        self.v5(
            Role::Controller,
            controller,
            "getControllerMetaData (CONTROLLER_GET_METADATA_INFO)",
            r,
            || format!("get the metadata of controller {controller}"),
        )
        .await
    }

    /// The controller leader's address, asked of `controller`.
    async fn controller_leader(&self, controller: &str) -> Result<String> {
        self.controller_metadata(controller)
            .await?
            .controller_leader_address
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                Error::not_found(
                    "controller leader",
                    Some(format!("the metadata of controller {controller}")),
                )
            })
    }

    /// The replicas of each broker group in `broker_names`, from the controller leader
    /// (`getSyncStateSet`).
    ///
    /// # Errors
    /// No leader known; [`Error::Unsupported`]; the leader's refusal, named.
    pub async fn sync_state_set(
        &self,
        controller: &str,
        broker_names: &[String],
    ) -> Result<BrokerReplicasInfo> {
        let leader = self.controller_leader(controller).await?;
        let r = self
            .api()
            .sync_state_data(&leader, broker_names, self.timeout())
            .await;
        self.v5(
            Role::Controller,
            &leader,
            "getSyncStateSet (CONTROLLER_GET_SYNC_STATE_DATA)",
            r,
            || format!("get the sync state sets from controller leader {leader}"),
        )
        .await
    }

    /// Makes `broker_id` the master of `broker_name` (`electMaster`); returns the election's
    /// outcome and the group's members.
    ///
    /// # Errors
    /// No leader known; [`Error::Unsupported`]; the leader's refusal (the broker is not in the
    /// sync state set...), named.
    pub async fn elect_master(
        &self,
        controller: &str,
        cluster: &str,
        broker_name: &str,
        broker_id: i64,
    ) -> Result<(ElectMasterResponseHeader, BrokerMemberGroup)> {
        let leader = self.controller_leader(controller).await?;
        // Java: ElectMasterRequestHeader.ofAdminTrigger designates exactly this broker.
        let header = ElectMasterRequestHeader {
            cluster_name: cluster.to_owned(),
            broker_name: broker_name.to_owned(),
            broker_id,
            designate_elect: true,
            invoke_time: now_ms(),
        };
        let r = self
            .api()
            .elect_master(&leader, &header, self.timeout())
            .await;
        self.v5(
            Role::Controller,
            &leader,
            "electMaster (CONTROLLER_ELECT_MASTER)",
            r,
            || format!("elect broker {broker_name}/{broker_id} master at controller {leader}"),
        )
        .await
    }

    /// Drops the controller's metadata of `broker_name`, or only of the broker controller
    /// ids `ids` (`1;2;3`) (`cleanBrokerMetadata`).
    ///
    /// # Errors
    /// No leader known; [`Error::Unsupported`]; the leader's refusal (a live broker without
    /// `clean_living`...), named.
    pub async fn clean_broker_metadata(
        &self,
        controller: &str,
        cluster: Option<&str>,
        broker_name: &str,
        ids: Option<&str>,
        clean_living: bool,
    ) -> Result<()> {
        let leader = self.controller_leader(controller).await?;
        let header = CleanControllerBrokerDataRequestHeader {
            cluster_name: cluster.map(str::to_owned),
            broker_name: broker_name.to_owned(),
            broker_controller_ids_to_clean: ids.map(str::to_owned),
            is_clean_living_broker: clean_living,
            invoke_time: now_ms(),
        };
        let r = self
            .api()
            .clean_broker_data(&leader, &header, self.timeout())
            .await;
        self.v5(
            Role::Controller,
            &leader,
            "cleanBrokerMetadata (CLEAN_BROKER_DATA)",
            r,
            || format!("clean the metadata of broker {broker_name} at controller {leader}"),
        )
        .await
    }

    /// Each controller's config (`getControllerConfig`).
    ///
    /// # Errors
    /// The first controller that fails, named.
    pub async fn controller_config(
        &self,
        controllers: &[String],
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
        let mut out = BTreeMap::new();
        for addr in controllers {
            let r = self.api().controller_config(addr, self.timeout()).await;
            let config = self
                .v5(
                    Role::Controller,
                    addr,
                    "getControllerConfig (GET_CONTROLLER_CONFIG)",
                    r,
                    || format!("get the config of controller {addr}"),
                )
                .await?;
            out.insert(addr.clone(), config);
        }
        Ok(out)
    }

    /// Sets `key = value` on each controller (`updateControllerConfig`).
    ///
    /// # Errors
    /// The first controller that refuses, named.
    pub async fn update_controller_config(
        &self,
        controllers: &[String],
        key: &str,
        value: &str,
    ) -> Result<()> {
        let config = BTreeMap::from([(key.to_owned(), value.to_owned())]);
        for addr in controllers {
            let r = self
                .api()
                .update_controller_config(addr, &config, self.timeout())
                .await;
            self.v5(
                Role::Controller,
                addr,
                "updateControllerConfig (UPDATE_CONTROLLER_CONFIG)",
                r,
                || format!("update {key}={value} on controller {addr}"),
            )
            .await?;
        }
        Ok(())
    }

    /// A broker's master epochs (`getBrokerEpoch`).
    ///
    /// # Errors
    /// [`Error::Unsupported`] from a 4.x broker; other failures, named.
    pub async fn broker_epoch(&self, addr: &str) -> Result<EpochEntryCache> {
        let r = self.api().broker_epoch_cache(addr, self.timeout()).await;
        self.v5(
            Role::Broker,
            addr,
            "getBrokerEpoch (GET_BROKER_EPOCH_CACHE)",
            r,
            || format!("get the epoch cache of broker {addr}"),
        )
        .await
    }

    /// Every address of `broker_name` (master and slaves), by broker id.
    ///
    /// # Errors
    /// An unknown broker name.
    pub async fn broker_addrs(&self, broker_name: &str) -> Result<BTreeMap<i64, String>> {
        let info = self.cluster().await?;
        info.broker_addr_table
            .get(broker_name)
            .map(|b| b.broker_addrs.clone())
            .ok_or_else(|| {
                Error::not_found(format!("broker {broker_name}"), Some(self.namesrv_label()))
            })
    }

    /// The broker group names of `cluster`.
    ///
    /// # Errors
    /// An unknown cluster.
    pub async fn cluster_broker_names(&self, cluster: &str) -> Result<Vec<String>> {
        let info = self.cluster().await?;
        let mut names = info
            .cluster_addr_table
            .get(cluster)
            .cloned()
            .ok_or_else(|| {
                Error::not_found(format!("cluster {cluster}"), Some(self.namesrv_label()))
            })?;
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Every address (masters and slaves) of every broker group of `cluster`.
    ///
    /// # Errors
    /// An unknown cluster.
    pub async fn cluster_replica_addrs(&self, cluster: &str) -> Result<Vec<String>> {
        let info = self.cluster().await?;
        let names = info.cluster_addr_table.get(cluster).ok_or_else(|| {
            Error::not_found(format!("cluster {cluster}"), Some(self.namesrv_label()))
        })?;
        Ok(names
            .iter()
            .filter_map(|n| info.broker_addr_table.get(n))
            .flat_map(|b| b.broker_addrs.values().cloned())
            .collect())
    }

    /// The broker addresses a command targets: the broker, or every master of the cluster.
    ///
    /// # Errors
    /// An unknown cluster.
    pub async fn target_addrs(&self, target: &Target) -> Result<Vec<String>> {
        self.targets(target).await
    }

    /// A broker's replication state (`haStatus`).
    ///
    /// # Errors
    /// [`Error::Unsupported`] from a broker without the request; other failures, named.
    pub async fn ha_status(&self, addr: &str) -> Result<HaRuntimeInfo> {
        let r = self.api().broker_ha_status(addr, self.timeout()).await;
        self.v5(
            Role::Broker,
            addr,
            "haStatus (GET_BROKER_HA_STATUS)",
            r,
            || format!("get the HA status of broker {addr}"),
        )
        .await
    }
}
