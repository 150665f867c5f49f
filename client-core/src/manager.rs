//! Instances shared per client id (Java's `MQClientManager`), refusing to share one between
//! configs that conflict instead of silently merging them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::instance::ClientInstance;
use crate::state::ServiceState;

static INSTANCES: LazyLock<Mutex<HashMap<String, ClientInstance>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));
static NEXT_INDEX: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn next_index() -> usize {
    NEXT_INDEX.fetch_add(1, Ordering::Relaxed)
}

/// The instance for `config`'s client id: the running one when its config is compatible, or a
/// new one (not yet started).
///
/// # Errors
/// [`Error::Conflict`] naming the differing settings when a live instance with the same client
/// id has a conflicting config.
pub fn get_or_create(config: ClientConfig) -> Result<ClientInstance> {
    let client_id = config.client_id();
    let mut map = INSTANCES
        .lock()
        .map_err(|_| Error::Config("instance registry poisoned".into()))?;
    if let Some(existing) = map.get(&client_id) {
        if existing.state() != ServiceState::ShutdownAlready {
            if let Some(diff) = existing.config().conflicts_with(&config) {
                return Err(Error::Conflict { client_id, diff });
            }
            return Ok(existing.clone());
        }
    }
    let instance = ClientInstance::new(config)?;
    map.insert(client_id, instance.clone());
    Ok(instance)
}

/// Forgets the instance of `client_id` (called by its shutdown).
pub(crate) fn remove(client_id: &str, instance: &ClientInstance) {
    if let Ok(mut map) = INSTANCES.lock() {
        if map.get(client_id).is_some_and(|i| i.ptr_eq(instance)) {
            map.remove(client_id);
        }
    }
}

/// Number of instances the manager holds.
pub fn instance_count() -> usize {
    INSTANCES.lock().map(|m| m.len()).unwrap_or(0)
}
