//! Pull-response bodies. Until the store-format decoder (`rmq_protocol::message`) is committed
//! this target feeds the bytes to `Command::decode` (a frame without its length prefix); switch
//! it to the message decoder when that lands.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use rmq_protocol::Command;

fuzz_target!(|data: &[u8]| {
    let _ = Command::decode(Bytes::copy_from_slice(data));
});
