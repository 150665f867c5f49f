//! Turning a user's [`Message`] into what goes on the wire: validation before any network call,
//! namespace wrapping, the unique id (`UNIQ_KEY`), compression and the sys flag (Java's
//! `Validators.checkMessage` + the first half of `sendKernelImpl`). Batches live in `batch.rs`.
//!
//! The user's message is never modified; the prepared copy shares its body bytes. Its
//! properties are written once, in wire form, straight from the message's (no copy of the
//! map): the send header borrows that text on every attempt.

use bytes::Bytes;
use rmq_protocol::message::{
    property, sysflag, Properties, NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR,
};
use rmq_protocol::{compression, ids, naming, validate, Message};

use crate::error::{Error, Result};
use crate::id::MessageId;
use crate::settings::Settings;

/// Properties are stored with an i16 length on the broker.
pub(crate) const MAX_PROPERTIES_LEN: usize = i16::MAX as usize;

/// One request's worth of message: the single message or the encoded batch.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    /// The topic on the wire (namespace-wrapped).
    pub(crate) topic: String,
    /// The topic as the user named it when it differs from `topic` (a namespace); see
    /// [`Outgoing::user_topic`].
    user_topic: Option<String>,
    /// The body as sent (compressed, or the batch encoding).
    pub(crate) body: Bytes,
    /// Uncompressed size, for in-flight accounting.
    pub(crate) size: usize,
    pub(crate) sys_flag: i32,
    pub(crate) flag: i32,
    /// The properties in wire form (`name 0x01 value 0x02 …`), as the send header carries
    /// them; [`Outgoing::properties`] reads them back.
    pub(crate) wire_properties: String,
    /// The ids users see: `UNIQ_KEY`, one per message of a batch.
    pub(crate) msg_ids: Vec<MessageId>,
    pub(crate) batch: bool,
    /// A reply of request-reply (`MSG_TYPE=reply`): sent as SEND_REPLY_MESSAGE_V2.
    pub(crate) reply: bool,
    pub(crate) reconsume_times: Option<i32>,
    pub(crate) max_reconsume_times: Option<i32>,
}

impl Outgoing {
    /// The topic as the user named it (without namespace), for receipts and errors.
    pub(crate) fn user_topic(&self) -> &str {
        self.user_topic.as_deref().unwrap_or(&self.topic)
    }

    /// The properties as sent, decoded from the wire form (for the rare readers: trace, the
    /// delivery-time guard of an old broker).
    pub(crate) fn properties(&self) -> Properties {
        Properties::decode(&self.wire_properties)
    }
}

/// Whether `topic` differs from `user_topic`, and then the user's name.
fn user_topic_if_wrapped(topic: &str, user_topic: &str) -> Option<String> {
    (topic != user_topic).then(|| user_topic.to_owned())
}

/// Writes pairs as `Properties::encode` does: `0x02` between pairs, `0x01` inside one.
struct WireWriter {
    out: String,
    first: bool,
}

impl WireWriter {
    fn with_capacity(capacity: usize) -> WireWriter {
        WireWriter {
            out: String::with_capacity(capacity),
            first: true,
        }
    }

    fn pair(&mut self, name: &str, value: &str) {
        if !self.first {
            self.out.push(PROPERTY_SEPARATOR);
        }
        self.first = false;
        self.out.push_str(name);
        self.out.push(NAME_VALUE_SEPARATOR);
        self.out.push_str(value);
    }
}

/// The wire form of `properties` after the changes `prepare` makes, in the order the map
/// operations would leave them: `drop` names removed, `UNIQ_KEY` appended when `unique_id` is
/// given (the message has none), `INSTANCE_ID` replaced in place or appended.
fn encode_prepared(
    properties: &Properties,
    unique_id: Option<&str>,
    instance_id: Option<&str>,
    drop: &[&str],
) -> String {
    let extra = |name: &str, value: Option<&str>| value.map_or(0, |v| name.len() + v.len() + 2);
    let capacity = properties.encoded_len()
        + extra(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, unique_id)
        + extra(property::INSTANCE_ID, instance_id);
    let mut w = WireWriter::with_capacity(capacity);
    let mut instance_written = false;
    for (name, value) in properties.iter() {
        if drop.contains(&name) {
            continue;
        }
        match instance_id {
            Some(ns) if name == property::INSTANCE_ID => {
                w.pair(name, ns);
                instance_written = true;
            }
            _ => w.pair(name, value),
        }
    }
    if let Some(id) = unique_id {
        w.pair(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, id);
    }
    if let Some(ns) = instance_id.filter(|_| !instance_written) {
        w.pair(property::INSTANCE_ID, ns);
    }
    w.out
}

