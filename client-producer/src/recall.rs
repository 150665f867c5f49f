//! [`Producer::recall`]: withdraws a timer message before its delivery time with the recall
//! handle of its send receipt (Java 5.x `DefaultMQProducerImpl#recallMessage`), sent to the
//! master of the broker the handle names. It does not check whether the message was delivered;
//! the broker answers that.

use rmq_protocol::header::{RecallHandle, RecallMessageRequestHeader};
use rmq_protocol::{naming, validate};

use crate::error::{Error, Result};
use crate::id::MessageId;
use crate::producer::Producer;

impl Producer {
    /// Recalls the message whose send receipt gave `handle`
    /// ([`SendReceipt::recall_handle`](crate::SendReceipt::recall_handle)), sent to `topic` (as
    /// the user named it); answers the recalled message's unique id. Needs a 5.x broker.
    ///
    /// # Errors
    /// [`Error::InvalidMessage`] for an invalid topic or a handle that does not decode (before
    /// any network call); [`Error::Client`] when the handle's broker has no known master, or
    /// with the broker's code (a 4.x broker answers `REQUEST_CODE_NOT_SUPPORTED`; a message
    /// already delivered or an unknown handle is refused); [`Error::Shutdown`].
    ///
    /// # Cancel safety
    /// Dropping the future stops waiting; the request may still reach the broker.
    pub async fn recall(&self, topic: &str, handle: &str) -> Result<MessageId> {
        let shared = &self.shared;
        shared.ensure_open()?;
        validate::check_topic(topic).map_err(|e| Error::InvalidMessage(e.to_string()))?;
        let decoded = RecallHandle::decode(handle)
            .map_err(|e| Error::InvalidMessage(format!("cannot recall: {e}")))?;
        let wire_topic = naming::wrap_namespace(shared.settings.namespace.as_deref(), topic);
        let brokers = shared.instance.brokers();
        let addr = match brokers.master(&decoded.broker_name) {
            Some(addr) => addr,
            None => {
                // Java: tryToFindTopicPublishInfo, then look again.
                shared.instance.update_topic_route(&wire_topic).await?;
                brokers.master(&decoded.broker_name).ok_or_else(|| {
                    Error::Client(rmq_client_core::Error::BrokerNotFound {
                        broker_name: decoded.broker_name.clone(),
                    })
                })?
            }
        };
        let header = RecallMessageRequestHeader {
            producer_group: Some(shared.registered_group().to_owned()),
            topic: wire_topic,
            recall_handle: handle.to_owned(),
            broker_name: Some(decoded.broker_name),
        };
        let id = shared
            .instance
            .api()
            .recall_message(&addr, &header, shared.settings.send_timeout)
            .await?;
        Ok(MessageId::from(id))
    }
}
