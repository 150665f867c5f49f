//! The pull engine (Java's `RebalanceImpl` + `PullMessageService`): rebalance assigns queues
//! ([`crate::allocate`] splits them among the group), each owned queue gets a process queue
//! and a pull task, and pulled messages go to [`crate::dispatch::deliver`].
//!
//! - `rebalance`: the owned queues, their process queues, broker locks of orderly queues;
//! - `pull_loop`: one long-polling pull task per process queue;
//! - `registered`: the face the client instance calls (rebalance, persist, running info).

mod pull_loop;
mod rebalance;
mod registered;

pub(crate) use rebalance::{rebalance, unlock};
pub(crate) use registered::Registered;
