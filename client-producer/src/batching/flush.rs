//! A batch's flusher: waits until the batch is sealed, its delay expires or the producer shuts
//! down, sends it through the ordinary send path, answers every member (its own receipt, as
//! Java `MessageAccumulation.splitSendResults`, or the batch's error, shared), and counts the
//! batch answered in its lane.

use std::sync::Arc;

use tokio::sync::oneshot;

use super::{Accumulator, Batch, Key};
use crate::error::Error;
use crate::message;
use crate::receipt::SendReceipt;
use crate::send::Route;
use crate::shared::Shared;

/// The flusher task of the batch `id` of `key`.
pub(super) async fn when_due(
    acc: Arc<Accumulator>,
    shared: Arc<Shared>,
    key: Key,
    id: u64,
    mut sealed: oneshot::Receiver<Batch>,
) {
    let early = tokio::select! {
        batch = &mut sealed => batch.ok(),
        () = tokio::time::sleep(acc.config.delay()) => None,
        () = acc.closing.cancelled() => None,
    };
    let batch = match early {
        Some(batch) => Some(batch),
        None => {
            acc.seal_if(&key, id);
            sealed.await.ok()
        }
    };
    if let Some(batch) = batch {
        send(&shared, batch).await;
        acc.answered(&key);
    }
}

/// Sends `batch` and answers its members. A batch of one goes as a plain message, so its
/// caller sees exactly what an unbatched send would have given it.
async fn send(shared: &Shared, batch: Batch) {
    let Batch {
        msgs,
        members,
        budget,
        attempts,
        ..
    } = batch;
    let route = Route::Any { attempts };
    if let [msg] = msgs.as_slice() {
        let result = match message::prepare(&shared.settings, msg) {
            Ok(out) => shared.send_traced(&out, route, budget).await,
            Err(e) => Err(e),
        };
        if let Some(m) = members.into_iter().next() {
            let _ = m.reply.send(result);
        }
        return;
    }
    let result = match message::prepare_batch(&shared.settings, &msgs) {
        Ok(out) => shared.send_traced(&out, route, budget).await,
        Err(e) => Err(e),
    };
    tracing::trace!(
        topic = msgs[0].topic(),
        messages = msgs.len(),
        ok = result.is_ok(),
        "auto-batch sent"
    );
    match result {
        Ok(receipt) => {
            for (m, receipt) in members.into_iter().zip(member_receipts(receipt)) {
                let _ = m.reply.send(Ok(receipt));
            }
        }
        Err(e) => {
            let source = Arc::new(e);
            let messages = members.len();
            for m in members {
                let error = Error::Batch {
                    messages,
                    source: source.clone(),
                };
                let _ = m.reply.send(Err(error));
            }
        }
    }
}

/// The receipts of a batch's messages, in order: each its own id; when the broker reported one
/// offset id per message (each stored as its own entry), each its own offset id and the
/// batch's first queue offset plus its index. A broker that stored the batch as one entry
/// (5.x batch consume queue) reported one offset id: every member keeps the batch's offset id
/// and queue offset, as Java does.
pub(super) fn member_receipts(mut batch: SendReceipt) -> Vec<SendReceipt> {
    let ids = std::mem::take(&mut batch.msg_ids);
    let offset_ids = std::mem::take(&mut batch.offset_msg_ids);
    let each = offset_ids.len() == ids.len();
    let first_offset = batch.queue_offset;
    let mut offset_ids = offset_ids.into_iter();
    let shared_offset_ids: Vec<_> = if each {
        Vec::new()
    } else {
        offset_ids.by_ref().collect()
    };
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| {
            let mut r = batch.clone();
            r.msg_ids = vec![id];
            if each {
                r.offset_msg_ids = offset_ids.next().into_iter().collect();
                r.queue_offset = first_offset + i as i64;
            } else {
                r.offset_msg_ids = shared_offset_ids.clone();
            }
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use rmq_client_core::api::SendStatus;
    use rmq_protocol::MessageQueue;

    use super::*;
    use crate::id::MessageId;

    fn batch_receipt(offset_ids: &[&str]) -> SendReceipt {
        SendReceipt {
            status: SendStatus::Ok,
            msg_ids: ["A", "B", "C"].map(MessageId::from).to_vec(),
            offset_msg_ids: offset_ids.iter().copied().map(MessageId::from).collect(),
            queue: MessageQueue::new("T", "broker-a", 2),
            queue_offset: 40,
            transaction_id: None,
            region_id: "DefaultRegion".into(),
            trace_on: true,
            recall_handle: None,
        }
    }

    #[test]
    fn each_member_gets_its_own_ids_and_consecutive_offsets() {
        let batch = batch_receipt(&["X", "Y", "Z"]);
        let got = member_receipts(batch.clone());
        assert_eq!(got.len(), 3);
        let ids: Vec<_> = got.iter().map(|r| r.msg_id().as_str().to_owned()).collect();
        assert_eq!(ids, ["A", "B", "C"]);
        let offset_ids: Vec<_> = got
            .iter()
            .map(|r| r.offset_msg_id().as_str().to_owned())
            .collect();
        assert_eq!(offset_ids, ["X", "Y", "Z"]);
        let offsets: Vec<_> = got.iter().map(SendReceipt::queue_offset).collect();
        assert_eq!(offsets, [40, 41, 42]);
        assert!(got
            .iter()
            .all(|r| r.msg_ids().len() == 1 && r.queue() == batch.queue()));
    }

    #[test]
    fn a_batch_stored_as_one_entry_gives_every_member_its_offset() {
        let batch = batch_receipt(&["X"]);
        let second = &member_receipts(batch)[1];
        assert_eq!(second.msg_id().as_str(), "B");
        assert_eq!(second.offset_msg_id().as_str(), "X");
        assert_eq!(second.queue_offset(), 40);
    }
}
