//! A single in-memory controller on the name server's address (Java 5.3.3 with
//! `enableControllerInNamesrv`: `ControllerRequestProcessor` over `ReplicasInfoManager` and a
//! one-peer DLedger group), switched on by `MockClusterBuilder::controller(true)`.
//!
//! Serves CONTROLLER_GET_METADATA_INFO (it is the leader), CONTROLLER_GET_SYNC_STATE_DATA,
//! CONTROLLER_ELECT_MASTER, GET/UPDATE_CONTROLLER_CONFIG and CLEAN_BROKER_DATA. The broker
//! groups are the name server's: a group's master is broker id 0 and every registered replica
//! is in sync (a slave shares its master's store here), at master epoch 1. Brokers do not
//! switch roles here, so an election of another broker than the master is refused with Java's
//! CONTROLLER_ELECT_MASTER_FAILED and a remark that says why.

use std::collections::{BTreeMap, BTreeSet};

use rmq_protocol::body::{
    BrokerData, BrokerMemberGroup, BrokerReplicasInfo, ReplicaIdentity, ReplicasInfo,
};
use rmq_protocol::header::{
    CleanControllerBrokerDataRequestHeader, ElectMasterRequestHeader, ElectMasterResponseHeader,
    GetMetaDataResponseHeader,
};
use rmq_protocol::{Command, RequestCode, ResponseCode};

use super::routes::Routes;
use crate::reply;

/// Java `ResponseCode.CONTROLLER_INVALID_CLEAN_BROKER_METADATA`.
const INVALID_CLEAN_BROKER_METADATA: ResponseCode = ResponseCode(2009);
/// Java `ResponseCode.CONTROLLER_BROKER_NEED_TO_BE_REGISTERED`.
const BROKER_NEED_TO_BE_REGISTERED: ResponseCode = ResponseCode(2010);
/// Java `ResponseCode.CONTROLLER_MASTER_STILL_EXIST`.
const MASTER_STILL_EXIST: ResponseCode = ResponseCode(2011);
/// Java `ResponseCode.CONTROLLER_ELECT_MASTER_FAILED`.
const ELECT_MASTER_FAILED: ResponseCode = ResponseCode(2012);
/// The DLedger group and peer id (Java `ControllerConfig` defaults).
const GROUP: &str = "group1";
const SELF_ID: &str = "n0";
/// Java `ControllerConfig.configBlackList`.
const BLACK_LIST: [&str; 2] = ["configBlackList", "configStorePath"];
/// Most config entries kept.
const MAX_CONFIG: usize = 1_000;
/// Most broker names in one sync-state query.
const MAX_NAMES: usize = 10_000;

/// The controller's state: its config and the broker groups whose metadata was cleaned.
#[derive(Debug)]
pub(crate) struct Controller {
    /// The name server's (and so the controller's) address.
    addr: String,
    config: BTreeMap<String, String>,
    cleaned: BTreeSet<String>,
}

/// Whether [`Controller::serve`] handles `code`.
pub(crate) fn serves(code: RequestCode) -> bool {
    matches!(
        code,
        RequestCode::CONTROLLER_GET_METADATA_INFO
            | RequestCode::CONTROLLER_GET_SYNC_STATE_DATA
            | RequestCode::CONTROLLER_ELECT_MASTER
            | RequestCode::GET_CONTROLLER_CONFIG
            | RequestCode::UPDATE_CONTROLLER_CONFIG
            | RequestCode::CLEAN_BROKER_DATA
    )
}

