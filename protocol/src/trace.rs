//! Message trace records in the text format Java's clients write to the trace topic
//! (`TraceDataEncoder`), both directions; sending them is client-core's job.
//!
//! A trace message's body is a run of records, each ended by [`FIELD_SEPARATOR`] (char 2); a
//! record's fields are joined by [`CONTENT_SEPARATOR`] (char 1). The first field names the type:
//!
//! ```text
//! Pub            type ts region group topic msgId tags keys storeHost bodyLen cost msgType offsetMsgId success
//! SubBefore      type ts region group requestId msgId retryTimes keys
//! SubAfter       type requestId msgId cost success keys contextCode [ts group]
//! EndTransaction type ts region group topic msgId tags keys storeHost msgType txId txState fromCheck
//! Recall         type ts region group topic msgId success                          (5.x)
//! ```
//!
//! `ts` is milliseconds since the epoch, `cost` milliseconds, `msgType` the ordinal of Java's
//! `MessageType`, booleans `true`/`false`. An absent string is written `null`, as Java's
//! `StringBuilder.append(null)` does: Java's reader splits like `String.split`, which drops
//! trailing empty fields, so an empty last field would make it index past the end.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// Separates the fields of one record (Java `TraceConstants.CONTENT_SPLITOR`).
pub const CONTENT_SEPARATOR: char = '\u{1}';

/// Ends each record (Java `TraceConstants.FIELD_SPLITOR`).
pub const FIELD_SEPARATOR: char = '\u{2}';

/// Prefix of the trace producer's group: `_INNER_TRACE_PRODUCER-<group>-<PRODUCE|CONSUME>-<n>`.
pub const TRACE_PRODUCER_GROUP_PREFIX: &str = "_INNER_TRACE_PRODUCER";

/// The largest trace message body Java's dispatcher sends before starting another (128 000 B).
pub const MAX_TRACE_BODY_BYTES: usize = 128_000;

/// Separates several keys in one `KEYS` value (Java `MessageConst.KEY_SEPARATOR`).
const KEY_SEPARATOR: char = ' ';

/// What a trace record reports (Java `TraceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraceType {
    /// A producer sent the message.
    Pub,
    /// A producer recalled a timer message (5.x).
    Recall,
    /// A consumer is about to hand the message to its listener.
    SubBefore,
    /// The listener returned; the record carries its status and cost.
    SubAfter,
    /// A transactional producer committed or rolled back the message.
    EndTransaction,
}

impl TraceType {
    /// The name on the wire (the Java enum constant).
    pub fn as_str(self) -> &'static str {
        match self {
            TraceType::Pub => "Pub",
            TraceType::Recall => "Recall",
            TraceType::SubBefore => "SubBefore",
            TraceType::SubAfter => "SubAfter",
            TraceType::EndTransaction => "EndTransaction",
        }
    }

    /// The type a wire name denotes, if it is one.
    pub fn from_name(name: &str) -> Option<TraceType> {
        [
            TraceType::Pub,
            TraceType::Recall,
            TraceType::SubBefore,
            TraceType::SubAfter,
            TraceType::EndTransaction,
        ]
        .into_iter()
        .find(|t| t.as_str() == name)
    }
}

/// Kind of a traced message: the ordinal of Java's `MessageType`, an open code space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TraceMessageType(pub i32);

impl TraceMessageType {
    /// `Normal_Msg`.
    pub const NORMAL: TraceMessageType = TraceMessageType(0);
    /// `Trans_Msg_Half`: the half message of a transaction.
    pub const TRANS_HALF: TraceMessageType = TraceMessageType(1);
    /// `Trans_msg_Commit`: an end-transaction record.
    pub const TRANS_COMMIT: TraceMessageType = TraceMessageType(2);
    /// `Delay_Msg`: a delay level or a delivery time.
    pub const DELAY: TraceMessageType = TraceMessageType(3);
    /// `Order_Msg` (5.x only: a 4.9.7 reader fails on it, so rmq does not write it).
    pub const ORDER: TraceMessageType = TraceMessageType(4);
}

/// How a consume ended, in a SubAfter record (the ordinal of Java's `ConsumeReturnType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ContextCode(pub i32);

impl ContextCode {
    /// The listener returned success.
    pub const SUCCESS: ContextCode = ContextCode(0);
    /// The listener ran past the consume timeout.
    pub const TIME_OUT: ContextCode = ContextCode(1);
    /// The listener threw (panicked).
    pub const EXCEPTION: ContextCode = ContextCode(2);
    /// The listener returned nothing.
    pub const RETURN_NULL: ContextCode = ContextCode(3);
    /// The listener asked for a later retry.
    pub const FAILED: ContextCode = ContextCode(4);
}