pub(crate) fn invalid(e: rmq_protocol::Error) -> Error {
    Error::InvalidMessage(e.to_string())
}

/// Java `Validators.checkMessage` plus the checks the broker would otherwise fail the send
/// with: properties that survive the wire and fit in 32767 bytes.
pub(crate) fn check(settings: &Settings, msg: &Message) -> Result<()> {
    validate::check_message(msg.topic(), msg.body(), settings.max_message_size).map_err(invalid)?;
    // A user property `with_user_property` refused fails the send, naming it.
    msg.check_user_properties().map_err(invalid)?;
    msg.properties().validate().map_err(invalid)?;
    if let Some(level) = msg.property(property::DELAY_TIME_LEVEL) {
        if level.parse::<i32>().map_or(true, |l| l < 0) {
            return Err(Error::InvalidMessage(format!(
                "delay level {level:?} is not a non-negative number"
            )));
        }
    }
    Ok(())
}

fn check_properties_len(len: usize) -> Result<()> {
    if len > MAX_PROPERTIES_LEN {
        return Err(Error::InvalidMessage(format!(
            "properties of {len} bytes exceed {MAX_PROPERTIES_LEN}"
        )));
    }
    Ok(())
}

/// Validates and prepares one (non-batch) message.
pub(crate) fn prepare(settings: &Settings, msg: &Message) -> Result<Outgoing> {
    check(settings, msg)?;
    let namespace = settings.namespace.as_deref();
    let topic = naming::wrap_namespace(namespace, msg.topic());
    let props = msg.properties();
    // Java: MessageClientIDSetter.setUniqID keeps an id the user already set.
    let (msg_id, new_id) = match msg.unique_key() {
        Some(id) => (MessageId::from(id), false),
        None => (MessageId::from(ids::unique_id()), true),
    };
    let mut sys_flag = 0;
    let mut body = msg.body().clone();
    if body.len() >= settings.compress_threshold {
        // Java: tryToCompressMessage; a failure sends the body as is. The 5.x type bits say
        // which algorithm (MessageSysFlag: COMPRESSION_{LZ4,ZSTD,ZLIB}_TYPE).
        let kind = settings.compression;
        if let Ok(z) = compression::compress(kind, &body, settings.compress_level) {
            body = Bytes::from(z);
            sys_flag |= sysflag::COMPRESSED | kind.sys_flag_bits();
        }
    }
    if props.get(property::TRANSACTION_PREPARED) == Some("true") {
        sys_flag |= sysflag::TRANSACTION_PREPARED_TYPE;
    }
    let mut reconsume_times = Some(0);
    let mut max_reconsume_times = None;
    let mut moved: &[&str] = &[];
    if naming::is_retry_topic(&topic) {
        // Java moves these two properties into the header for %RETRY% topics.
        reconsume_times = props
            .get(property::RECONSUME_TIME)
            .and_then(|v| v.parse().ok())
            .or(Some(0));
        max_reconsume_times = props
            .get(property::MAX_RECONSUME_TIMES)
            .and_then(|v| v.parse().ok());
        moved = &[property::RECONSUME_TIME, property::MAX_RECONSUME_TIMES];
    }
    let wire_properties = encode_prepared(
        props,
        new_id.then_some(msg_id.as_str()),
        namespace.filter(|ns| !ns.is_empty()),
        moved,
    );
    check_properties_len(wire_properties.len())?;
    let reply = props.get(property::MESSAGE_TYPE) == Some(REPLY_MESSAGE_FLAG);
    Ok(Outgoing {
        user_topic: user_topic_if_wrapped(&topic, msg.topic()),
        topic,
        size: msg.body().len(),
        body,
        sys_flag,
        flag: msg.flag(),
        wire_properties,
        msg_ids: vec![msg_id],
        batch: false,
        reply,
        reconsume_times,
        max_reconsume_times,
    })
}

