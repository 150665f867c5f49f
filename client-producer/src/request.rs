//! Request-reply, both sides. The requester ([`Producer::request`], Java's
//! `DefaultMQProducer.request`) sends a message carrying a correlation id, its client id and a
//! TTL, and waits. The responder consumes the request topic with any consumer and answers each
//! request with [`Producer::reply`] (Java's `MessageUtil.createReplyMessage` + send): the reply
//! goes to the cluster's reply topic as SEND_REPLY_MESSAGE_V2, the broker pushes it to the
//! requester's client (PUSH_REPLY_MESSAGE_TO_CLIENT), whose instance hands it to the waiting
//! call. A request that times out leaves no entry behind.

use std::time::Duration;

use bytes::Bytes;
use rmq_protocol::message::property;
use rmq_protocol::{ids, naming, Message, StoredMessage};

use crate::budget::Budget;
use crate::error::{Error, Result};
use crate::message::{self, REPLY_MESSAGE_FLAG};
use crate::producer::{Producer, SendFuture};
use crate::receipt::SendReceipt;
use crate::send::Route;
use crate::settings::Settings;
use crate::shared::Shared;

/// The reply to `request` carrying `body` (Java's `MessageUtil.createReplyMessage`): addressed
/// to the requester's client through the cluster's reply topic. Send it with any producer.
///
/// [`Producer::reply`] builds and sends it in one call.
///
/// # Errors
/// [`Error::InvalidMessage`] when `request` is not a request: no `CLUSTER` property (set by
/// the broker), no `CORRELATION_ID` or no `REPLY_TO_CLIENT` (set by the requester).
pub fn reply_to(request: &StoredMessage, body: impl Into<Bytes>) -> Result<Message> {
    let missing = [
        property::CLUSTER,
        property::CORRELATION_ID,
        property::MESSAGE_REPLY_TO_CLIENT,
    ]
    .into_iter()
    .find(|name| request.property(name).is_none());
    if let Some(name) = missing {
        // Java: "create reply message fail, requestMessage error, property[CLUSTER] is null".
        return Err(Error::InvalidMessage(format!(
            "message {} is not a request: it has no {name} property",
            request.msg_id()
        )));
    }
    let cluster = request.property(property::CLUSTER).unwrap_or_default();
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
    /// Answers `request` with `body` (the responder side of [`request`](Self::request)): builds
    /// the reply with [`reply_to`] and sends it once routed, on the cluster's reply topic,
    /// without this producer's namespace (the reply topic is the cluster's). Give it the
    /// requests a consumer of the request topic receives; with `rmq-client-consumer`,
    /// `message.stored()`:
    ///
    /// ```no_run
    /// use rmq_client_consumer::{ConsumeResult, Filter, PushConsumer, ReceivedMessage};
    /// # async fn demo(responder: rmq_client_producer::Producer) -> Result<(), Box<dyn std::error::Error>> {
    /// let requests = PushConsumer::builder()
    ///     .namesrv("127.0.0.1:9876")
    ///     .group("responder")
    ///     .subscribe("RequestTopic", Filter::all())
    ///     .build()
    ///     .await?;
    /// requests
    ///     .start(move |msgs: Vec<ReceivedMessage>| {
    ///         let responder = responder.clone();
    ///         async move {
    ///             for m in &msgs {
    ///                 if let Err(e) = responder.reply(m.stored(), "pong").await {
    ///                     eprintln!("reply to {} failed: {e}", m.msg_id());
    ///                 }
    ///             }
    ///             ConsumeResult::Success
    ///         }
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    /// (`examples/request_reply.rs` runs it.)
    ///
    /// # Errors
    /// [`Error::InvalidMessage`] when `request` is not a request (see [`reply_to`]); otherwise
    /// as [`send`](Self::send).
    ///
    /// # Cancel safety
    /// As [`send`](Self::send).
    pub async fn reply(
        &self,
        request: &StoredMessage,
        body: impl Into<Bytes>,
    ) -> Result<SendReceipt> {
        self.shared.ensure_open()?;
        let budget = Budget::new(self.shared.settings.send_timeout);
        let reply = reply_to(request, body)?;
        let settings = Settings {
            namespace: None,
            ..self.shared.settings.clone()
        };
        let out = message::prepare(&settings, &reply)?;
        let attempts = settings.retries + 1;
        self.shared
            .send_outgoing(&out, Route::Any { attempts }, budget)
            .await
    }

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
        let e = reply_to(&StoredMessage::default(), "x").expect_err("not a request");
        assert!(e.to_string().contains("no CLUSTER property"), "{e}");
        request.properties.remove("REPLY_TO_CLIENT");
        let e = reply_to(&request, "x").expect_err("no requester");
        assert!(e.to_string().contains("no REPLY_TO_CLIENT property"), "{e}");
    }
}
