//! The producer as the client instance sees it ([`ProducerInner`]): its group, the topics it
//! publishes to and their publish info, and the answer to broker transaction checks
//! (CHECK_TRANSACTION_STATE, answered with END_TRANSACTION oneway as Java does).
//!
//! It holds no handle to the instance (the instance holds it), only the typed RPCs.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use dashmap::DashMap;
use rmq_client_core::inner::BoxFuture;
use rmq_client_core::trace::TraceDispatcher;
use rmq_client_core::{ClientApi, ProducerInner, PublishInfo};
use rmq_protocol::header::{CheckTransactionStateRequestHeader, EndTransactionRequestHeader};
use rmq_protocol::message::property;
use rmq_protocol::{naming, StoredMessage};
use tracing::{debug, warn};

use crate::checker::TransactionChecker;

/// What the instance keeps of a producer.
pub(crate) struct Registered {
    group: String,
    namespace: Option<String>,
    publish: DashMap<String, Arc<PublishInfo>>,
    checker: Option<Arc<dyn TransactionChecker>>,
    api: ClientApi,
    end_timeout: Duration,
    /// Message trace, when on: a check's answer gets an EndTransaction record.
    traces: OnceLock<TraceDispatcher>,
}

impl Registered {
    pub(crate) fn new(
        group: String,
        namespace: Option<String>,
        checker: Option<Arc<dyn TransactionChecker>>,
        api: ClientApi,
        end_timeout: Duration,
    ) -> Self {
        let publish = DashMap::new();
        Registered {
            group,
            namespace,
            publish,
            checker,
            api,
            end_timeout,
            traces: OnceLock::new(),
        }
    }

    /// Turns on the EndTransaction records of check answers.
    pub(crate) fn set_traces(&self, traces: TraceDispatcher) {
        let _ = self.traces.set(traces);
    }

    pub(crate) fn publish_info(&self, topic: &str) -> Option<Arc<PublishInfo>> {
        self.publish
            .get(topic)
            .map(|e| e.value().clone())
            .filter(|info| info.is_ok())
    }

    pub(crate) fn insert_publish_info(&self, topic: &str, info: Arc<PublishInfo>) {
        self.publish.insert(topic.to_owned(), info);
    }

    /// Answers one broker check: asks the checker, then ends the transaction on `broker_addr`.
    async fn check(
        &self,
        broker_addr: String,
        mut message: StoredMessage,
        header: CheckTransactionStateRequestHeader,
    ) {
        let Some(checker) = self.checker.clone() else {
            warn!(group = %self.group, "transaction check for a producer without a checker");
            return;
        };
        // Java: the checker sees the topic without the namespace.
        message.topic = naming::without_namespace_in(&message.topic, self.namespace.as_deref());
        let unique_key = message
            .property(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
            .map(str::to_owned)
            .unwrap_or_else(|| message.msg_id());
        let (topic, properties) = (message.topic.clone(), message.properties.clone());
        let state = checker.check(message).await;
        let end = EndTransactionRequestHeader {
            producer_group: self.group.clone(),
            tran_state_table_offset: header.tran_state_table_offset,
            commit_log_offset: header.commit_log_offset,
            commit_or_rollback: state.wire_code(),
            from_transaction_check: Some(true),
            msg_id: unique_key.clone(),
            transaction_id: header.transaction_id.clone(),
            broker_name: header.broker_name.clone(),
        };
        debug!(group = %self.group, %broker_addr, msg_id = %unique_key, ?state, "answering transaction check");
        if let Err(e) = self
            .api
            .end_transaction_oneway(&broker_addr, &end, None, self.end_timeout)
            .await
        {
            warn!(group = %self.group, %broker_addr, error = %rmq_remoting::Error::chain(&e), "END_TRANSACTION after a check failed");
        }
        if let Some(traces) = self.traces.get() {
            traces.append(crate::trace_record::end_transaction_record(
                crate::trace_record::EndTransaction {
                    group: &self.group,
                    topic: &topic,
                    msg_id: &unique_key,
                    properties: &properties,
                    store_host: &broker_addr,
                    region_id: properties.get(property::MSG_REGION).unwrap_or_default(),
                    transaction_id: header.transaction_id.as_deref(),
                    state,
                    from_check: true,
                },
            ));
        }
    }
}

impl ProducerInner for Registered {
    fn group(&self) -> &str {
        &self.group
    }

    fn publish_topics(&self) -> Vec<String> {
        self.publish.iter().map(|e| e.key().clone()).collect()
    }

    fn is_publish_topic_need_update(&self, topic: &str) -> bool {
        self.publish.get(topic).is_none_or(|info| !info.is_ok())
    }

    fn update_topic_publish_info(&self, topic: &str, info: Arc<PublishInfo>) {
        // Java: only topics this producer already publishes to are updated.
        if let Some(mut entry) = self.publish.get_mut(topic) {
            *entry = info;
        }
    }

    fn check_transaction_state(
        &self,
        broker_addr: String,
        message: StoredMessage,
        header: CheckTransactionStateRequestHeader,
    ) -> BoxFuture<'_, ()> {
        Box::pin(self.check(broker_addr, message, header))
    }
}
