//! The two header serializations: fastjson-compatible JSON ([`json`]) and RocketMQ's binary
//! layout ([`binary`]). Both map a [`Command`](crate::Command) without its body to header bytes
//! and back; [`crate::frame`] puts them into frames.

pub mod binary;
pub mod json;
mod json_scan;
mod scan;
