//! Subscription groups: create/update, delete and list, on one broker or every master of a
//! cluster.

use std::collections::BTreeMap;

use rmq_protocol::body::SubscriptionGroupConfig;
use rmq_protocol::validate;

use crate::admin::{Admin, Target};
use crate::error::{Context, Error, Result};

impl Admin {
    /// Creates or updates the group on the targeted brokers
    /// (`createAndUpdateSubscriptionGroupConfig`); returns the broker addresses written.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid group name; an unknown cluster; the first
    /// broker that refuses, named.
    pub async fn create_or_update_group(
        &self,
        target: &Target,
        config: &SubscriptionGroupConfig,
    ) -> Result<Vec<String>> {
        validate::check_group(&config.group_name)
            .map_err(|e| Error::InvalidArgument(format!("group {:?}: {e}", config.group_name)))?;
        let addrs = self.targets(target).await?;
        for addr in &addrs {
            self.api()
                .create_subscription_group(addr, config, self.timeout())
                .await
                .context(|| format!("create group {} on broker {addr}", config.group_name))?;
        }
        Ok(addrs)
    }

    /// Deletes the group from the targeted brokers (`deleteSubscriptionGroup`), and its
    /// committed offsets when `remove_offset`; returns the broker addresses.
    ///
    /// # Errors
    /// An unknown cluster; the first broker that refuses, named.
    pub async fn delete_group(
        &self,
        target: &Target,
        group: &str,
        remove_offset: bool,
    ) -> Result<Vec<String>> {
        let addrs = self.targets(target).await?;
        for addr in &addrs {
            self.api()
                .delete_subscription_group(addr, group, remove_offset, self.timeout())
                .await
                .context(|| format!("delete group {group} on broker {addr}"))?;
        }
        Ok(addrs)
    }

    /// Every subscription group of one broker, keyed by name (`getAllSubscriptionGroup`).
    ///
    /// # Errors
    /// [`Error::Client`](crate::Error::Client) naming the broker.
    pub async fn groups(&self, addr: &str) -> Result<BTreeMap<String, SubscriptionGroupConfig>> {
        Ok(self
            .api()
            .all_subscription_groups(addr, self.timeout())
            .await
            .context(|| format!("list the subscription groups of broker {addr}"))?
            .subscription_group_table)
    }
}
