//! The name servers' own state: KV config (namespaced key/value pairs, e.g. `ORDER_TOPIC_CONFIG`)
//! and each name server's config.

use std::collections::BTreeMap;

use crate::admin::Admin;
use crate::error::{Context, Result};

impl Admin {
    /// One KV config value, or `None` when it is not set (`getKVConfig`).
    ///
    /// # Errors
    /// [`Error::Client`](crate::Error::Client) when the name server cannot be asked.
    pub async fn kv_config(&self, namespace: &str, key: &str) -> Result<Option<String>> {
        self.api()
            .kv_config_get(namespace, key, self.timeout())
            .await
            .context(|| {
                format!(
                    "get KV config {namespace}/{key} from {}",
                    self.namesrv_label()
                )
            })
    }

    /// Every key and value of a namespace (`getKVListByNamespace`); empty when unknown.
    ///
    /// # Errors
    /// [`Error::Client`](crate::Error::Client) when the name server cannot be asked.
    pub async fn kv_list(&self, namespace: &str) -> Result<BTreeMap<String, String>> {
        self.api()
            .kv_list_by_namespace(namespace, self.timeout())
            .await
            .context(|| format!("list KV namespace {namespace} of {}", self.namesrv_label()))
    }

    /// Sets a KV config value on every name server (`createAndUpdateKvConfig`).
    ///
    /// # Errors
    /// The first name server that fails, after all were tried.
    pub async fn put_kv_config(&self, namespace: &str, key: &str, value: &str) -> Result<()> {
        self.api()
            .kv_config_put(namespace, key, value, self.timeout())
            .await
            .context(|| {
                format!(
                    "put KV config {namespace}/{key} to {}",
                    self.namesrv_label()
                )
            })
    }

    /// Removes a KV config value from every name server (`deleteKvConfig`).
    ///
    /// # Errors
    /// The first name server that fails, after all were tried.
    pub async fn delete_kv_config(&self, namespace: &str, key: &str) -> Result<()> {
        self.api()
            .kv_config_delete(namespace, key, self.timeout())
            .await
            .context(|| {
                format!(
                    "delete KV config {namespace}/{key} from {}",
                    self.namesrv_label()
                )
            })
    }

    /// The config of each configured name server, keyed by address (`getNameServerConfig`).
    ///
    /// # Errors
    /// The first name server that fails, named.
    pub async fn namesrv_config(&self) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
        let mut out = BTreeMap::new();
        for ns in self.namesrv_addrs() {
            let config = self
                .api()
                .namesrv_config_get(&ns, self.timeout())
                .await
                .context(|| format!("get the config of name server {ns}"))?;
            out.insert(ns, config);
        }
        Ok(out)
    }

    /// Sets `key = value` in every configured name server's config (`updateNameServerConfig`);
    /// returns the name servers updated.
    ///
    /// # Errors
    /// The first name server that refuses, named.
    pub async fn update_namesrv_config(&self, key: &str, value: &str) -> Result<Vec<String>> {
        let config = BTreeMap::from([(key.to_owned(), value.to_owned())]);
        let addrs = self.namesrv_addrs();
        for ns in &addrs {
            self.api()
                .namesrv_config_update(ns, &config, self.timeout())
                .await
                .context(|| format!("update {key}={value} on name server {ns}"))?;
        }
        Ok(addrs)
    }
}
