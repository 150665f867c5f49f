//! Round trips and wire names of the typed headers.

use super::*;

fn ext(pairs: &[(&str, &str)]) -> ExtFields {
    pairs.iter().copied().collect()
}

fn sample_v1() -> SendMessageRequestHeader {
    SendMessageRequestHeader {
        producer_group: "PG".into(),
        topic: "TopicTest".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 0,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        flag: 0,
        properties: Some("TAGS\u{1}TagA".into()),
        reconsume_times: Some(0),
        unit_mode: false,
        batch: false,
        max_reconsume_times: None,
        broker_name: Some("broker-a".into()),
    }
}

#[test]
fn send_v2_uses_single_letters_like_java() {
    let v2 = SendMessageRequestHeaderV2::from(sample_v1());
    let fields = v2.to_ext_fields();
    let expected = [
        ("a", "PG"),
        ("b", "TopicTest"),
        ("c", "TBW102"),
        ("d", "4"),
        ("e", "0"),
        ("f", "0"),
        ("g", "1700000000000"),
        ("h", "0"),
        ("i", "TAGS\u{1}TagA"),
        ("j", "0"),
        ("k", "false"),
        ("m", "false"),
        ("n", "broker-a"),
    ];
    assert_eq!(fields.len(), expected.len(), "{fields:?}");
    for (k, v) in expected {
        assert_eq!(fields.get(k), Some(v), "field {k}");
    }
    assert_eq!(fields.get("l"), None, "None is omitted");
}

#[test]
fn send_v1_and_v2_convert_both_ways_without_loss() {
    let v1 = SendMessageRequestHeader {
        max_reconsume_times: Some(16),
        batch: true,
        ..sample_v1()
    };
    let back = SendMessageRequestHeader::from(SendMessageRequestHeaderV2::from(v1.clone()));
    assert_eq!(back, v1);
    let wire = v1.to_ext_fields();
    assert_eq!(wire.get("bname"), Some("broker-a"));
    assert_eq!(wire.get("maxReconsumeTimes"), Some("16"));
    assert_eq!(wire.get("batch"), Some("true"));
    assert_eq!(SendMessageRequestHeader::read(&wire).expect("read"), v1);
}

#[test]
fn missing_required_field_is_named() {
    let err = PullMessageResponseHeader::read(&ext(&[
        ("suggestWhichBrokerId", "0"),
        ("nextBeginOffset", "32"),
        ("minOffset", "0"),
    ]))
    .expect_err("maxOffset missing");
    assert!(matches!(err, Error::MissingField("maxOffset")), "{err:?}");
}

