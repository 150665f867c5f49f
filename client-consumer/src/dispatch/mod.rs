//! Dispatch: what happens to messages once an engine fetched them. [`deliver`] is the one
//! entry point an engine calls; it hands them to the consumer's [`Sink`]: the concurrent
//! service ([`concurrent`]), the orderly service ([`orderly`]) or the lite pull buffer. Failed
//! messages go back to the broker through [`retry`]. Messages the POP engine popped go to
//! [`pop::submit`] instead: they are settled by ack or a new invisible time, not offsets.
//!
//! Dispatch sits above the state (`Core`, process queues, offsets) and below the engines: it
//! receives the consumer's `Arc<Core>` and never calls an engine or a consumer.

pub(crate) mod concurrent;
pub(crate) mod orderly;
pub(crate) mod pop;
pub(crate) mod retry;
pub(crate) mod trace;

use std::sync::Arc;

use crate::message::ReceivedMessage;
use crate::state::core::{Core, LiteBatch, Sink};
use crate::state::process_queue::ProcessQueue;

/// Hands messages an engine fetched for `pq` to the consumer's [`Sink`]: caches them in the
/// process queue, then starts concurrent batches, the queue's orderly task (when none runs),
/// or sends them to the lite pull buffer tagged with `generation` (the queue's seek count
/// when they were fetched). Returns false when the consumer stopped meanwhile.
pub(crate) async fn deliver(
    core: &Arc<Core>,
    pq: &Arc<ProcessQueue>,
    generation: u64,
    msgs: Vec<ReceivedMessage>,
) -> bool {
    let start_orderly = pq.put(&msgs);
    match core.sink.get() {
        Some(Sink::Concurrent(_)) => concurrent::submit(core, pq, msgs),
        Some(Sink::Orderly(_)) if start_orderly => {
            orderly::spawn(core, pq.clone());
        }
        Some(Sink::Orderly(_)) => {}
        Some(Sink::Lite(tx)) => {
            trace::pulled(core, &msgs);
            let batch = LiteBatch {
                pq: pq.clone(),
                generation,
                msgs,
            };
            tokio::select! {
                () = core.pull_token.cancelled() => return false,
                r = tx.send(batch) => return r.is_ok(),
            }
        }
        None => {}
    }
    true
}
