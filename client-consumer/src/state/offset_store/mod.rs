//! Consumed offsets per queue (Java's `OffsetStore`): kept in memory, persisted to the broker
//! ([`remote`], clustering) or to a local file ([`local`], broadcasting).
//!
//! The memory table only moves forward in normal operation (`increase_only`); resets and seeks
//! move it back explicitly.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use rmq_client_core::ClientInstance;
use rmq_protocol::MessageQueue;

use crate::error::Result;

pub(crate) mod local;
pub(crate) mod remote;

/// Where offsets are persisted.
#[derive(Debug)]
pub(crate) enum Backend {
    /// The broker (clustering).
    Remote {
        /// The instance whose brokers hold the offsets.
        instance: ClientInstance,
        /// The group.
        group: String,
    },
    /// A file (broadcasting).
    Local(local::LocalFile),
}

/// The offset table of one consumer and its backend.
#[derive(Debug)]
pub(crate) struct OffsetStore {
    table: Mutex<BTreeMap<MessageQueue, i64>>,
    backend: Backend,
}

impl OffsetStore {
    pub(crate) fn new(backend: Backend) -> Self {
        OffsetStore {
            table: Mutex::new(BTreeMap::new()),
            backend,
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, BTreeMap<MessageQueue, i64>> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Loads the local file (nothing for the remote store).
    pub(crate) fn load(&self) -> Result<()> {
        if let Backend::Local(file) = &self.backend {
            let loaded = file.read()?;
            self.table().extend(loaded);
        }
        Ok(())
    }

    /// Sets `queue`'s offset; with `increase_only` a smaller value is ignored.
    pub(crate) fn update(&self, queue: &MessageQueue, offset: i64, increase_only: bool) {
        let mut t = self.table();
        let e = t.entry(queue.clone()).or_insert(offset);
        if !increase_only || offset > *e {
            *e = offset;
        }
    }

    /// The offset in memory.
    pub(crate) fn read_memory(&self, queue: &MessageQueue) -> Option<i64> {
        self.table().get(queue).copied()
    }

    /// The persisted offset (`Ok(None)`: the group has none for this queue); remembered in
    /// memory when found.
    pub(crate) async fn read_store(&self, queue: &MessageQueue) -> Result<Option<i64>> {
        let found = match &self.backend {
            Backend::Remote { instance, group } => remote::query(instance, group, queue).await?,
            Backend::Local(file) => file.read()?.get(queue).copied(),
        };
        if let Some(o) = found {
            self.update(queue, o, false);
        }
        Ok(found)
    }

    /// Persists the offsets of `queues` (oneway to the broker, as Java's periodic persist).
    /// The remote store forgets queues not listed, as Java does.
    pub(crate) async fn persist_all(&self, queues: &BTreeSet<MessageQueue>) {
        match &self.backend {
            Backend::Remote { instance, group } => {
                let snapshot: Vec<(MessageQueue, i64)> = {
                    let mut t = self.table();
                    t.retain(|q, _| queues.contains(q));
                    t.iter().map(|(q, o)| (q.clone(), *o)).collect()
                };
                for (q, o) in snapshot {
                    remote::commit(instance, group, &q, o, true).await;
                }
            }
            Backend::Local(file) => {
                let snapshot = self.table().clone();
                if let Err(e) = file.write(&snapshot) {
                    tracing::warn!(error = %rmq_remoting::Error::chain(&e), "persisting local offsets failed");
                }
            }
        }
    }

    /// Persists one queue's offset and waits for the broker's answer (drop, shutdown, reset).
    pub(crate) async fn persist(&self, queue: &MessageQueue) {
        let Some(offset) = self.read_memory(queue) else {
            return;
        };
        match &self.backend {
            Backend::Remote { instance, group } => {
                remote::commit(instance, group, queue, offset, false).await;
            }
            Backend::Local(file) => {
                let snapshot = self.table().clone();
                if let Err(e) = file.write(&snapshot) {
                    tracing::warn!(error = %rmq_remoting::Error::chain(&e), "persisting local offsets failed");
                }
            }
        }
    }

    /// Forgets a queue.
    pub(crate) fn remove(&self, queue: &MessageQueue) {
        self.table().remove(queue);
    }

    /// The offsets of `topic`'s queues.
    pub(crate) fn table_of(&self, topic: &str) -> BTreeMap<MessageQueue, i64> {
        self.table()
            .iter()
            .filter(|(q, _)| q.topic == topic)
            .map(|(q, o)| (q.clone(), *o))
            .collect()
    }
}
