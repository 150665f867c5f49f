//! Property tests: the properties codec, store records and batch bodies round-trip, and no
//! input, however mangled, makes a decoder panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use rmq_protocol::compression::{self, CompressionType};
use rmq_protocol::ids;
use rmq_protocol::message::{
    decode_batch, decode_stored, encode_batch, sysflag, DecodeOptions, Message, MessageVersion,
    Properties, StoredMessage, StoredMessages,
};

/// Names: non-empty, without either separator. Values: non-empty, without 0x02 (0x01 is fine).
fn properties() -> impl Strategy<Value = Properties> {
    let name = "[a-zA-Z0-9_\u{4e2d}\u{1F680}%#-]{1,12}";
    let value = "[ -~\u{1}\u{e9}\u{503c}]{1,24}";
    prop::collection::vec((name, value), 0..8).prop_map(|pairs| pairs.into_iter().collect())
}

fn socket_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<u32>(), any::<u16>())
            .prop_map(|(ip, port)| { SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port) }),
        (any::<u128>(), any::<u16>())
            .prop_map(|(ip, port)| { SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port) }),
    ]
}

/// Records as the encoder writes them: host bits in `sys_flag` agree with the hosts.
fn stored_message() -> impl Strategy<Value = StoredMessage> {
    let ids = (
        any::<i32>(),
        any::<i32>(),
        any::<i32>(),
        any::<i64>(),
        any::<i64>(),
    );
    let flags = (
        any::<i32>(),
        any::<i64>(),
        any::<i64>(),
        any::<i32>(),
        any::<i64>(),
    );
    let version = prop_oneof![Just(MessageVersion::V1), Just(MessageVersion::V2)];
    let content = (
        version,
        prop::collection::vec(any::<u8>(), 0..300),
        "[a-zA-Z0-9%_-]{0,127}",
        properties(),
    );
    (ids, flags, socket_addr(), socket_addr(), content).prop_map(
        |((crc, queue_id, flag, queue_offset, commit_log_offset), flags, born, store, content)| {
            let (sys_flag, born_timestamp, store_timestamp, reconsume_times, prepared) = flags;
            let (version, body, topic, properties) = content;
            let mut sys_flag = sys_flag & !(sysflag::BORN_HOST_V6 | sysflag::STORE_HOST_V6);
            if born.is_ipv6() {
                sys_flag |= sysflag::BORN_HOST_V6;
            }
            if store.is_ipv6() {
                sys_flag |= sysflag::STORE_HOST_V6;
            }
            StoredMessage {
                version,
                store_size: 0,
                body_crc: crc,
                queue_id,
                flag,
                queue_offset,
                commit_log_offset,
                sys_flag,
                born_timestamp,
                born_host: born,
                store_timestamp,
                store_host: store,
                reconsume_times,
                prepared_transaction_offset: prepared,
                body: Bytes::from(body),
                topic,
                properties,
            }
        },
    )
}

fn encode_all(msgs: &[StoredMessage]) -> Bytes {
    let mut buf = BytesMut::new();
    for msg in msgs {
        msg.encode(&mut buf).expect("encode");
    }
    buf.freeze()
}

proptest! {
    #[test]
    fn properties_round_trip(props in properties()) {
        let wire = props.encode();
        prop_assert!(!wire.ends_with(rmq_protocol::message::PROPERTY_SEPARATOR), "trailing separator");
        prop_assert_eq!(Properties::decode(&wire), props.clone());
        prop_assert_eq!(Properties::decode_bytes(wire.as_bytes()), props);
    }

    #[test]
    fn properties_decode_tolerates_a_trailing_separator(props in properties()) {
        let wire = format!("{}\u{2}", props.encode());
        prop_assert_eq!(Properties::decode(&wire), props);
    }

    #[test]
    fn store_records_round_trip(msgs in prop::collection::vec(stored_message(), 1..5)) {
        let wire = encode_all(&msgs);
        let raw = DecodeOptions::new().with_decompress(false);
        let decoded = decode_stored(wire.clone(), raw).expect("decode");
        prop_assert_eq!(decoded.len(), msgs.len());
        for (got, want) in decoded.iter().zip(&msgs) {
            let size = want.encoded_len().expect("size") as i32;
            prop_assert_eq!(got, &StoredMessage { store_size: size, ..want.clone() });
        }
        prop_assert_eq!(encode_all(&decoded), wire);
    }

    #[test]
    fn batches_round_trip(entries in prop::collection::vec(
        (any::<i32>(), prop::collection::vec(any::<u8>(), 0..200), properties()), 0..6)
    ) {
        let msgs: Vec<Message> = entries
            .into_iter()
            .map(|(flag, body, props)| Message::from_parts("T", body, flag, props))
            .collect();
        let body = encode_batch(&msgs).expect("encode");
        prop_assert_eq!(decode_batch(&body, "T").expect("decode"), msgs);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(data in prop::collection::vec(any::<u8>(), 0..600)) {
        let data = Bytes::from(data);
        for result in StoredMessages::new(data.clone(), DecodeOptions::new()) {
            let _ = result;
        }
        let _ = decode_batch(&data, "T");
        let _ = Properties::decode_bytes(&data);
        for kind in [CompressionType::Zlib, CompressionType::Lz4, CompressionType::Zstd] {
            let _ = compression::decompress(kind, &data, 1 << 16);
        }
        let text = String::from_utf8_lossy(&data);
        let _ = ids::decode_offset_msg_id(&text);
        let _ = ids::decode_unique_id(&text);
    }

    #[test]
    fn decompressing_garbage_behind_a_valid_magic_never_panics(
        tail in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let streams = [
            (CompressionType::Lz4, [&[0x04, 0x22, 0x4d, 0x18][..], &tail].concat()),
            (CompressionType::Zstd, [&[0x28, 0xb5, 0x2f, 0xfd][..], &tail].concat()),
            (CompressionType::Zlib, [&[0x78, 0x5e][..], &tail].concat()),
        ];
        for (kind, stream) in streams {
            let _ = compression::decompress(kind, &stream, 1 << 16);
        }
    }

    #[test]
    fn decoding_mangled_records_never_panics(
        msg in stored_message(),
        compressed in any::<bool>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        // Without the zlib feature the record stays uncompressed (that case has its own test).
        let msg = if compressed && CompressionType::Zlib.is_compiled_in() {
            let packed = compression::compress_zlib(&msg.body, 5).expect("compress");
            StoredMessage { sys_flag: msg.sys_flag | sysflag::COMPRESSED, body: packed.into(), ..msg }
        } else {
            msg
        };
        let mut wire = encode_all(&[msg]).to_vec();
        for (at, byte) in edits {
            let i = at.index(wire.len());
            wire[i] = byte;
        }
        let wire = Bytes::from(wire);
        let _ = decode_stored(wire.clone(), DecodeOptions::new().with_max_body_len(1 << 16));
        let _ = decode_stored(wire.slice(..cut.index(wire.len())), DecodeOptions::new());
    }
}
