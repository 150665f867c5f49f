//! Typed headers through the public API: Java's wire names, round trips through a command and
//! through a whole JSON frame, and errors that name the field.

use bytes::BytesMut;
use rmq_protocol::frame::{decode_frame, DEFAULT_MAX_FRAME};
use rmq_protocol::header::*;
use rmq_protocol::{Command, CommandHeader, Error, ExtFields, RequestCode};

fn round_trip<H: CommandHeader + PartialEq + std::fmt::Debug>(header: &H) {
    let ext = header.to_ext_fields();
    assert_eq!(&H::read(&ext).expect("read back"), header);
}

#[test]
fn every_family_round_trips_through_ext_fields() {
    round_trip(&GetRouteInfoRequestHeader {
        topic: "T".into(),
        accept_standard_json_only: Some(true),
    });
    round_trip(&UpdateConsumerOffsetRequestHeader {
        consumer_group: "G".into(),
        topic: "T".into(),
        queue_id: 3,
        commit_offset: 99,
        broker_name: None,
    });
    round_trip(&SearchOffsetRequestHeader {
        topic: "T".into(),
        queue_id: 1,
        timestamp: 1_700_000_000_000,
        boundary_type: Some("LOWER".into()),
        broker_name: Some("b".into()),
    });
    round_trip(&ConsumerSendMsgBackRequestHeader {
        offset: 1000,
        group: "G".into(),
        delay_level: 0,
        origin_msg_id: Some("ID".into()),
        origin_topic: Some("T".into()),
        unit_mode: false,
        max_reconsume_times: Some(16),
        broker_name: None,
    });
    round_trip(&CheckTransactionStateRequestHeader {
        tran_state_table_offset: 5,
        commit_log_offset: 1000,
        msg_id: Some("U".into()),
        transaction_id: Some("X".into()),
        offset_msg_id: Some("O".into()),
        broker_name: None,
    });
    round_trip(&ReplyMessageRequestHeader {
        producer_group: "PG".into(),
        topic: "c_REPLY_TOPIC".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        born_host: "10.0.0.1:5000".into(),
        store_host: "10.0.0.2:10911".into(),
        store_timestamp: 1_700_000_000_001,
        ..Default::default()
    });
    round_trip(&CreateTopicRequestHeader {
        topic: "T".into(),
        default_topic: "TBW102".into(),
        read_queue_nums: 8,
        write_queue_nums: 8,
        perm: 6,
        topic_filter_type: "SINGLE_TAG".into(),
        topic_sys_flag: Some(0),
        order: false,
        attributes: None,
    });
    round_trip(&CloneGroupOffsetRequestHeader {
        src_group: "A".into(),
        dest_group: "B".into(),
        topic: None,
        offline: true,
    });
    round_trip(&PutKvConfigRequestHeader {
        namespace: "ORDER_TOPIC_CONFIG".into(),
        key: "T".into(),
        value: "broker-a:4".into(),
    });
}

#[test]
fn create_topic_writes_java_field_names() {
    let ext = CreateTopicRequestHeader {
        topic: "T".into(),
        default_topic: "TBW102".into(),
        read_queue_nums: 8,
        write_queue_nums: 4,
        perm: 6,
        topic_filter_type: "SINGLE_TAG".into(),
        ..Default::default()
    }
    .to_ext_fields();
    let pairs: Vec<_> = ext.iter().collect();
    assert_eq!(
        pairs,
        [
            ("topic", "T"),
            ("defaultTopic", "TBW102"),
            ("readQueueNums", "8"),
            ("writeQueueNums", "4"),
            ("perm", "6"),
            ("topicFilterType", "SINGLE_TAG"),
            ("order", "false"),
        ]
    );
}

#[test]
fn header_survives_a_json_frame() {
    let header = QueryMessageRequestHeader {
        topic: "T".into(),
        key: "k1".into(),
        max_num: 32,
        begin_timestamp: 0,
        end_timestamp: i64::MAX,
        unique_key_query: Some(false),
    };
    let cmd = Command::request(RequestCode::QUERY_MESSAGE).with_header(&header);
    let mut wire = BytesMut::new();
    cmd.encode(&mut wire).expect("encode");
    let decoded = decode_frame(&mut wire, DEFAULT_MAX_FRAME)
        .expect("decode")
        .expect("one frame");
    assert_eq!(decoded.ext_fields.get("_UNIQUE_KEY_QUERY"), Some("false"));
    assert_eq!(
        decoded
            .decode_header::<QueryMessageRequestHeader>()
            .expect("typed"),
        header
    );
}

#[test]
fn java_pull_response_ext_fields_decode() {
    // The [verified] pull response header of PROTOCOL.md §2.2.
    let ext: ExtFields = [
        ("suggestWhichBrokerId", "0"),
        ("nextBeginOffset", "32"),
        ("maxOffset", "32"),
        ("minOffset", "0"),
    ]
    .into_iter()
    .collect();
    let h = PullMessageResponseHeader::read(&ext).expect("read");
    assert_eq!(
        (h.next_begin_offset, h.max_offset, h.min_offset),
        (32, 32, 0)
    );
    assert_eq!(h.offset_delta, None);
}

#[test]
fn reading_reports_the_missing_wire_name() {
    let err = SendMessageResponseHeader::read(&ExtFields::new()).expect_err("empty");
    assert!(matches!(err, Error::MissingField("msgId")), "{err:?}");
    let err = ViewBrokerStatsDataRequestHeader::read(&[("statsName", "x")].into_iter().collect())
        .expect_err("statsKey missing");
    assert!(matches!(err, Error::MissingField("statsKey")), "{err:?}");
}

#[test]
fn optional_numbers_that_do_not_parse_are_errors() {
    let ext: ExtFields = [
        ("suggestWhichBrokerId", "0"),
        ("nextBeginOffset", "1"),
        ("maxOffset", "1"),
        ("minOffset", "0"),
        ("offsetDelta", "abc"),
    ]
    .into_iter()
    .collect();
    let err = PullMessageResponseHeader::read(&ext).expect_err("bad optional");
    assert!(
        matches!(
            err,
            Error::InvalidField {
                field: "offsetDelta",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn admin_responses_read_counts() {
    let wipe = WipeWritePermOfBrokerResponseHeader::read(
        &[("wipeTopicCount", "12")].into_iter().collect(),
    )
    .expect("wipe");
    assert_eq!(wipe.wipe_topic_count, 12);
    let add =
        AddWritePermOfBrokerResponseHeader::read(&[("addTopicCount", "3")].into_iter().collect())
            .expect("add");
    assert_eq!(add.add_topic_count, 3);
    let q = QueryMessageResponseHeader::read(
        &[
            ("indexLastUpdateTimestamp", "1700000000000"),
            ("indexLastUpdatePhyoffset", "4096"),
        ]
        .into_iter()
        .collect(),
    )
    .expect("query");
    assert_eq!(q.index_last_update_phyoffset, 4096);
}
