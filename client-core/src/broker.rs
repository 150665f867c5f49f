//! Broker name to `{broker id -> address}` (Java's `brokerAddrTable`), broker versions learnt
//! from heartbeats, and the address-finding rules producers, consumers and admins use.

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

use rmq_protocol::body::MASTER_ID;

/// An address found for a broker name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundBroker {
    /// `ip:port`.
    pub addr: String,
    /// Whether it is a slave.
    pub slave: bool,
    /// The broker's MQVersion ordinal from the last heartbeat (0 when unknown).
    pub version: i32,
}

/// The broker address and version tables.
#[derive(Debug, Default)]
pub struct BrokerTable {
    addrs: RwLock<HashMap<String, BTreeMap<i64, String>>>,
    versions: RwLock<HashMap<String, HashMap<String, i32>>>,
}

impl BrokerTable {
    /// Sets the addresses of `broker_name`.
    pub fn update(&self, broker_name: &str, addrs: BTreeMap<i64, String>) {
        if let Ok(mut t) = self.addrs.write() {
            t.insert(broker_name.to_owned(), addrs);
        }
    }

    /// A copy of the whole table.
    pub fn snapshot(&self) -> HashMap<String, BTreeMap<i64, String>> {
        self.addrs.read().map(|t| t.clone()).unwrap_or_default()
    }

    /// `f` applied to the master address of `broker_name`, without copying the address (the
    /// table stays read-locked while `f` runs, so keep it short and never block in it).
    pub fn with_master<R>(&self, broker_name: &str, f: impl FnOnce(&str) -> R) -> Option<R> {
        let t = self.addrs.read().ok()?;
        let addr = t.get(broker_name)?.get(&MASTER_ID)?;
        Some(f(addr))
    }

    /// The addresses of `broker_name`.
    pub fn addrs_of(&self, broker_name: &str) -> Option<BTreeMap<i64, String>> {
        self.addrs.read().ok()?.get(broker_name).cloned()
    }

    /// Keeps only the addresses for which `keep` is true; drops broker names left with none.
    /// Returns the removed `(broker name, address)` pairs.
    pub fn retain_addrs(&self, mut keep: impl FnMut(&str) -> bool) -> Vec<(String, String)> {
        let mut removed = Vec::new();
        if let Ok(mut t) = self.addrs.write() {
            t.retain(|name, ids| {
                ids.retain(|_, addr| {
                    let k = keep(addr);
                    if !k {
                        removed.push((name.clone(), addr.clone()));
                    }
                    k
                });
                !ids.is_empty()
            });
        }
        removed
    }

    /// Records the version a broker reported.
    pub fn set_version(&self, broker_name: &str, addr: &str, version: i32) {
        if let Ok(mut v) = self.versions.write() {
            v.entry(broker_name.to_owned())
                .or_default()
                .insert(addr.to_owned(), version);
        }
    }

    /// The version of a broker address, 0 when unknown.
    pub fn version(&self, broker_name: &str, addr: &str) -> i32 {
        self.versions
            .read()
            .ok()
            .and_then(|v| v.get(broker_name).and_then(|m| m.get(addr)).copied())
            .unwrap_or(0)
    }

    /// The master address of `broker_name` (Java's `findBrokerAddressInPublish`).
    pub fn master(&self, broker_name: &str) -> Option<String> {
        self.addrs
            .read()
            .ok()?
            .get(broker_name)?
            .get(&MASTER_ID)
            .cloned()
    }

    /// The address of `broker_id`, or with `only_this_broker` false any address of the group
    /// (Java's `findBrokerAddressInSubscribe`).
    pub fn find_in_subscribe(
        &self,
        broker_name: &str,
        broker_id: i64,
        only_this_broker: bool,
    ) -> Option<FoundBroker> {
        let t = self.addrs.read().ok()?;
        let ids = t.get(broker_name)?;
        let (id, addr) = match ids.get_key_value(&broker_id) {
            Some(found) => found,
            None if !only_this_broker => ids.iter().next()?,
            None => return None,
        };
        Some(FoundBroker {
            addr: addr.clone(),
            slave: *id != MASTER_ID,
            version: self.version(broker_name, addr),
        })
    }

    /// The master, else any address of `broker_name` (Java's `findBrokerAddressInAdmin`).
    pub fn find_in_admin(&self, broker_name: &str) -> Option<FoundBroker> {
        self.find_in_subscribe(broker_name, MASTER_ID, false)
    }

    /// Whether no broker is known.
    pub fn is_empty(&self) -> bool {
        self.addrs.read().map(|t| t.is_empty()).unwrap_or(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_master_sees_only_the_master_address() {
        let t = BrokerTable::default();
        t.update("a", [(1, "s:1".to_owned())].into());
        assert_eq!(t.with_master("a", str::len), None);
        assert_eq!(t.with_master("b", str::len), None);
        t.update("a", [(0, "m:0".to_owned()), (1, "s:1".to_owned())].into());
        assert_eq!(t.with_master("a", str::to_owned), Some("m:0".to_owned()));
        assert_eq!(t.with_master("a", str::to_owned), t.master("a"));
    }

    #[test]
    fn subscribe_falls_back_to_any_address_unless_only_this_broker() {
        let t = BrokerTable::default();
        t.update("a", [(1, "s:1".to_owned())].into());
        assert_eq!(t.master("a"), None);
        assert_eq!(t.find_in_subscribe("a", 0, true), None);
        let found = t.find_in_subscribe("a", 0, false).expect("fallback");
        assert_eq!((found.addr.as_str(), found.slave), ("s:1", true));
        t.set_version("a", "s:1", 407);
        assert_eq!(t.find_in_admin("a").expect("admin").version, 407);
    }

    #[test]
    fn retain_drops_names_left_without_addresses() {
        let t = BrokerTable::default();
        t.update("a", [(0, "m:1".to_owned()), (1, "s:1".to_owned())].into());
        t.update("b", [(0, "m:2".to_owned())].into());
        let removed = t.retain_addrs(|addr| addr == "m:1");
        assert_eq!(removed.len(), 2);
        assert!(t.addrs_of("b").is_none());
        assert_eq!(t.addrs_of("a").expect("a").len(), 1);
    }
}