/// `MSG_TYPE` of a reply (Java `MixAll.REPLY_MESSAGE_FLAG`).
pub(crate) const REPLY_MESSAGE_FLAG: &str = "reply";

/// Validates and encodes a batch (Java `MessageBatch.generateFromList` + `batch()`): same
/// topic, no delay, no retry topic, one wait flag; each message gets its own unique id; the
/// encoded body is size-checked; never compressed.
pub(crate) fn prepare_batch(settings: &Settings, msgs: &[Message]) -> Result<Outgoing> {
    let first = msgs
        .first()
        .ok_or_else(|| Error::InvalidMessage("a batch needs at least one message".into()))?;
    if naming::is_retry_topic(first.topic()) {
        return Err(Error::InvalidMessage(
            "retry group topic is not supported for batching".into(),
        ));
    }
    let namespace = settings.namespace.as_deref();
    let mut encoded = Vec::with_capacity(msgs.len());
    let mut ids = Vec::with_capacity(msgs.len());
    let mut size = 0;
    for msg in msgs {
        if msg.topic() != first.topic() {
            return Err(Error::InvalidMessage(format!(
                "the topic of the messages in one batch should be the same: {} and {}",
                first.topic(),
                msg.topic()
            )));
        }
        if msg.delay_level().is_some_and(|l| l > 0) || msg.delivery_time().is_some() {
            return Err(Error::InvalidMessage(
                "delayed messages are not supported for batching".into(),
            ));
        }
        if msg.wait_store_msg_ok() != first.wait_store_msg_ok() {
            return Err(Error::InvalidMessage(
                "the waitStoreMsgOK of the messages in one batch should be the same".into(),
            ));
        }
        if msg.property(property::TRANSACTION_PREPARED) == Some("true") {
            return Err(Error::InvalidMessage(
                "transactional messages are not supported for batching".into(),
            ));
        }
        check(settings, msg)?;
        let mut m = msg.clone();
        let id = match m.unique_key() {
            Some(id) => id.to_owned(),
            None => {
                let id = ids::unique_id();
                m = m.with_unique_key(id.clone());
                id
            }
        };
        if let Some(ns) = namespace.filter(|ns| !ns.is_empty()) {
            m = m.with_property(property::INSTANCE_ID, ns);
        }
        check_properties_len(m.properties().encoded_len())?;
        size += m.body().len();
        ids.push(MessageId::from(id));
        encoded.push(m);
    }
    let body = rmq_protocol::message::encode_batch(&encoded).map_err(invalid)?;
    if body.len() > settings.max_message_size {
        return Err(Error::InvalidMessage(format!(
            "the encoded batch of {} bytes is over the max message size {}",
            body.len(),
            settings.max_message_size
        )));
    }
    // Java: the batch's own properties carry only WAIT (and INSTANCE_ID with a namespace).
    let wait = if first.wait_store_msg_ok() {
        "true"
    } else {
        "false"
    };
    let instance_id = namespace.filter(|ns| !ns.is_empty());
    let mut properties = WireWriter::with_capacity(
        property::WAIT_STORE_MSG_OK.len() + 6 + instance_id.map_or(0, |ns| ns.len() + 13),
    );
    properties.pair(property::WAIT_STORE_MSG_OK, wait);
    if let Some(ns) = instance_id {
        properties.pair(property::INSTANCE_ID, ns);
    }
    let topic = naming::wrap_namespace(namespace, first.topic());
    Ok(Outgoing {
        user_topic: user_topic_if_wrapped(&topic, first.topic()),
        topic,
        body,
        size,
        sys_flag: 0,
        flag: 0,
        wire_properties: properties.out,
        msg_ids: ids,
        batch: true,
        reply: false,
        reconsume_times: Some(0),
        max_reconsume_times: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::default()
    }

    #[test]
    fn validation_refuses_bad_topics_empty_and_oversized_bodies_before_sending() {
        let s = settings();
        let bad = [
            Message::new("", "x"),
            Message::new("bad topic!", "x"),
            Message::new("T".repeat(128), "x"),
            Message::new("SCHEDULE_TOPIC_XXXX", "x"),
            Message::new("T", ""),
            Message::new("T", vec![0u8; 4 * 1024 * 1024 + 1]),
            Message::new("T", "x").with_property("DELAY", "-1"),
            Message::new("T", "x").with_property("a\u{1}b", "v"),
            Message::new("T", "x").with_user_property("KEYS", "v"),
        ];
        for m in bad {
            let e = prepare(&s, &m).expect_err("refused");
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument, "{e}");
        }
        assert!(prepare(&s, &Message::new("T", vec![1u8; 4 * 1024 * 1024])).is_ok());
    }

    #[test]
    fn a_refused_user_property_fails_the_send_naming_it() {
        let msg = Message::new("T", "x").with_user_property("TAGS", "v");
        let e = prepare(&settings(), &msg).expect_err("refused");
        assert!(e.to_string().contains("user property \"TAGS\""), "{e}");
        let batch = [Message::new("T", "x"), msg];
        let e = prepare_batch(&settings(), &batch).expect_err("refused");
        assert!(e.to_string().contains("\"TAGS\""), "{e}");
    }

    #[test]
    fn prepared_message_gets_a_unique_key_unless_it_has_one() {
        let s = settings();
        let a = prepare(&s, &Message::new("T", "x")).expect("ok");
        let b = prepare(&s, &Message::new("T", "x")).expect("ok");
        assert_ne!(a.msg_ids, b.msg_ids);
        assert_eq!(a.properties().get("UNIQ_KEY"), Some(a.msg_ids[0].as_str()));
        let own = prepare(&s, &Message::new("T", "x").with_unique_key("ABC")).expect("ok");
        assert_eq!(own.msg_ids, ["ABC"].map(MessageId::from));
    }

    /// The properties as the map operations would leave them (clone, insert the id and
    /// namespace, remove the retry pair), encoded: what `prepare` wrote before it wrote the
    /// wire form directly.
    fn by_map_operations(msg: &Message, id: &str, ns: Option<&str>) -> String {
        let mut p = msg.properties().clone();
        if msg.unique_key().is_none() {
            p.insert(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, id);
        }
        if let Some(ns) = ns {
            p.insert(property::INSTANCE_ID, ns);
        }
        if naming::is_retry_topic(&naming::wrap_namespace(ns, msg.topic())) {
            p.remove(property::RECONSUME_TIME);
            p.remove(property::MAX_RECONSUME_TIMES);
        }
        p.encode()
    }

    #[test]
    fn prepared_properties_are_the_bytes_the_map_operations_give() {
        let wire = "KEYS\u{1}k1\u{2}INSTANCE_ID\u{1}old\u{2}TAGS\u{1}t";
        let from_wire = Message::new("T", "x")
            .with_properties(Properties::from_wire(Bytes::from_static(wire.as_bytes())));
        let msgs = [
            Message::new("T", "x"),
            Message::new("T", "x").with_tag("a").with_keys(["k"]),
            Message::new("T", "x").with_unique_key("OWN"),
            Message::new("T", "x")
                .with_property("INSTANCE_ID", "mine")
                .with_tag("a"),
            Message::new("%RETRY%g", "x")
                .with_property("RECONSUME_TIME", "3")
                .with_tag("a")
                .with_property("MAX_RECONSUME_TIMES", "16"),
            from_wire,
        ];
        for ns in [None, Some("ns1")] {
            let mut s = settings();
            s.namespace = ns.map(str::to_owned);
            for msg in &msgs {
                let out = prepare(&s, msg).expect("ok");
                let expected = by_map_operations(msg, out.msg_ids[0].as_str(), ns);
                assert_eq!(out.wire_properties, expected, "{msg:?} namespace {ns:?}");
            }
        }
    }

    #[test]
    fn bodies_over_the_threshold_are_zlib_compressed_with_java_sys_flag() {
        let s = settings();
        let small = prepare(&s, &Message::new("T", vec![b'a'; 4095])).expect("ok");
        assert_eq!(small.sys_flag, 0);
        let big = prepare(&s, &Message::new("T", vec![b'a'; 4096])).expect("ok");
        assert_eq!(big.sys_flag, 0x301);
        assert_eq!(&big.body[..2], &[0x78, 0x5E]);
        let back = compression::decompress_zlib(&big.body, 1 << 20).expect("inflate");
        assert_eq!(back, vec![b'a'; 4096]);
        assert_eq!(big.size, 4096);
    }

    #[test]
    fn lz4_and_zstd_set_their_5x_type_bits_and_decompress_back() {
        for (kind, bits) in [
            (compression::CompressionType::Lz4, 0x101),
            (compression::CompressionType::Zstd, 0x201),
        ] {
            let mut s = settings();
            s.compression = kind;
            let body: Vec<u8> = (0..8192u32).map(|i| (i % 7) as u8).collect();
            let out = prepare(&s, &Message::new("T", body.clone())).expect("ok");
            assert_eq!(out.sys_flag, bits, "{kind:?}");
            let read = compression::CompressionType::from_sys_flag(out.sys_flag).expect("type");
            assert_eq!(read, kind);
            let back = compression::decompress(kind, &out.body, 1 << 20).expect("decompress");
            assert_eq!(back, body, "{kind:?}");
        }
    }

    #[test]
    fn namespace_wraps_the_topic_and_sets_instance_id() {
        let mut s = settings();
        s.namespace = Some("ns1".into());
        let out = prepare(&s, &Message::new("T", "x")).expect("ok");
        assert_eq!(out.topic, "ns1%T");
        assert_eq!(out.user_topic(), "T");
        assert_eq!(out.properties().get("INSTANCE_ID"), Some("ns1"));
    }

    #[test]
    fn half_messages_carry_the_prepared_flag_and_retry_topics_move_reconsume_times() {
        let s = settings();
        let half = Message::new("T", "x").with_property("TRAN_MSG", "true");
        assert_eq!(prepare(&s, &half).expect("ok").sys_flag, 4);
        let retry = Message::new("%RETRY%g", "x")
            .with_property("RECONSUME_TIME", "3")
            .with_property("MAX_RECONSUME_TIMES", "16");
        let out = prepare(&s, &retry).expect("ok");
        assert_eq!(out.reconsume_times, Some(3));
        assert_eq!(out.max_reconsume_times, Some(16));
        assert!(out.properties().get("RECONSUME_TIME").is_none());
    }

    #[test]
    fn batches_must_share_topic_and_have_no_delay_and_are_never_compressed() {
        let s = settings();
        assert!(prepare_batch(&s, &[]).is_err());
        let mixed = [Message::new("A", "x"), Message::new("B", "x")];
        assert!(prepare_batch(&s, &mixed).is_err());
        let delayed = [Message::new("A", "x").with_delay_level(2)];
        assert!(prepare_batch(&s, &delayed).is_err());
        let retry = [Message::new("%RETRY%g", "x")];
        assert!(prepare_batch(&s, &retry).is_err());
        let big = vec![b'z'; 8192];
        let ok = [Message::new("A", big.clone()), Message::new("A", "y")];
        let out = prepare_batch(&s, &ok).expect("ok");
        assert!(out.batch);
        assert_eq!(out.sys_flag, 0);
        assert_eq!(out.msg_ids.len(), 2);
        let back = rmq_protocol::message::decode_batch(&out.body, "A").expect("decode");
        assert_eq!(back[0].body().as_ref(), big.as_slice());
        assert_eq!(back[1].unique_key(), Some(out.msg_ids[1].as_str()));
    }

    #[test]
    fn oversized_batches_are_refused_before_sending() {
        let mut s = settings();
        s.max_message_size = 100;
        let msgs: Vec<_> = (0..5).map(|_| Message::new("A", vec![1u8; 30])).collect();
        let e = prepare_batch(&s, &msgs).expect_err("too big");
        assert!(e.to_string().contains("over the max message size"), "{e}");
    }
}
