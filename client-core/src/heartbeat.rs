//! Heartbeats (Java's `sendHeartbeatToAllBroker`) and unregistration (`unregisterClient`):
//! every registered producer and consumer group, announced to every master broker (and to the
//! slaves too once a consumer is registered), and withdrawn from all of them on removal. Each
//! heartbeat goes as V1 or as the 5.x V2 the broker announced (`heartbeat_v2.rs`).

use rmq_protocol::body::{ConsumerData, HeartbeatData, ProducerData, EXPRESSION_TAG, MASTER_ID};
use tracing::{debug, info, warn};

use crate::api::CheckClientRequestBody;
use crate::error::{Error, Result};
use crate::instance::{ClientInstance, LOCK_TIMEOUT};

/// What one round of heartbeats achieved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeartbeatReport {
    /// Broker addresses that acknowledged, with the version each reported.
    pub acknowledged: Vec<(String, i32)>,
    /// Broker addresses that failed, with the error text.
    pub failed: Vec<(String, String)>,
    /// Whether the round was skipped (nothing registered, or another round still running).
    pub skipped: bool,
}

impl ClientInstance {
    /// The heartbeat body: this client's id, its consumer groups with their subscriptions, and
    /// its producer groups.
    pub fn heartbeat_data(&self) -> HeartbeatData {
        let consumer_data_set = self
            .consumers_snapshot()
            .iter()
            .map(|c| ConsumerData {
                group_name: c.group().to_owned(),
                consume_type: c.consume_type(),
                message_model: c.message_model(),
                consume_from_where: c.consume_from_where(),
                subscription_data_set: c.subscriptions(),
                unit_mode: c.is_unit_mode(),
            })
            .collect();
        let producer_data_set = self
            .producer_groups()
            .into_iter()
            .map(|group_name| ProducerData { group_name })
            .collect();
        HeartbeatData {
            client_id: self.client_id().to_owned(),
            consumer_data_set,
            producer_data_set,
            ..HeartbeatData::default()
        }
    }

    /// Sends a heartbeat to every known broker: masters always, slaves only when a consumer is
    /// registered. Records each broker's version. A round still running makes this one skip.
    ///
    /// # Errors
    /// Never for a single broker's failure (those are in the report).
    pub async fn send_heartbeat_to_all_brokers(&self) -> Result<HeartbeatReport> {
        let Ok(mut rounds) = self.inner.heartbeat_lock.try_lock() else {
            warn!("a heartbeat round is still running; skipping this one");
            return Ok(HeartbeatReport {
                skipped: true,
                ..HeartbeatReport::default()
            });
        };
        self.heartbeat_round(&mut rounds).await
    }

    /// Sends a heartbeat round now, waiting (up to the 3 s lock timeout) for a running round to
    /// finish instead of skipping: what a producer or consumer needs at start, so that its
    /// first request does not race the broker's registration (`SUBSCRIPTION_NOT_EXIST`).
    ///
    /// # Errors
    /// [`Error::LockTimeout`] when a round holds the lock for over 3 s.
    pub async fn send_heartbeat_now(&self) -> Result<HeartbeatReport> {
        let mut rounds = tokio::time::timeout(LOCK_TIMEOUT, self.inner.heartbeat_lock.lock())
            .await
            .map_err(|_| Error::LockTimeout("heartbeat", LOCK_TIMEOUT))?;
        self.heartbeat_round(&mut rounds).await
    }

    /// Sends one heartbeat to the broker at `addr` now, outside the periodic rounds: for a
    /// broker that was reconnected (it may have restarted and forgotten this client's groups)
    /// or that refused a pull for a group it does not know. Concurrent calls for one address
    /// share one request. Does nothing when no producer or consumer is registered.
    ///
    /// # Errors
    /// The broker's or the transport's error.
    ///
    /// # Cancel safety
    /// Dropping the future stops waiting; the heartbeat itself is still sent.
    pub async fn heartbeat_broker(&self, addr: &str) -> Result<()> {
        let owned = addr.to_owned();
        self.single_flight(format!("heartbeat:{addr}"), move |instance| async move {
            let data = instance.heartbeat_data();
            if data.consumer_data_set.is_empty() && data.producer_data_set.is_empty() {
                return Ok(false);
            }
            let timeout = instance.config().api_timeout();
            // A broker reached again may have restarted: give it the full subscriptions.
            instance.forget_heartbeat_v2(&owned);
            let version = instance.heartbeat_v2(&owned, &data, timeout).await?;
            for (broker_name, ids) in instance.brokers().snapshot() {
                if ids.values().any(|a| *a == owned) {
                    instance
                        .brokers()
                        .set_version(&broker_name, &owned, version);
                }
            }
            debug!(addr = %owned, "heartbeat sent out of round");
            Ok(true)
        })
        .await
        .map(|_| ())
        .map_err(|e| std::sync::Arc::try_unwrap(e).unwrap_or_else(Error::Shared))
    }