/// A transaction's outcome in an EndTransaction record (Java `LocalTransactionState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionState {
    /// `COMMIT_MESSAGE`.
    Commit,
    /// `ROLLBACK_MESSAGE`.
    Rollback,
    /// `UNKNOW` (sic).
    Unknown,
}

impl TransactionState {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionState::Commit => "COMMIT_MESSAGE",
            TransactionState::Rollback => "ROLLBACK_MESSAGE",
            TransactionState::Unknown => "UNKNOW",
        }
    }

    fn from_name(name: &str) -> Option<TransactionState> {
        match name {
            "COMMIT_MESSAGE" => Some(TransactionState::Commit),
            "ROLLBACK_MESSAGE" => Some(TransactionState::Rollback),
            "UNKNOW" => Some(TransactionState::Unknown),
            _ => None,
        }
    }
}

/// One trace record: one message seen at one point (Java's `TraceContext` with one
/// `TraceBean`). Which fields a type writes is in the [module docs](self); the others keep
/// their defaults when decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceRecord {
    /// What the record reports.
    pub kind: TraceType,
    /// When it happened. `None` only for a SubAfter record written without it (Java's cloud
    /// channel, or a writer older than 4.9); such a record is encoded without it too.
    pub timestamp: Option<SystemTime>,
    /// The broker's region (`MSG_REGION`), `DefaultRegion` unless configured.
    pub region_id: String,
    /// Producer or consumer group, without namespace.
    pub group: String,
    /// Ties a SubBefore to its SubAfter (a unique id per consume call).
    pub request_id: String,
    /// The traced message's topic, without namespace.
    pub topic: String,
    /// The traced message's unique id (`UNIQ_KEY`): what a trace query looks for.
    pub msg_id: String,
    /// The broker's offset message id (Pub).
    pub offset_msg_id: String,
    /// The message's tag.
    pub tags: Option<String>,
    /// The message's keys, space-separated as in its `KEYS` property.
    pub keys: Option<String>,
    /// Address of the broker that stored the message (Pub, EndTransaction).
    pub store_host: String,
    /// The writer's address: only records of old Java writers carry it (15-field Pub).
    pub client_host: String,
    /// Body length in bytes (Pub).
    pub body_length: i32,
    /// How long the send or the consume took (per message for a batch).
    pub cost: Duration,
    /// Kind of message (Pub, EndTransaction).
    pub msg_type: TraceMessageType,
    /// Whether the send or the consume succeeded.
    pub success: bool,
    /// How many times the message was redelivered before (SubBefore).
    pub retry_times: i32,
    /// How the consume ended (SubAfter).
    pub context_code: ContextCode,
    /// The transaction id (EndTransaction).
    pub transaction_id: Option<String>,
    /// The transaction's outcome (EndTransaction; `None` decodes as an error there).
    pub transaction_state: Option<TransactionState>,
    /// Whether the outcome answered a broker's check (EndTransaction).
    pub from_transaction_check: bool,
}

impl TraceRecord {
    /// An empty record of `kind` at `timestamp`: successful, normal message, zero cost.
    pub fn new(kind: TraceType, timestamp: SystemTime) -> TraceRecord {
        TraceRecord {
            kind,
            timestamp: Some(timestamp),
            region_id: String::new(),
            group: String::new(),
            request_id: String::new(),
            topic: String::new(),
            msg_id: String::new(),
            offset_msg_id: String::new(),
            tags: None,
            keys: None,
            store_host: String::new(),
            client_host: String::new(),
            body_length: 0,
            cost: Duration::ZERO,
            msg_type: TraceMessageType::NORMAL,
            success: true,
            retry_times: 0,
            context_code: ContextCode::SUCCESS,
            transaction_id: None,
            transaction_state: None,
            from_transaction_check: false,
        }
    }

