//! An embedded RocketMQ cluster for tests: a name server and brokers running on tokio inside
//! the process, over real TCP on `127.0.0.1` ephemeral ports, speaking the remoting protocol.
#![deny(missing_docs, missing_debug_implementations)]

#[allow(dead_code)]
mod filter;
#[allow(dead_code)]
mod store;