    /// Heartbeats `addr` in the background when it is a known broker and the instance runs:
    /// what the transport calls when a connection to a broker is established again.
    pub(crate) fn heartbeat_on_reconnect(&self, addr: &str) {
        if self.state() != crate::state::ServiceState::Running {
            return;
        }
        let known = self
            .brokers()
            .snapshot()
            .values()
            .any(|ids| ids.values().any(|a| a == addr));
        if !known {
            return;
        }
        let instance = self.clone();
        let addr = addr.to_owned();
        let token = self.inner.token.clone();
        self.inner.tracker.spawn(async move {
            tokio::select! {
                () = token.cancelled() => {}
                r = instance.heartbeat_broker(&addr) => match r {
                    Ok(()) => info!(%addr, "broker reconnected; heartbeat sent"),
                    Err(e) => info!(%addr, error = %rmq_remoting::Error::chain(&e), "broker reconnected; heartbeat failed"),
                },
            }
        });
    }

    async fn heartbeat_round(&self, rounds: &mut u64) -> Result<HeartbeatReport> {
        let data = self.heartbeat_data();
        let consumers_empty = data.consumer_data_set.is_empty();
        if consumers_empty && data.producer_data_set.is_empty() {
            debug!("no producer or consumer registered; no heartbeat sent");
            return Ok(HeartbeatReport {
                skipped: true,
                ..HeartbeatReport::default()
            });
        }
        *rounds += 1;
        let mut report = HeartbeatReport::default();
        let timeout = self.config().api_timeout();
        for (broker_name, ids) in self.brokers().snapshot() {
            for (id, addr) in ids {
                if consumers_empty && id != MASTER_ID {
                    continue;
                }
                match self.heartbeat_v2(&addr, &data, timeout).await {
                    Ok(version) => {
                        self.brokers().set_version(&broker_name, &addr, version);
                        report.acknowledged.push((addr, version));
                    }
                    Err(e) => {
                        let known = self.routes().has_broker_addr(&addr);
                        info!(broker = %broker_name, %addr, error = %rmq_remoting::Error::chain(&e), in_routes = known, "heartbeat failed");
                        report.failed.push((addr, e.to_string()));
                    }
                }
            }
        }
        Ok(report)
    }

    /// Asks a broker of each subscribed topic whether it accepts each non-TAG (SQL92)
    /// subscription (Java's `checkClientInBroker`), so a filter the broker rejects fails the
    /// consumer's start instead of silently delivering nothing.
    ///
    /// # Errors
    /// The broker's rejection, naming the group and expression.
    pub async fn check_client_in_broker(&self) -> Result<()> {
        for consumer in self.consumers_snapshot() {
            for sub in consumer.subscriptions() {
                if sub.expression_type == EXPRESSION_TAG {
                    continue;
                }
                let Some(addr) = self.find_broker_addr_by_topic(&sub.topic) else {
                    continue;
                };
                let body = CheckClientRequestBody {
                    client_id: self.client_id().to_owned(),
                    group: consumer.group().to_owned(),
                    subscription_data: sub,
                };
                self.api()
                    .check_client_in_broker(&addr, &body, self.config().api_timeout())
                    .await?;
            }
        }
        Ok(())
    }

    pub(crate) async fn unregister_client_with_lock(
        &self,
        producer: Option<&str>,
        consumer: Option<&str>,
    ) {
        match tokio::time::timeout(LOCK_TIMEOUT, self.inner.heartbeat_lock.lock()).await {
            Ok(_guard) => self.unregister_client(producer, consumer).await,
            Err(_) => {
                warn!(error = %Error::LockTimeout("heartbeat", LOCK_TIMEOUT), "unregister skipped")
            }
        }
    }

    /// Sends UNREGISTER_CLIENT for the groups to every known broker address.
    pub(crate) async fn unregister_client(&self, producer: Option<&str>, consumer: Option<&str>) {
        let timeout = self.config().api_timeout();
        for (broker_name, ids) in self.brokers().snapshot() {
            for addr in ids.values() {
                let r = self
                    .api()
                    .unregister_client(addr, self.client_id(), producer, consumer, timeout)
                    .await;
                match r {
                    Ok(()) => {
                        debug!(broker = %broker_name, %addr, ?producer, ?consumer, "unregistered")
                    }
                    Err(e) => {
                        warn!(broker = %broker_name, %addr, error = %rmq_remoting::Error::chain(&e), "unregister failed")
                    }
                }
            }
        }
    }
}
