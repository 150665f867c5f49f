//! Properties of the frame codec: round trips in both header serializations, decoding that
//! never panics, partial input, and the length limits.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use rmq_protocol::frame::{decode_frame, DEFAULT_MAX_FRAME};
use rmq_protocol::{Command, Error, ExtFields, LanguageCode, SerializeType};

/// Ext fields with unique keys; `present` marks an empty map Java would write as `{}`.
fn ext_fields(
    key: impl Strategy<Value = String>,
    value: impl Strategy<Value = String>,
) -> impl Strategy<Value = ExtFields> {
    (prop::collection::vec((key, value), 0..8), any::<bool>()).prop_map(|(pairs, present)| {
        let mut ext = if present {
            ExtFields::present()
        } else {
            ExtFields::new()
        };
        for (k, v) in pairs {
            ext.insert(k, v);
        }
        ext
    })
}

prop_compose! {
    /// Any command the JSON header can carry: every field, any text.
    fn json_command()(
        code in any::<i32>(),
        language in any::<u8>(),
        version in any::<i32>(),
        opaque in any::<i32>(),
        flag in any::<i32>(),
        remark in prop::option::of(".*"),
        ext in ext_fields(".*", ".*"),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) -> Command {
        Command {
            code, language: LanguageCode(language), version, opaque, flag, remark,
            ext_fields: ext, body: Bytes::from(body), serialize_type: SerializeType::Json,
        }
    }
}

prop_compose! {
    /// Any command the ROCKETMQ header can carry: 16-bit code and version, and no empty
    /// strings (Java, and this crate, read an empty remark or value as absent).
    fn binary_command()(
        code in any::<i16>(),
        language in any::<u8>(),
        version in any::<i16>(),
        opaque in any::<i32>(),
        flag in any::<i32>(),
        remark in prop::option::of(".+"),
        ext in ext_fields(".+", ".+"),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) -> Command {
        Command {
            code: code.into(), language: LanguageCode(language), version: version.into(),
            opaque, flag, remark, ext_fields: ext, body: Bytes::from(body),
            serialize_type: SerializeType::RocketMq,
        }
    }
}

fn encode(cmd: &Command) -> BytesMut {
    let mut buf = BytesMut::new();
    cmd.encode(&mut buf).expect("encodable command");
    buf
}

fn decode_one(buf: &mut BytesMut) -> Command {
    decode_frame(buf, DEFAULT_MAX_FRAME)
        .expect("valid frame")
        .expect("whole frame")
}

