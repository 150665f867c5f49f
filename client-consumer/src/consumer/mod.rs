//! The user-facing consumers, on top of every other layer: the builders, the push consumer
//! and the lite pull consumer. Each builds a [`Core`](crate::state::core::Core), chooses its
//! [`Sink`](crate::state::core::Sink), registers an engine's face with the client instance
//! and owns shutdown.

pub(crate) mod builder;
pub(crate) mod lite_pull;
pub(crate) mod push;
pub(crate) mod simple;
pub(crate) mod simple_builder;
