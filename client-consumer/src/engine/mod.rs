//! Engines: the ways a consumer fetches messages. Each engine decides which queues the
//! consumer serves, fetches their messages and hands them to dispatch
//! ([`crate::dispatch::deliver`]); it may use dispatch and the state, never a consumer.
//!
//! - [`pull`]: rebalance (which queues are ours) and one long-polling pull task per queue;
//! - [`pop`]: for topics a broker serves the group in POP mode, one pop task per queue the
//!   broker assigned (the pull rebalance asks it per topic).

pub(crate) mod pop;
pub(crate) mod pull;
