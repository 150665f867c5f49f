//! The codec features seen from a received message: a compressed record decodes when its
//! codec is compiled in, and fails with the typed error naming the feature when it is not.
//! Run with the default features and with `--no-default-features`; both sets check something.

use bytes::{Bytes, BytesMut};
use rmq_protocol::compression::{self, CompressionType, DEFAULT_LEVEL};
use rmq_protocol::message::{decode_stored, sysflag, DecodeOptions, StoredMessage};
use rmq_protocol::Error;

const KINDS: [CompressionType; 3] = [
    CompressionType::Zlib,
    CompressionType::Lz4,
    CompressionType::Zstd,
];

/// One store record whose body is `body` marked as compressed with `kind`.
fn record(kind: CompressionType, body: Vec<u8>) -> Bytes {
    let msg = StoredMessage {
        sys_flag: sysflag::COMPRESSED | kind.sys_flag_bits(),
        body: Bytes::from(body),
        topic: "T".to_owned(),
        ..StoredMessage::default()
    };
    let mut buf = BytesMut::new();
    msg.encode(&mut buf).expect("encode");
    buf.freeze()
}

#[test]
fn a_compressed_record_decodes_only_when_its_codec_is_compiled_in() {
    let body = b"a body worth compressing, ".repeat(40);
    for kind in KINDS {
        if kind.is_compiled_in() {
            let packed = compression::compress(kind, &body, DEFAULT_LEVEL).expect("compress");
            let decoded = decode_stored(record(kind, packed), DecodeOptions::new())
                .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            assert_eq!(decoded.len(), 1);
            assert_eq!(decoded[0].body, body, "{kind:?}");
        } else {
            // The stored bytes cannot be produced here; any bytes do, the codec is never run.
            let err = decode_stored(record(kind, body.clone()), DecodeOptions::new())
                .expect_err("the codec is off");
            assert!(
                matches!(err, Error::CodecNotCompiled { codec } if codec == kind.name()),
                "{kind:?}: {err:?}"
            );
            assert!(
                err.to_string()
                    .contains(&format!("enable the `{}` feature", kind.name())),
                "{err}"
            );
        }
    }
}

#[test]
fn a_record_read_without_decompression_needs_no_codec() {
    let stored = b"stored as is".to_vec();
    for kind in KINDS {
        let decoded = decode_stored(
            record(kind, stored.clone()),
            DecodeOptions::new().with_decompress(false),
        )
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(decoded[0].body, stored, "{kind:?}");
    }
}
