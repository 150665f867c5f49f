//! The consume-side trace hook (Java's `ConsumeMessageTraceHookImpl`): SubBefore records just
//! before a listener call, SubAfter records with its outcome and cost right after; for a pull
//! consumer both when a batch is fetched ([`pulled`]). Appended to the consumer's trace
//! dispatcher when tracing is on; appending never waits or fails.

use std::time::{Instant, SystemTime};

use rmq_client_core::trace::{sub_after, sub_before, ConsumeOutcome};
use rmq_protocol::trace::TraceRecord;

use crate::message::ReceivedMessage;
use crate::state::core::Core;

/// The SubBefore records of one listener call, kept for its SubAfter records.
#[derive(Debug)]
pub(crate) struct Traced {
    before: Vec<TraceRecord>,
    started: Instant,
}

/// Appends the SubBefore records of `batch`; `None` when tracing is off or nothing is traced.
pub(crate) fn before(core: &Core, batch: &[ReceivedMessage]) -> Option<Traced> {
    let traces = core.traces.as_ref()?;
    let stored: Vec<_> = batch
        .iter()
        .map(ReceivedMessage::stored)
        .filter(|m| !traces.is_trace_topic(&m.topic))
        .collect();
    let before = sub_before(core.group(), &stored, SystemTime::now());
    if before.is_empty() {
        return None;
    }
    for record in &before {
        traces.append(record.clone());
    }
    Some(Traced {
        before,
        started: Instant::now(),
    })
}

/// Appends the SubAfter records answering `traced`.
pub(crate) fn after(core: &Core, traced: Option<Traced>, outcome: ConsumeOutcome) {
    let (Some(traces), Some(traced)) = (core.traces.as_ref(), traced) else {
        return;
    };
    let elapsed = traced.started.elapsed();
    for record in sub_after(&traced.before, outcome, elapsed, SystemTime::now()) {
        traces.append(record);
    }
}

/// A pull consumer's fetched batch: SubBefore and a successful SubAfter at once, as Java's
/// lite pull consumer writes them when it pulls.
pub(crate) fn pulled(core: &Core, msgs: &[ReceivedMessage]) {
    let traced = before(core, msgs);
    after(core, traced, ConsumeOutcome::Success);
}