proptest! {
    #[test]
    fn json_frames_round_trip(cmd in json_command()) {
        let mut buf = encode(&cmd);
        prop_assert_eq!(decode_one(&mut buf), cmd);
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn rocketmq_frames_round_trip(cmd in binary_command()) {
        let mut buf = encode(&cmd);
        let mut expected = cmd;
        if expected.ext_fields.is_empty() {
            // An empty ext block is `null` to Java: presence does not survive ROCKETMQ.
            expected.ext_fields = ExtFields::new();
        }
        prop_assert_eq!(decode_one(&mut buf), expected);
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn decode_frame_never_panics_on_arbitrary_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        max in 0usize..512,
    ) {
        let mut buf = BytesMut::from(bytes.as_slice());
        let _ = decode_frame(&mut buf, max);
        let _ = Command::decode(Bytes::from(bytes));
    }

    #[test]
    fn decode_never_panics_on_corrupted_valid_frames(
        cmd in prop_oneof![json_command(), binary_command()],
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = encode(&cmd).to_vec();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let mut buf = BytesMut::from(bytes.as_slice());
        let _ = decode_frame(&mut buf, DEFAULT_MAX_FRAME);
    }

    #[test]
    fn a_frame_fed_byte_by_byte_yields_exactly_one_command(cmd in prop_oneof![json_command(), binary_command()]) {
        let wire = encode(&cmd);
        let mut buf = BytesMut::new();
        let mut decoded = Vec::new();
        for (i, byte) in wire.iter().enumerate() {
            buf.extend_from_slice(&[*byte]);
            match decode_frame(&mut buf, DEFAULT_MAX_FRAME) {
                Ok(Some(c)) => decoded.push((i, c)),
                Ok(None) => prop_assert_eq!(buf.len(), i + 1, "a partial frame is not consumed"),
                Err(e) => return Err(TestCaseError::fail(format!("byte {i}: {e}"))),
            }
        }
        prop_assert_eq!(decoded.len(), 1);
        prop_assert_eq!(decoded[0].0, wire.len() - 1, "decoded before the last byte");
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn back_to_back_frames_decode_in_order(
        a in json_command(),
        b in binary_command(),
        split in any::<prop::sample::Index>(),
    ) {
        let mut wire = encode(&a);
        wire.extend_from_slice(&encode(&b));
        let at = split.index(wire.len());
        let mut buf = BytesMut::from(&wire[..at]);
        let mut got = Vec::new();
        while let Some(cmd) = decode_frame(&mut buf, DEFAULT_MAX_FRAME).expect("valid") {
            got.push(cmd);
        }
        buf.extend_from_slice(&wire[at..]);
        while let Some(cmd) = decode_frame(&mut buf, DEFAULT_MAX_FRAME).expect("valid") {
            got.push(cmd);
        }
        prop_assert_eq!(got.len(), 2);
        prop_assert_eq!(got[0].opaque, a.opaque);
        prop_assert_eq!(got[1].opaque, b.opaque);
    }

    #[test]
    fn frames_over_the_limit_are_rejected_before_they_arrive(cmd in json_command()) {
        let wire = encode(&cmd);
        // The limit counts the length prefix, as Java's LengthFieldBasedFrameDecoder does.
        let mut exact = wire.clone();
        prop_assert!(decode_frame(&mut exact, wire.len()).expect("at the limit").is_some());
        let mut head = BytesMut::from(&wire[..4]);
        let err = decode_frame(&mut head, wire.len() - 1);
        prop_assert!(matches!(err, Err(Error::FrameTooLarge { .. })), "{:?}", err);
    }

    #[test]
    fn negative_and_short_total_lengths_are_errors(total in prop_oneof![i32::MIN..0, 0i32..4]) {
        let mut buf = BytesMut::from(&total.to_be_bytes()[..]);
        buf.extend_from_slice(&[0; 16]);
        let err = decode_frame(&mut buf, DEFAULT_MAX_FRAME);
        prop_assert!(matches!(err, Err(Error::BadLength { .. })), "{:?}", err);
    }

    #[test]
    fn header_lengths_past_the_frame_are_errors(extra in 1u32..1000, ser in 0u8..2) {
        // total = 4 (type/length word) + 2 bytes, but the header claims 2 + extra bytes.
        let word = (u32::from(ser) << 24) | (2 + extra);
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&6i32.to_be_bytes());
        buf.extend_from_slice(&word.to_be_bytes());
        buf.extend_from_slice(b"{}");
        let err = decode_frame(&mut buf, DEFAULT_MAX_FRAME);
        prop_assert!(matches!(err, Err(Error::Truncated { .. })), "{:?}", err);
    }
}

#[test]
fn an_oversized_total_length_errors_without_waiting_for_the_bytes() {
    let mut buf = BytesMut::from(&i32::MAX.to_be_bytes()[..]);
    let err = decode_frame(&mut buf, DEFAULT_MAX_FRAME);
    assert!(matches!(err, Err(Error::FrameTooLarge { .. })), "{err:?}");
}

#[test]
fn an_unknown_serialize_type_is_an_error() {
    let mut buf = BytesMut::new();
    buf.extend_from_slice(&6i32.to_be_bytes());
    buf.extend_from_slice(&0x0200_0002u32.to_be_bytes());
    buf.extend_from_slice(b"{}");
    let err = decode_frame(&mut buf, DEFAULT_MAX_FRAME);
    assert!(
        matches!(err, Err(Error::UnknownSerializeType(2))),
        "{err:?}"
    );
}

#[test]
fn fewer_than_four_bytes_wait_for_more() {
    let mut buf = BytesMut::from(&[0u8, 0, 0][..]);
    assert!(matches!(
        decode_frame(&mut buf, DEFAULT_MAX_FRAME),
        Ok(None)
    ));
    assert_eq!(buf.len(), 3);
}

#[test]
fn codes_outside_i16_are_refused_by_the_rocketmq_encoder() {
    let mut cmd = Command::request(rmq_protocol::RequestCode::POP_MESSAGE)
        .with_serialize_type(SerializeType::RocketMq);
    let mut buf = BytesMut::new();
    assert!(cmd.encode(&mut buf).is_err());
    assert!(buf.is_empty(), "a failed encode leaves nothing behind");
    cmd.serialize_type = SerializeType::Json;
    assert!(cmd.encode(&mut buf).is_ok());
}
