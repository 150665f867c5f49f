//! The rebalance service (Java's `RebalanceService`): every registered consumer rebalances every
//! `rebalance_period` (20 s), and at once when a broker says the group's members changed.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use tracing::{debug, error, Instrument};

use crate::instance::ClientInstance;

impl ClientInstance {
    /// Wakes the rebalance service now.
    pub fn rebalance_immediately(&self) {
        self.inner.rebalance.notify_one();
    }

    /// Rebalances every registered consumer once. A panicking consumer is logged and skipped.
    pub async fn do_rebalance(&self) {
        for consumer in self.consumers_snapshot() {
            let group = consumer.group().to_owned();
            if AssertUnwindSafe(consumer.do_rebalance())
                .catch_unwind()
                .await
                .is_err()
            {
                error!(%group, "rebalance panicked; will retry at the next round");
            }
        }
    }

    pub(crate) fn spawn_rebalance_service(&self) {
        let weak = Arc::downgrade(&self.inner);
        let token = self.inner.token.clone();
        let period = self.config().schedule().rebalance_period;
        let span = tracing::debug_span!("rebalance_service", client_id = %self.client_id());
        let inner = self.inner.clone();
        self.inner.tracker.spawn(
            async move {
                // Hold no strong reference between rounds, so dropping every handle ends this.
                drop(inner);
                loop {
                    let Some(instance) = ClientInstance::from_weak(&weak) else {
                        break;
                    };
                    instance.do_rebalance().await;
                    let woken = async {
                        tokio::select! {
                            () = tokio::time::sleep(period) => {}
                            () = instance.inner.rebalance.notified() => {}
                        }
                    };
                    tokio::select! {
                        biased;
                        () = token.cancelled() => break,
                        () = woken => {}
                    }
                }
                debug!("rebalance service stopped");
            }
            .instrument(span),
        );
    }
}
