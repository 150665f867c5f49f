//! State: what one consumer keeps between its tasks, above the plain value types at the crate
//! root (options, messages, filters, listeners, errors) and below everything that acts.
//!
//! - `core`: [`Core`](core::Core), one consumer's shared state and the [`Sink`](core::Sink)
//!   its messages go to;
//! - `process_queue`: one owned queue's cache and its offset low-water mark;
//! - `offset_store`: committed offsets, on the broker (clustering) or in a local file
//!   (broadcasting).
//!
//! Nothing here calls dispatch, an engine or a consumer.

pub(crate) mod core;
pub(crate) mod offset_store;
pub(crate) mod process_queue;
