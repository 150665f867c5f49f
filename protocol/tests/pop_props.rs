//! Property tests of the POP codecs: receipt handles and batch-ack bit sets round-trip, and no
//! handle text, offset list or batch-ack body, however mangled, makes a decoder panic.

use proptest::prelude::*;
use rmq_protocol::body::{BatchAck, BatchAckMessageRequestBody, JsonBody};
use rmq_protocol::header::{
    pop_handles, PopHandle, PopMessageResponseHeader, PopOffsetInfo, PopTopicKind, PoppedMessage,
};

fn kind() -> impl Strategy<Value = PopTopicKind> {
    prop_oneof![
        Just(PopTopicKind::Normal),
        Just(PopTopicKind::Retry),
        Just(PopTopicKind::RetryV2),
    ]
}

fn handle() -> impl Strategy<Value = PopHandle> {
    (
        (any::<i64>(), any::<i64>(), any::<i64>(), any::<i32>()),
        kind(),
        "[a-zA-Z0-9_-]{1,40}",
        any::<i32>(),
        any::<i64>(),
    )
        .prop_map(
            |(
                (ck_offset, pop_time, invisible_time, revive_qid),
                kind,
                broker_name,
                queue_id,
                queue_offset,
            )| {
                PopHandle {
                    ck_offset,
                    pop_time,
                    invisible_time,
                    revive_qid,
                    kind,
                    broker_name,
                    queue_id,
                    queue_offset,
                }
            },
        )
}

proptest! {
    #[test]
    fn handles_round_trip(h in handle()) {
        prop_assert_eq!(PopHandle::parse(&h.to_string()).expect("parses"), h);
    }

    #[test]
    fn handle_parsing_never_panics(text in "[0-9 a-z%_+-]{0,80}") {
        let _ = PopHandle::parse(&text);
    }

    #[test]
    fn offset_lists_never_panic(
        start in proptest::option::of("[0-9 ;,x-]{0,60}"),
        msgs in proptest::option::of("[0-9 ;,x-]{0,60}"),
        orders in proptest::option::of("[0-9 ;,qo%-]{0,60}"),
        offsets in prop::collection::vec((0i32..4, 0i64..50), 0..6),
    ) {
        let header = PopMessageResponseHeader {
            pop_time: 1,
            invisible_time: 2,
            revive_qid: 0,
            rest_num: 0,
            start_offset_info: start,
            msg_offset_info: msgs,
            order_count_info: orders,
        };
        let _ = PopOffsetInfo::parse(&header);
        let popped: Vec<PoppedMessage<'_>> = offsets
            .iter()
            .map(|(q, o)| PoppedMessage { topic: "T", queue_id: *q, queue_offset: *o, pop_ck: None })
            .collect();
        if let Ok(handles) = pop_handles(&header, "b", &popped) {
            prop_assert_eq!(handles.len(), popped.len());
        }
    }

    #[test]
    fn batch_ack_bit_sets_round_trip(bits in prop::collection::btree_set(0u32..2048, 0..40)) {
        let body = BatchAckMessageRequestBody {
            broker_name: "b".into(),
            acks: vec![BatchAck { acked: bits.iter().copied().collect(), ..BatchAck::default() }],
        };
        let json = body.to_json().expect("encodes");
        let back = BatchAckMessageRequestBody::from_json(&json).expect("decodes");
        prop_assert_eq!(back, body);
    }

    #[test]
    fn batch_ack_bodies_never_panic(bit_set in "[A-Za-z0-9+/=!]{0,40}") {
        let json = format!(r#"{{"acks":[{{"b":"{bit_set}","so":1}}],"brokerName":"b"}}"#);
        let _ = BatchAckMessageRequestBody::from_json(json.as_bytes());
    }
}