    /// The keys the trace message carrying this record is indexed under: the message id and
    /// each of its keys (Java `TraceTransferBean.transKey`), so a query by id finds it.
    pub fn index_keys(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.msg_id.as_str()).chain(
            self.keys
                .iter()
                .flat_map(|k| k.split(KEY_SEPARATOR))
                .filter(|k| !k.is_empty()),
        )
    }

    /// Appends this record, ended by [`FIELD_SEPARATOR`], to `out`.
    ///
    /// Separator characters inside a value would split it on decode; they are written as
    /// spaces.
    pub fn encode_into(&self, out: &mut String) {
        let mut w = Writer { out, first: true };
        w.text(self.kind.as_str());
        match self.kind {
            TraceType::Pub => {
                self.write_head(&mut w);
                w.text(&self.topic);
                w.text(&self.msg_id);
                w.opt(self.tags.as_deref());
                w.opt(self.keys.as_deref());
                w.text(&self.store_host);
                w.num(i64::from(self.body_length));
                w.num(cost_ms(self.cost));
                w.num(i64::from(self.msg_type.0));
                w.text(&self.offset_msg_id);
                w.boolean(self.success);
            }
            TraceType::SubBefore => {
                self.write_head(&mut w);
                w.text(&self.request_id);
                w.text(&self.msg_id);
                w.num(i64::from(self.retry_times));
                w.opt(self.keys.as_deref());
            }
            TraceType::SubAfter => {
                w.text(&self.request_id);
                w.text(&self.msg_id);
                w.num(cost_ms(self.cost));
                w.boolean(self.success);
                w.opt(self.keys.as_deref());
                w.num(i64::from(self.context_code.0));
                if let Some(at) = self.timestamp {
                    w.num(epoch_ms(at));
                    w.text(&self.group);
                }
            }
            TraceType::EndTransaction => {
                self.write_head(&mut w);
                w.text(&self.topic);
                w.text(&self.msg_id);
                w.opt(self.tags.as_deref());
                w.opt(self.keys.as_deref());
                w.text(&self.store_host);
                w.num(i64::from(self.msg_type.0));
                w.opt(self.transaction_id.as_deref());
                w.opt(self.transaction_state.map(TransactionState::as_str));
                w.boolean(self.from_transaction_check);
            }
            TraceType::Recall => {
                self.write_head(&mut w);
                w.text(&self.topic);
                w.text(&self.msg_id);
                w.boolean(self.success);
            }
        }
        w.out.push(FIELD_SEPARATOR);
    }

    /// This record as a string ended by [`FIELD_SEPARATOR`].
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(256);
        self.encode_into(&mut out);
        out
    }

    /// Timestamp, region and group: the fields after the type in most records.
    fn write_head(&self, w: &mut Writer<'_>) {
        w.num(self.timestamp.map_or(0, epoch_ms));
        w.text(&self.region_id);
        w.text(&self.group);
    }
}

/// The body of a trace message holding `records`, in order.
pub fn encode_all<'a>(records: impl IntoIterator<Item = &'a TraceRecord>) -> String {
    let mut out = String::with_capacity(1024);
    for record in records {
        record.encode_into(&mut out);
    }
    out
}

/// The records of a trace message body, in order.
///
/// Records of a type this decoder does not know are skipped, as Java skips them; fields after
/// the last one a type defines are ignored.
///
/// # Errors
/// [`Error::Invalid`] for a known record with too few fields, [`Error::InvalidField`] for a
/// number, message type or transaction state that does not parse.
pub fn decode_all(body: &str) -> Result<Vec<TraceRecord>> {
    let mut records = Vec::new();
    for text in body.split(FIELD_SEPARATOR).filter(|r| !r.is_empty()) {
        let fields = java_split(text, CONTENT_SEPARATOR);
        let Some(kind) = TraceType::from_name(fields[0]) else {
            continue;
        };
        records.push(decode_record(kind, &fields)?);
    }
    Ok(records)
}

