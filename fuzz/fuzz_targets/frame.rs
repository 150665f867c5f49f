//! `decode_frame` on arbitrary bytes: it must return frames or an error, never panic, and
//! every frame it returns must encode again.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rmq_protocol::frame::decode_frame;

fuzz_target!(|data: &[u8]| {
    let mut buf = BytesMut::from(data);
    // A small limit too, so the limit check is exercised as well as the parsers.
    let max = if data.first().is_some_and(|b| b & 1 == 1) {
        1 << 10
    } else {
        16 << 20
    };
    while let Ok(Some(cmd)) = decode_frame(&mut buf, max) {
        let mut out = BytesMut::new();
        // Decoded commands may not fit a ROCKETMQ header again (never for JSON); no panic.
        let _ = cmd.encode(&mut out);
    }
});