#[test]
fn unparsable_number_is_an_invalid_field() {
    let err = QueryConsumerOffsetResponseHeader::read(&ext(&[("offset", "12x")]))
        .expect_err("bad number");
    match err {
        Error::InvalidField { field, value } => {
            assert_eq!(field, "offset");
            assert_eq!(value, "12x");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(GetMaxOffsetResponseHeader::read(&ext(&[("offset", " 1")])).is_err());
    assert!(GetMaxOffsetResponseHeader::read(&ext(&[("offset", "99999999999999999999")])).is_err());
}

#[test]
fn numbers_are_decimal_with_sign() {
    let h = QueryConsumerOffsetResponseHeader { offset: -1 };
    assert_eq!(h.to_ext_fields().get("offset"), Some("-1"));
    let read = QueryConsumerOffsetResponseHeader::read(&ext(&[("offset", "+7")])).expect("plus");
    assert_eq!(read.offset, 7);
}

#[test]
fn booleans_parse_like_java() {
    assert!(parse_java_bool("TRUE"));
    assert!(parse_java_bool("true"));
    assert!(!parse_java_bool("yes"));
    assert!(!parse_java_bool("1"));
    let h = ResetOffsetRequestHeader::read(&ext(&[
        ("topic", "T"),
        ("group", "G"),
        ("timestamp", "1700000000000"),
        ("isForce", "True"),
    ]))
    .expect("read");
    assert!(h.is_force);
    let h = GetConsumerRunningInfoRequestHeader::read(&ext(&[
        ("consumerGroup", "G"),
        ("clientId", "c"),
    ]))
    .expect("absent primitive boolean reads false");
    assert!(!h.jstack_enable);
}

#[test]
fn pull_request_round_trips_with_java_names() {
    let h = PullMessageRequestHeader {
        consumer_group: "CG".into(),
        topic: "T".into(),
        queue_id: 1,
        queue_offset: 32,
        max_msg_nums: 32,
        sys_flag: 0x3,
        commit_offset: 10,
        suspend_timeout_millis: 15_000,
        subscription: Some("TagA || TagB".into()),
        sub_version: 1_700_000_000_000,
        expression_type: Some("TAG".into()),
        max_msg_bytes: None,
        broker_name: Some("broker-a".into()),
    };
    let wire = h.to_ext_fields();
    for name in [
        "consumerGroup",
        "topic",
        "queueId",
        "queueOffset",
        "maxMsgNums",
        "sysFlag",
        "commitOffset",
        "suspendTimeoutMillis",
        "subscription",
        "subVersion",
        "expressionType",
        "bname",
    ] {
        assert!(wire.get(name).is_some(), "{name} missing from {wire:?}");
    }
    assert_eq!(wire.len(), 12);
    assert_eq!(PullMessageRequestHeader::read(&wire).expect("read"), h);
}

#[test]
fn send_response_reads_broker_extras() {
    let h = SendMessageResponseHeader::read(&ext(&[
        ("msgId", "0A00000200002A9F00000000000003E8"),
        ("queueId", "3"),
        ("queueOffset", "17"),
        ("MSG_REGION", "DefaultRegion"),
        ("TRACE_ON", "true"),
    ]))
    .expect("read");
    assert_eq!(h.queue_id, 3);
    assert_eq!(h.queue_offset, 17);
    assert_eq!(h.msg_region.as_deref(), Some("DefaultRegion"));
    assert_eq!(h.trace_on, Some(true));
    assert_eq!(h.transaction_id, None);
}

#[test]
fn field_names_match_java_spelling() {
    assert_eq!(UnregisterClientRequestHeader::FIELD_NAMES[0], "clientID");
    assert!(ResetOffsetRequestHeader::FIELD_NAMES.contains(&"isForce"));
    assert!(QueryMessageRequestHeader::FIELD_NAMES.contains(&"_UNIQUE_KEY_QUERY"));
    assert!(QueryMessageResponseHeader::FIELD_NAMES.contains(&"indexLastUpdatePhyoffset"));
    assert!(GetRouteInfoRequestHeader::FIELD_NAMES.contains(&"acceptStandardJsonOnly"));
    assert!(ReplyMessageRequestHeader::FIELD_NAMES.ends_with(&[
        "bornHost",
        "storeHost",
        "storeTimestamp"
    ]));
    assert_eq!(
        SendMessageRequestHeaderV2::FIELD_NAMES.join(""),
        "abcdefghijklmn"
    );
}

#[test]
fn headers_without_fields_write_nothing() {
    assert!(CleanUnusedTopicRequestHeader::default()
        .to_ext_fields()
        .is_empty());
    assert_eq!(
        CleanExpiredConsumeQueueRequestHeader::read(&ExtFields::new()).expect("read"),
        CleanExpiredConsumeQueueRequestHeader {}
    );
}

#[test]
fn command_carries_typed_headers() {
    let header = EndTransactionRequestHeader {
        producer_group: "PG".into(),
        tran_state_table_offset: 5,
        commit_log_offset: 1000,
        commit_or_rollback: TRANSACTION_COMMIT,
        from_transaction_check: Some(false),
        msg_id: "ID".into(),
        transaction_id: None,
        broker_name: None,
    };
    let cmd = Command::request(crate::RequestCode::END_TRANSACTION).with_header(&header);
    assert_eq!(cmd.ext_fields.get("commitOrRollback"), Some("8"));
    assert_eq!(cmd.ext_fields.get("fromTransactionCheck"), Some("false"));
    assert_eq!(
        cmd.decode_header::<EndTransactionRequestHeader>()
            .expect("decode"),
        header
    );
}
