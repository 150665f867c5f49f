//! Pull-response bodies: concatenated store-format records, decoded with bodies, with
//! decompression (bounded), and record by record. Any input may error; none may panic or
//! allocate from an unchecked length.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use rmq_protocol::message::{decode_stored, DecodeOptions, StoredMessages};

fuzz_target!(|data: &[u8]| {
    let body = Bytes::copy_from_slice(data);
    let options = DecodeOptions::new()
        .with_decompress(true)
        .with_max_body_len(1 << 20);
    let _ = decode_stored(body.clone(), options);
    for record in StoredMessages::new(body, DecodeOptions::new().with_body(false)) {
        let _ = record;
    }
});
