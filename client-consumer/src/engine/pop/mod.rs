//! The POP engine (Java's `RebalanceImpl` with `MessageRequestMode.POP`): for a group a broker
//! serves in POP mode (switched with SET_MESSAGE_REQUEST_MODE, `rmq-admin setConsumeMode`), the
//! broker assigns the queues (QUERY_ASSIGNMENT) and keeps the offsets; the consumer runs one
//! long-polling pop task per assigned queue and hands what it pops to
//! [`crate::dispatch::pop::submit`].
//!
//! - `assignment`: asks a broker how a topic is served to the group, and which queues;
//! - `pop_loop`: one pop task per assigned queue, its in-flight messages bounded.
//!
//! The pull engine's rebalance asks [`assignment`] per topic and hands POP topics here
//! ([`assign`]); this engine never calls the pull engine.

mod assignment;
mod pop_loop;

use std::collections::BTreeSet;
use std::sync::Arc;

use rmq_protocol::MessageQueue;
use tracing::{info, warn};

use crate::state::core::Core;

pub(crate) use assignment::assignment;

/// Pop tasks of one consumer at most; queues a broker assigns beyond it are not popped.
pub(crate) const MAX_POP_QUEUES: usize = 1024;

/// Makes `topic`'s pop tasks match `queues` (empty: the topic is not popped); returns whether
/// anything changed.
pub(crate) fn assign(core: &Arc<Core>, topic: &str, queues: &BTreeSet<MessageQueue>) -> bool {
    let mut changed = false;
    let mut tasks = core.pop_tasks.lock().unwrap_or_else(|p| p.into_inner());
    tasks.retain(|q, token| {
        let keep = q.topic != topic || queues.contains(q);
        if !keep {
            token.cancel();
            info!(group = %core.group(), queue = %q, "pop queue released");
            changed = true;
        }
        keep
    });
    for q in queues {
        if tasks.contains_key(q) || core.pull_token.is_cancelled() {
            continue;
        }
        if tasks.len() >= MAX_POP_QUEUES {
            warn!(group = %core.group(), queue = %q, max = MAX_POP_QUEUES, "too many pop queues; queue not popped");
            continue;
        }
        let token = core.pull_token.child_token();
        tasks.insert(q.clone(), token.clone());
        info!(group = %core.group(), queue = %q, "pop queue assigned");
        pop_loop::spawn(core, q.clone(), token);
        changed = true;
    }
    changed
}

/// Stops the pop tasks of topics not in `topics`; returns whether any stopped.
pub(crate) fn retain_topics(core: &Core, topics: &BTreeSet<String>) -> bool {
    let mut changed = false;
    let mut tasks = core.pop_tasks.lock().unwrap_or_else(|p| p.into_inner());
    tasks.retain(|q, token| {
        let keep = topics.contains(&q.topic);
        if !keep {
            token.cancel();
            changed = true;
        }
        keep
    });
    changed
}

/// The queues `topic` is popped from now.
pub(crate) fn popped_queues(core: &Core, topic: &str) -> BTreeSet<MessageQueue> {
    let tasks = core.pop_tasks.lock().unwrap_or_else(|p| p.into_inner());
    tasks.keys().filter(|q| q.topic == topic).cloned().collect()
}
