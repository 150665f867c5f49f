//! Transactional messages (Java's `TransactionMQProducer`): a half message, the local
//! transaction, then END_TRANSACTION with commit, rollback or unknown; brokers check back on
//! unknown (or lost) outcomes through the [`TransactionChecker`](crate::TransactionChecker) of the group.
//!
//! Checks are dispatched by the client instance (CHECK_TRANSACTION_STATE) to whichever producer
//! of the group is registered, so a restarted producer with the same group answers checks of
//! half messages its predecessor sent. END_TRANSACTION is oneway, as in Java: a lost one is
//! repaired by a later check.

use std::future::Future;

use rmq_protocol::header::EndTransactionRequestHeader;
use rmq_protocol::message::property;
use rmq_protocol::{ids, Message};

use crate::budget::Budget;
use crate::checker::TransactionState;
use crate::error::Result;
use crate::message;
use crate::producer::Producer;
use crate::receipt::SendReceipt;
use crate::send::Route;

/// A transactional send that the broker stored as a half message, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionReceipt {
    receipt: SendReceipt,
    state: TransactionState,
}

impl TransactionReceipt {
    /// The half message's receipt; its transaction id is the message's unique key.
    pub fn receipt(&self) -> &SendReceipt {
        &self.receipt
    }

    /// What the local transaction decided (and END_TRANSACTION carried).
    pub fn state(&self) -> TransactionState {
        self.state
    }
}

/// A producer of transactional messages; also sends plain messages through
/// [`as_producer`](Self::as_producer). A cheap `Clone` handle.
///
/// ```no_run
/// use rmq_client_producer::{Message, TransactionProducer, TransactionState};
/// # async fn demo() -> rmq_client_producer::Result<()> {
/// let producer = TransactionProducer::builder()
///     .namesrv("127.0.0.1:9876")
///     .group("orders_tx")
///     .checker(|msg| async move {
///         // Asked when the outcome was left unknown: look the order up.
///         if msg.keys().any(|k| k == "o-1") { TransactionState::Commit } else { TransactionState::Rollback }
///     })
///     .build()
///     .await?;
/// let done = producer
///     .send_in_transaction(&Message::new("Orders", "created"), |_receipt| async {
///         TransactionState::Commit // after writing the order to the database
///     })
///     .await?;
/// assert_eq!(done.state(), TransactionState::Commit);
/// producer.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TransactionProducer {
    producer: Producer,
}

impl TransactionProducer {
    pub(crate) fn new(producer: Producer) -> Self {
        TransactionProducer { producer }
    }

    /// The plain producer underneath (same group and instance).
    pub fn as_producer(&self) -> &Producer {
        &self.producer
    }

    /// Sends `msg` as a half message, runs `execute` with its receipt when the broker stored
    /// it, and ends the transaction with the state `execute` returns. A half message stored
    /// with a status other than `SEND_OK` is rolled back without running `execute`, as Java
    /// does. A delay level is dropped (Java refuses delayed transactional messages).
    ///
    /// # Errors
    /// As [`Producer::send`] for the half message; END_TRANSACTION failures are not errors
    /// (the broker checks back), they are logged.
    ///
    /// # Cancel safety
    /// Dropping the future after the half message was stored leaves the transaction unknown;
    /// the broker then asks the checker.
    pub async fn send_in_transaction<F, Fut>(
        &self,
        msg: &Message,
        execute: F,
    ) -> Result<TransactionReceipt>
    where
        F: FnOnce(SendReceipt) -> Fut,
        Fut: Future<Output = TransactionState>,
    {
        let shared = &self.producer.shared;
        shared.ensure_open()?;
        let mut half = msg.clone();
        half.properties_mut().remove(property::DELAY_TIME_LEVEL);
        let half = half
            .with_property(property::TRANSACTION_PREPARED, "true")
            .with_property(property::PRODUCER_GROUP, shared.registered_group());
        let out = message::prepare(&shared.settings, &half)?;
        let budget = Budget::new(shared.settings.send_timeout);
        let attempts = shared.settings.retries + 1;
        let mut receipt = shared
            .send_traced(&out, Route::Any { attempts }, budget)
            .await?;
        receipt.transaction_id = Some(receipt.msg_id().to_string());
        let state = if receipt.status == rmq_client_core::api::SendStatus::Ok {
            execute(receipt.clone()).await
        } else {
            TransactionState::Rollback
        };
        self.end_transaction(&receipt, state).await;
        shared.trace_end_transaction(msg, &receipt, state);
        Ok(TransactionReceipt { receipt, state })
    }

    async fn end_transaction(&self, receipt: &SendReceipt, state: TransactionState) {
        let shared = &self.producer.shared;
        let commit_log_offset = match ids::decode_offset_msg_id(receipt.offset_msg_id().as_str()) {
            Ok(id) => id.commit_log_offset,
            Err(e) => {
                tracing::warn!(offset_msg_id = %receipt.offset_msg_id(), error = %rmq_remoting::Error::chain(&e), "cannot end a transaction: bad offset msg id; the broker will check back");
                return;
            }
        };
        let Some(addr) = shared
            .instance
            .brokers()
            .master(&receipt.queue().broker_name)
        else {
            tracing::warn!(broker = %receipt.queue().broker_name, "cannot end a transaction: broker address unknown; the broker will check back");
            return;
        };
        let header = EndTransactionRequestHeader {
            producer_group: shared.registered_group().to_owned(),
            tran_state_table_offset: receipt.queue_offset(),
            commit_log_offset,
            commit_or_rollback: state.wire_code(),
            from_transaction_check: Some(false),
            msg_id: receipt.msg_id().to_string(),
            transaction_id: receipt.transaction_id.clone(),
            broker_name: Some(receipt.queue().broker_name.clone()),
        };
        let sent = shared
            .instance
            .api()
            .end_transaction_oneway(&addr, &header, None, shared.settings.send_timeout)
            .await;
        if let Err(e) = sent {
            tracing::warn!(%addr, error = %rmq_remoting::Error::chain(&e), "END_TRANSACTION failed; the broker will check back");
        }
    }

    /// Shuts the producer down; see [`Producer::shutdown`]. Checks for this group go to
    /// another producer of the group, or wait until one starts.
    pub async fn shutdown(&self) {
        self.producer.shutdown().await;
    }
}
