//! Request-reply (Java's `DefaultMQProducer.request`): the request carries a correlation id,
//! this client's id and a TTL; a responder sends [`reply_to`]'s message back; the broker pushes
//! it to this client (PUSH_REPLY_MESSAGE_TO_CLIENT), and the client instance hands it to the
//! waiting call. A request that times out leaves no entry behind.

use std::time::Duration;

use bytes::Bytes;
use rmq_protocol::message::property;
use rmq_protocol::{ids, naming, Message, StoredMessage};

use crate::budget::Budget;
use crate::error::{Error, Result};
use crate::message::{self, REPLY_MESSAGE_FLAG};
use crate::producer::{Producer, SendFuture};
use crate::send::Route;
use crate::shared::Shared;

/// The reply to `request` carrying `body` (Java's `MessageUtil.createReplyMessage`): addressed
/// to the requester's client through the cluster's reply topic. Send it with any producer.
///
/// # Errors
/// [`Error::InvalidMessage`] when `request` is not a request (no `CLUSTER` property set by the
/// broker).
pub fn reply_to(request: &StoredMessage, body: impl Into<Bytes>) -> Result<Message> {
    let cluster = request.property(property::CLUSTER).ok_or_else(|| {
        Error::InvalidMessage(
            "create reply message fail, requestMessage error, property[CLUSTER] is null".into(),
        )
    })?;
    let mut reply = Message::new(naming::reply_topic(cluster), body)
        .with_property(property::MESSAGE_TYPE, REPLY_MESSAGE_FLAG);
    for name in [
        property::CORRELATION_ID,
        property::MESSAGE_REPLY_TO_CLIENT,
        property::MESSAGE_TTL,
    ] {
        if let Some(v) = request.property(name) {
            reply = reply.with_property(name, v);
        }
    }
    Ok(reply)
}

impl Shared {
    async fn request_in(
        &self,
        msg: &Message,
        timeout: Duration,
        budget: Budget,
    ) -> Result<StoredMessage> {
        let correlation = ids::unique_id();
        let request = msg
            .clone()
            .with_property(property::CORRELATION_ID, correlation.clone())
            .with_property(property::MESSAGE_REPLY_TO_CLIENT, self.instance.client_id())
            .with_property(property::MESSAGE_TTL, timeout.as_millis().to_string());
        let out = message::prepare(&self.settings, &request)?;
        // Registered before sending: a fast responder's reply finds its waiter.
        let pending = self.instance.replies().register(correlation.clone());
        let attempts = self.settings.retries + 1;
        self.send_outgoing(&out, Route::Any { attempts }, budget)
            .await?;
        match tokio::time::timeout_at(budget.tokio_deadline(), pending.wait()).await {
            Ok(Some(reply)) => Ok(reply),
            Ok(None) => Err(Error::Shutdown),
            Err(_) => Err(Error::Timeout {
                what: format!("the reply to request {correlation}"),
                after: budget.elapsed(),
            }),
        }
    }
}

impl Producer {
    /// Sends `msg` as a request and waits for its reply, all within `timeout` (which also
    /// becomes the request's TTL).
    ///
    /// # Errors
    /// As [`send`](Self::send) for the request; [`Error::Timeout`] when no reply came in time.
    ///
    /// # Cancel safety
    /// Dropping the future forgets the request; a late reply is dropped.
    pub async fn request(&self, msg: &Message, timeout: Duration) -> Result<StoredMessage> {
        self.shared.ensure_open()?;
        self.shared
            .request_in(msg, timeout, Budget::new(timeout))
            .await
    }

    /// Starts a request on a task of this producer (bounded like
    /// [`send_async`](Self::send_async)) and returns a future of its reply.
    ///
    /// # Errors
    /// As [`send_async`](Self::send_async); the returned future yields
    /// [`request`](Self::request)'s errors.
    ///
    /// # Cancel safety
    /// Cancel safe until it returns; the request then runs whether or not the returned future
    /// is awaited.
    pub async fn request_async(
        &self,
        msg: &Message,
        timeout: Duration,
    ) -> Result<SendFuture<StoredMessage>> {
        let shared = self.shared.clone();
        shared.ensure_open()?;
        let budget = Budget::new(timeout);
        message::check(&shared.settings, msg)?;
        let permits = shared.acquire_inflight(msg.body().len(), &budget).await?;
        let msg = msg.clone();
        let task = {
            let shared = shared.clone();
            async move {
                let _permits = permits;
                shared.request_in(&msg, timeout, budget).await
            }
        };
        Ok(SendFuture::new(shared.tracker.spawn(task)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_goes_to_the_cluster_reply_topic_with_the_request_ids() {
        let mut request = StoredMessage::default();
        for (k, v) in [
            ("CLUSTER", "DefaultCluster"),
            ("CORRELATION_ID", "c-1"),
            ("REPLY_TO_CLIENT", "127.0.0.1@1#2"),
            ("TTL", "3000"),
        ] {
            request.properties.insert(k, v);
        }
        let reply = reply_to(&request, "pong").expect("reply");
        assert_eq!(reply.topic(), "DefaultCluster_REPLY_TOPIC");
        assert_eq!(reply.property("MSG_TYPE"), Some("reply"));
        assert_eq!(reply.property("CORRELATION_ID"), Some("c-1"));
        assert_eq!(reply.property("REPLY_TO_CLIENT"), Some("127.0.0.1@1#2"));
        assert_eq!(reply.property("TTL"), Some("3000"));
        assert!(reply_to(&StoredMessage::default(), "x").is_err());
    }
}