impl Controller {
    /// The controller at `addr`, with Java's default config for its settings that matter here.
    pub(crate) fn new(addr: String) -> Controller {
        let config = [
            ("controllerType", "DLedger".to_owned()),
            ("controllerDLegerGroup", GROUP.to_owned()),
            ("controllerDLegerSelfId", SELF_ID.to_owned()),
            ("controllerDLegerPeers", format!("{SELF_ID}-{addr}")),
            ("enableElectUncleanMaster", "false".to_owned()),
            ("notifyBrokerRoleChanged", "true".to_owned()),
            ("scanNotActiveBrokerInterval", "5000".to_owned()),
            ("electMasterMaxRetryCount", "3".to_owned()),
            ("configBlackList", BLACK_LIST.join(";")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        Controller {
            addr,
            config,
            cleaned: BTreeSet::new(),
        }
    }

    /// Serves one of the codes [`serves`] accepts.
    pub(crate) fn serve(&mut self, routes: &Routes, request: &Command) -> Command {
        let result = match request.request_code() {
            RequestCode::CONTROLLER_GET_METADATA_INFO => Ok(self.metadata()),
            RequestCode::CONTROLLER_GET_SYNC_STATE_DATA => Ok(self.sync_state(routes, request)),
            RequestCode::CONTROLLER_ELECT_MASTER => self.elect(routes, request),
            RequestCode::GET_CONTROLLER_CONFIG => {
                let text = reply::format_properties(&self.config);
                Ok(reply::ok().with_body(text.into_bytes()))
            }
            RequestCode::UPDATE_CONTROLLER_CONFIG => self.update_config(request),
            _ => self.clean(routes, request),
        };
        result.unwrap_or_else(|answer| answer)
    }

    /// The broker group `name` as the controller sees it: registered and not cleaned.
    fn group(&self, routes: &Routes, name: &str) -> Option<BrokerData> {
        if self.cleaned.contains(name) {
            return None;
        }
        routes.cluster_info().broker_addr_table.remove(name)
    }

    /// Java `DLedgerController#getControllerMetadata` of a one-peer group: this is the leader.
    fn metadata(&self) -> Command {
        reply::with_header(&GetMetaDataResponseHeader {
            group: Some(GROUP.to_owned()),
            controller_leader_id: Some(SELF_ID.to_owned()),
            controller_leader_address: Some(self.addr.clone()),
            is_leader: true,
            peers: Some(format!("{SELF_ID}:{};", self.addr)),
        })
    }

    /// The sync state of each named group the controller knows (others are left out); the
    /// body is a JSON list of broker names, and an empty or missing one gets no body.
    fn sync_state(&self, routes: &Routes, request: &Command) -> Command {
        let names: Vec<String> = serde_json::from_slice(&request.body).unwrap_or_default();
        if names.is_empty() {
            return reply::ok();
        }
        let mut info = BrokerReplicasInfo::default();
        for name in names.into_iter().take(MAX_NAMES) {
            let Some(group) = self.group(routes, &name) else {
                continue;
            };
            let replicas: Vec<ReplicaIdentity> = group
                .broker_addrs
                .iter()
                .map(|(id, addr)| ReplicaIdentity {
                    broker_name: Some(name.clone()),
                    broker_id: Some(*id),
                    broker_address: Some(addr.clone()),
                    alive: Some(true),
                })
                .collect();
            let master = group.broker_addrs.get(&0).cloned();
            info.replicas_info_table.insert(
                name,
                ReplicasInfo {
                    master_broker_id: master.as_ref().map(|_| 0),
                    master_address: master,
                    master_epoch: Some(1),
                    sync_state_set_epoch: Some(1),
                    in_sync_replicas: replicas,
                    not_in_sync_replicas: Vec::new(),
                },
            );
        }
        reply::json(&info)
    }

    /// Java `ReplicasInfoManager#electMaster` for a group whose master is alive.
    fn elect(&self, routes: &Routes, request: &Command) -> Result<Command, Command> {
        let h = reply::header::<ElectMasterRequestHeader>(request)?;
        let Some(group) = self.group(routes, &h.broker_name) else {
            return Err(reply::error(
                BROKER_NEED_TO_BE_REGISTERED,
                "Broker hasn't been registered",
            ));
        };
        let Some(master_addr) = group.broker_addrs.get(&0).cloned() else {
            return Err(reply::error(
                ELECT_MASTER_FAILED,
                "Failed to elect a new master",
            ));
        };
        let designated = if h.designate_elect { h.broker_id } else { 0 };
        if designated != 0 {
            return Err(reply::error(
                ELECT_MASTER_FAILED,
                format!(
                    "Failed to elect a new master: the testkit cannot make broker {designated} of {} the master",
                    h.broker_name
                ),
            ));
        }
        let members = BrokerMemberGroup {
            cluster: Some(group.cluster.clone()),
            broker_name: Some(h.broker_name.clone()),
            broker_addrs: group.broker_addrs.clone(),
        };
        let header = ElectMasterResponseHeader {
            master_broker_id: Some(0),
            master_address: Some(master_addr),
            master_epoch: Some(1),
            sync_state_set_epoch: Some(1),
        };
        let body = serde_json::json!({
            "brokerMemberGroup": members,
            "syncStateSet": group.broker_addrs.keys().collect::<Vec<_>>(),
        });
        let remark = format!(
            "The old master 0 is still alive, not need to elect new master for broker {}",
            h.broker_name
        );
        Err(reply::error(MASTER_STILL_EXIST, remark)
            .with_header(&header)
            .with_body(body.to_string().into_bytes()))
    }

    /// Java `handleUpdateControllerConfig`: keys of the black list are refused.
    fn update_config(&mut self, request: &Command) -> Result<Command, Command> {
        let text = String::from_utf8_lossy(&request.body);
        let entries = reply::parse_properties(&text);
        if entries.keys().any(|k| BLACK_LIST.contains(&k.as_str())) {
            return Err(reply::error(
                ResponseCode::NO_PERMISSION,
                "Can not update config in black list.",
            ));
        }
        for (key, value) in entries {
            if self.config.len() < MAX_CONFIG || self.config.contains_key(&key) {
                self.config.insert(key, value);
            }
        }
        Ok(reply::ok())
    }

    /// Java `ReplicasInfoManager#cleanBrokerData`: a group with a live master, or a live
    /// replica named to clean, is refused unless `isCleanLivingBroker`; a cleaned group is no
    /// longer known to the controller (its brokers stay registered with the name server).
    fn clean(&mut self, routes: &Routes, request: &Command) -> Result<Command, Command> {
        let h = reply::header::<CleanControllerBrokerDataRequestHeader>(request)?;
        let group = self.group(routes, &h.broker_name);
        let ids = h
            .broker_controller_ids_to_clean
            .as_deref()
            .filter(|s| !s.trim().is_empty());
        if !h.is_clean_living_broker {
            match ids {
                None if group
                    .as_ref()
                    .is_some_and(|g| g.broker_addrs.contains_key(&0)) =>
                {
                    return Err(reply::error(
                        INVALID_CLEAN_BROKER_METADATA,
                        format!("Broker {} is still alive, clean up failure", h.broker_name),
                    ));
                }
                None => {}
                Some(ids) => {
                    for id in ids.split(';') {
                        let id: i64 = id.trim().parse().map_err(|e| {
                            reply::error(
                                INVALID_CLEAN_BROKER_METADATA,
                                format!("Please set the option <brokerControllerIdsToClean> according to the format, exception: {e}"),
                            )
                        })?;
                        if group
                            .as_ref()
                            .is_some_and(|g| g.broker_addrs.contains_key(&id))
                        {
                            return Err(reply::error(
                                INVALID_CLEAN_BROKER_METADATA,
                                format!(
                                    "Broker [{},  {id}] is still alive, clean up failure",
                                    h.broker_name
                                ),
                            ));
                        }
                    }
                }
            }
        }
        if group.is_none() {
            return Err(reply::error(
                INVALID_CLEAN_BROKER_METADATA,
                format!(
                    "Broker {} is not existed,clean broker data failure.",
                    h.broker_name
                ),
            ));
        }
        if ids.is_none() && self.cleaned.len() < MAX_NAMES {
            self.cleaned.insert(h.broker_name);
        }
        Ok(reply::ok())
    }
}