/// One record of a known type from its fields (`fields[0]` is the type).
fn decode_record(kind: TraceType, f: &[&str]) -> Result<TraceRecord> {
    let need = match kind {
        TraceType::Pub => 12,
        TraceType::SubBefore => 7,
        TraceType::SubAfter => 6,
        TraceType::EndTransaction => 13,
        TraceType::Recall => 7,
    };
    if f.len() < need {
        return Err(Error::Invalid(format!(
            "trace record {} has {} fields, needs at least {need}",
            kind.as_str(),
            f.len()
        )));
    }
    let mut r = TraceRecord::new(kind, UNIX_EPOCH);
    if kind != TraceType::SubAfter {
        r.timestamp = Some(parse_time(f[1])?);
        r.region_id = f[2].to_owned();
        r.group = f[3].to_owned();
    }
    match kind {
        TraceType::Pub => {
            r.topic = f[4].to_owned();
            r.msg_id = f[5].to_owned();
            r.tags = opt(f[6]);
            r.keys = opt(f[7]);
            r.store_host = f[8].to_owned();
            r.body_length = parse_num("bodyLength", f[9])?;
            r.cost = parse_cost(f[10])?;
            r.msg_type = TraceMessageType(parse_num("msgType", f[11])?);
            // Java: 13 fields = no offsetMsgId (old writers); 14 or more = offsetMsgId first.
            match f.len() {
                13 => r.success = parse_bool(f[12]),
                n if n >= 14 => {
                    r.offset_msg_id = f[12].to_owned();
                    r.success = parse_bool(f[13]);
                    r.client_host = f.get(14).map_or_else(String::new, |h| (*h).to_owned());
                }
                _ => {}
            }
        }
        TraceType::SubBefore => {
            r.request_id = f[4].to_owned();
            r.msg_id = f[5].to_owned();
            r.retry_times = parse_num("retryTimes", f[6])?;
            r.keys = f.get(7).and_then(|k| opt(k));
        }
        TraceType::SubAfter => {
            r.timestamp = None;
            r.request_id = f[1].to_owned();
            r.msg_id = f[2].to_owned();
            r.cost = parse_cost(f[3])?;
            r.success = parse_bool(f[4]);
            r.keys = opt(f[5]);
            if let Some(code) = f.get(6) {
                r.context_code = ContextCode(parse_num("contextCode", code)?);
            }
            if f.len() >= 9 {
                r.timestamp = Some(parse_time(f[7])?);
                r.group = f[8].to_owned();
            }
        }
        TraceType::EndTransaction => {
            r.topic = f[4].to_owned();
            r.msg_id = f[5].to_owned();
            r.tags = opt(f[6]);
            r.keys = opt(f[7]);
            r.store_host = f[8].to_owned();
            r.msg_type = TraceMessageType(parse_num("msgType", f[9])?);
            r.transaction_id = opt(f[10]);
            r.transaction_state =
                Some(
                    TransactionState::from_name(f[11]).ok_or_else(|| Error::InvalidField {
                        field: "transactionState",
                        value: f[11].to_owned(),
                    })?,
                );
            r.from_transaction_check = parse_bool(f[12]);
        }
        TraceType::Recall => {
            r.topic = f[4].to_owned();
            r.msg_id = f[5].to_owned();
            r.success = parse_bool(f[6]);
        }
    }
    Ok(r)
}

/// Java's `String.split` on one character: trailing empty parts are dropped.
fn java_split(text: &str, separator: char) -> Vec<&str> {
    let mut parts: Vec<&str> = text.split(separator).collect();
    while parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    parts
}

/// `null` (Java's text for a null string) and the empty string mean absent.
fn opt(field: &str) -> Option<String> {
    (!field.is_empty() && field != "null").then(|| field.to_owned())
}

/// Java `Boolean.parseBoolean`: `true` in any case, anything else false.
fn parse_bool(field: &str) -> bool {
    field.eq_ignore_ascii_case("true")
}

fn parse_num<T: std::str::FromStr>(name: &'static str, field: &str) -> Result<T> {
    field.parse().map_err(|_| Error::InvalidField {
        field: name,
        value: field.to_owned(),
    })
}

fn parse_time(field: &str) -> Result<SystemTime> {
    let ms: u64 = parse_num("timeStamp", field)?;
    Ok(UNIX_EPOCH + Duration::from_millis(ms))
}

fn parse_cost(field: &str) -> Result<Duration> {
    // Java writes an int; a negative cost (a clock step back) reads as zero.
    let ms: i64 = parse_num("costTime", field)?;
    Ok(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
}

fn epoch_ms(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Java keeps the cost in an `int`.
fn cost_ms(cost: Duration) -> i64 {
    i64::try_from(cost.as_millis()).map_or(i64::from(i32::MAX), |ms| ms.min(i64::from(i32::MAX)))
}

/// Writes fields joined by [`CONTENT_SEPARATOR`].
struct Writer<'a> {
    out: &'a mut String,
    first: bool,
}

impl Writer<'_> {
    fn text(&mut self, value: &str) {
        if !self.first {
            self.out.push(CONTENT_SEPARATOR);
        }
        self.first = false;
        self.out.extend(value.chars().map(|c| match c {
            CONTENT_SEPARATOR | FIELD_SEPARATOR => ' ',
            c => c,
        }));
    }

    fn opt(&mut self, value: Option<&str>) {
        self.text(value.filter(|v| !v.is_empty()).unwrap_or("null"));
    }

    fn num(&mut self, value: i64) {
        self.text(&value.to_string());
    }

    fn boolean(&mut self, value: bool) {
        self.text(if value { "true" } else { "false" });
    }
}
