//! Instances shared per client id (Java's `MQClientManager`), refusing to share one between
//! configs that conflict instead of silently merging them. An instance that has shut down is
//! forgotten at the next lookup or count (the manager sits above the instance: the instance
//! never calls back into it).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, MutexGuard};

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::instance::ClientInstance;
use crate::state::ServiceState;

static INSTANCES: LazyLock<Mutex<HashMap<String, ClientInstance>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The registry with every shut-down instance dropped.
fn live() -> Result<MutexGuard<'static, HashMap<String, ClientInstance>>> {
    let mut map = INSTANCES
        .lock()
        .map_err(|_| Error::Config("instance registry poisoned".into()))?;
    map.retain(|_, instance| instance.state() != ServiceState::ShutdownAlready);
    Ok(map)
}

impl ClientInstance {
    /// The shared instance for `config`'s client id (created when there is none).
    ///
    /// # Errors
    /// [`Error::Conflict`] when a live instance with that id has a conflicting config.
    pub fn shared(config: ClientConfig) -> Result<ClientInstance> {
        get_or_create(config)
    }
}

/// The instance for `config`'s client id: the running one when its config is compatible, or a
/// new one (not yet started).
///
/// # Errors
/// [`Error::Conflict`] naming the differing settings when a live instance with the same client
/// id has a conflicting config.
pub fn get_or_create(config: ClientConfig) -> Result<ClientInstance> {
    let client_id = config.client_id();
    let mut map = live()?;
    if let Some(existing) = map.get(&client_id) {
        if let Some(diff) = existing.config().conflicts_with(&config) {
            return Err(Error::Conflict { client_id, diff });
        }
        return Ok(existing.clone());
    }
    let instance = ClientInstance::new(config)?;
    map.insert(client_id, instance.clone());
    Ok(instance)
}

/// Number of live (not shut down) instances the manager holds.
pub fn instance_count() -> usize {
    live().map(|m| m.len()).unwrap_or(0)
}
