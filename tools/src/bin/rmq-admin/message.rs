//! Message commands: `queryMsgById`, `queryMsgByKey`, `queryMsgByUniqueKey`,
//! `queryMsgByOffset`, `queryMsgTraceById` (printed by `trace`), `sendMessage`,
//! `consumeMessage`, `printMsg`.

mod trace;

use clap::Subcommand;
use rmq_client_admin::{Admin, DEFAULT_QUERY_MAX};
use rmq_protocol::{naming, Message, MessageQueue, StoredMessage};

use crate::progress::Progress;
use crate::table::{parse_bool, parse_time, print_message, MessageView};
use crate::{bad_arg, CliResult, Output};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Query Message by Id (offset message id).
    #[command(name = "queryMsgById")]
    QueryMsgById {
        /// Message id(s), comma separated.
        #[arg(short = 'i', long = "msgId")]
        msg_id: String,
    },
    /// Query Message by Key.
    #[command(name = "queryMsgByKey")]
    QueryMsgByKey {
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Message key.
        #[arg(short = 'k', long = "msgKey")]
        key: String,
        /// Begin timestamp (ms or yyyy-MM-dd#HH:mm:ss:SSS; default 0).
        #[arg(short = 'b', long = "beginTimestamp")]
        begin: Option<String>,
        /// End timestamp (ms or yyyy-MM-dd#HH:mm:ss:SSS; default now).
        #[arg(short = 'e', long = "endTimestamp")]
        end: Option<String>,
        /// The maximum number of messages returned (default 64).
        #[arg(short = 'c', long = "maxNum")]
        max_num: Option<i32>,
    },
    /// Query Message by Unique key.
    #[command(name = "queryMsgByUniqueKey")]
    QueryMsgByUniqueKey {
        /// Message id (UNIQ_KEY).
        #[arg(short = 'i', long = "msgId")]
        msg_id: String,
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Print every copy found (true|false).
        #[arg(short = 'a', long = "showAll", value_parser = parse_bool)]
        show_all: Option<bool>,
    },
    /// Query Message by offset.
    #[command(name = "queryMsgByOffset")]
    QueryMsgByOffset {
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Broker name.
        #[arg(short = 'b', long = "brokerName")]
        broker: String,
        /// Queue id.
        #[arg(short = 'i', long = "queueId")]
        queue_id: i32,
        /// Queue offset.
        #[arg(short = 'o', long = "offset")]
        offset: i64,
    },
    /// Query a message trace.
    #[command(name = "queryMsgTraceById")]
    QueryMsgTraceById {
        /// Message id (UNIQ_KEY).
        #[arg(short = 'i', long = "msgId")]
        msg_id: String,
        /// The message trace topic (default RMQ_SYS_TRACE_TOPIC).
        #[arg(short = 't', long = "traceTopic")]
        trace_topic: Option<String>,
        /// Begin timestamp (ms or yyyy-MM-dd#HH:mm:ss:SSS; default 0).
        #[arg(short = 'b', long = "beginTimestamp")]
        begin: Option<String>,
        /// End timestamp (ms or yyyy-MM-dd#HH:mm:ss:SSS; default no limit).
        #[arg(short = 'e', long = "endTimestamp")]
        end: Option<String>,
        /// The maximum number of trace messages returned (default 64).
        #[arg(short = 'c', long = "maxNum")]
        max_num: Option<i32>,
    },
    /// Send a message.
    #[command(name = "sendMessage")]
    SendMessage {
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// UTF-8 string format of the message body.
        #[arg(short = 'p', long = "body")]
        body: String,
        /// Message keys.
        #[arg(short = 'k', long = "key")]
        keys: Option<String>,
        /// Message tags.
        #[arg(short = 'c', long = "tags")]
        tags: Option<String>,
        /// Send to a particular broker (with -i).
        #[arg(short = 'b', long = "broker")]
        broker: Option<String>,
        /// Send to a particular queue (with -b).
        #[arg(short = 'i', long = "qid")]
        queue_id: Option<i32>,
        /// Message trace enable (true|false, default false): also send the Pub trace record.
        #[arg(short = 'm', long = "msgTraceEnable", value_parser = parse_bool)]
        trace: Option<bool>,
    },
    /// Consume message.
    #[command(name = "consumeMessage")]
    ConsumeMessage {
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Broker name.
        #[arg(short = 'b', long = "brokerName")]
        broker: Option<String>,
        /// Queue id.
        #[arg(short = 'i', long = "queueId")]
        queue_id: Option<i32>,
        /// Queue offset.
        #[arg(short = 'o', long = "offset")]
        offset: Option<i64>,
        /// Consumer group name (accepted for compatibility; nothing is committed).
        #[arg(short = 'g', long = "consumerGroup")]
        group: Option<String>,
        /// Begin timestamp (ms or yyyy-MM-dd#HH:mm:ss:SSS).
        #[arg(short = 's', long = "beginTimestamp")]
        begin: Option<String>,
        /// End timestamp (ms or yyyy-MM-dd#HH:mm:ss:SSS).
        #[arg(short = 'e', long = "endTimestamp")]
        end: Option<String>,
        /// Number of messages to consume (default 128).
        #[arg(short = 'c', long = "MessageNumber", default_value_t = 128)]
        count: u64,
    },
    /// Print Message Detail.
    #[command(name = "printMsg")]
    PrintMsg {
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Charset of the body (only UTF-8 is supported).
        #[arg(short = 'c', long = "charsetName")]
        charset: Option<String>,
        /// Tag expression, e.g. `TagA || TagB` (default `*`).
        #[arg(short = 's', long = "subExpression")]
        sub_expression: Option<String>,
        /// Begin timestamp (ms or yyyy-MM-dd#HH:mm:ss:SSS).
        #[arg(short = 'b', long = "beginTimestamp")]
        begin: Option<String>,
        /// End timestamp (ms or yyyy-MM-dd#HH:mm:ss:SSS).
        #[arg(short = 'e', long = "endTimestamp")]
        end: Option<String>,
        /// Print the body (true|false, default true).
        #[arg(short = 'd', long = "printBody", value_parser = parse_bool)]
        print_body: Option<bool>,
    },
}

impl Cmd {
    pub async fn run(self, admin: &Admin, out: &mut Output) -> CliResult<()> {
        match self {
            Cmd::QueryMsgById { msg_id } => {
                let mut views = Vec::new();
                for id in msg_id.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let m = admin.view_message(id).await?;
                    print_message(out, &m);
                    views.push(MessageView::of(&m));
                }
                out.json(&views)
            }
            Cmd::QueryMsgByKey {
                topic,
                key,
                begin,
                end,
                max_num,
            } => {
                let begin = begin
                    .map(|b| parse_time("-b beginTimestamp", &b))
                    .transpose()?
                    .unwrap_or(0);
                let end = end
                    .map(|e| parse_time("-e endTimestamp", &e))
                    .transpose()?
                    .unwrap_or(i64::MAX);
                let found = admin
                    .query_msg_by_key(
                        &topic,
                        &key,
                        max_num.unwrap_or(DEFAULT_QUERY_MAX),
                        begin,
                        end,
                    )
                    .await?;
                out.line(format!(
                    "{:<50} {:>4} {:>40}",
                    "#Message ID", "#QID", "#Offset"
                ));
                for m in &found {
                    out.line(format!(
                        "{:<50} {:>4} {:>40}",
                        m.msg_id(),
                        m.queue_id,
                        m.queue_offset
                    ));
                }
                out.json(&found.iter().map(MessageView::of).collect::<Vec<_>>())
            }
            Cmd::QueryMsgByUniqueKey {
                msg_id,
                topic,
                show_all,
            } => {
                let mut found = admin.query_msg_by_unique_key(&topic, &msg_id).await?;
                if show_all != Some(true) {
                    found.truncate(1);
                }
                for m in &found {
                    print_message(out, m);
                }
                out.json(&found.iter().map(MessageView::of).collect::<Vec<_>>())
            }
            Cmd::QueryMsgByOffset {
                topic,
                broker,
                queue_id,
                offset,
            } => {
                let mq = MessageQueue::new(topic, broker, queue_id);
                let m = admin.query_msg_by_offset(&mq, offset).await?;
                print_message(out, &m);
                out.json(&MessageView::of(&m))
            }
            Cmd::QueryMsgTraceById {
                msg_id,
                trace_topic,
                begin,
                end,
                max_num,
            } => {
                let begin = begin
                    .map(|b| parse_time("-b beginTimestamp", &b))
                    .transpose()?
                    .unwrap_or(0);
                let end = end
                    .map(|e| parse_time("-e endTimestamp", &e))
                    .transpose()?
                    .unwrap_or(i64::MAX);
                let topic = trace_topic.unwrap_or_else(|| naming::TRACE_TOPIC.to_owned());
                let views = admin
                    .query_msg_trace(
                        msg_id.trim(),
                        topic.trim(),
                        max_num.unwrap_or(DEFAULT_QUERY_MAX),
                        begin,
                        end,
                    )
                    .await?;
                trace::print_traces(out, &views)
            }
            Cmd::SendMessage {
                topic,
                body,
                keys,
                tags,
                broker,
                queue_id,
                trace,
            } => {
                let mut msg = Message::new(topic, body.into_bytes());
                if let Some(k) = keys {
                    msg = msg.with_keys(
                        k.split(' ')
                            .filter(|k| !k.is_empty())
                            .map(str::to_owned)
                            .collect::<Vec<_>>(),
                    );
                }
                if let Some(t) = tags {
                    msg = msg.with_tag(t);
                }
                let queue = match (broker, queue_id) {
                    (Some(b), Some(q)) => Some(MessageQueue::new(msg.topic(), b, q)),
                    (None, None) => None,
                    _ => return Err(bad_arg("give both -b <broker> and -i <qid>, or neither")),
                };
                let sent = if trace == Some(true) {
                    let (sent, stats) = admin
                        .send_message_traced(msg, queue.as_ref(), naming::TRACE_TOPIC)
                        .await?;
                    if stats.sent == 0 {
                        eprintln!("rmq-admin sendMessage: the message trace was not sent");
                    }
                    sent
                } else {
                    admin.send_message(msg, queue.as_ref()).await?
                };
                out.line(format!(
                    "{:<32}  {:<4}  {:<20}    {}",
                    "#Broker Name", "#QID", "#Send Result", "#MsgId"
                ));
                out.line(format!(
                    "{:<32}  {:<4}  {:<20}    {}",
                    sent.broker_name, sent.queue_id, sent.status, sent.msg_id
                ));
                out.json(&sent)
            }
            Cmd::ConsumeMessage {
                topic,
                broker,
                queue_id,
                offset,
                group: _,
                begin,
                end,
                count,
            } => {
                let queues = pick_queues(admin, &topic, broker.as_deref(), queue_id).await?;
                let begin = begin
                    .map(|b| parse_time("-s beginTimestamp", &b))
                    .transpose()?;
                let end = end.map(|e| parse_time("-e endTimestamp", &e)).transpose()?;
                let ranges = ranges(admin, &queues, offset, begin, end).await?;
                let messages =
                    read_ranges(admin, &ranges, Some(count), "consumeMessage", None).await?;
                for m in &messages {
                    out.line("Consume ok");
                    out.line(format!(
                        "MSGID: {} TOPIC: {} QUEUE: {}:{} OFFSET: {} TAGS: {} KEYS: {} BODY: {}",
                        m.msg_id(),
                        m.topic,
                        store_broker(&ranges, m),
                        m.queue_id,
                        m.queue_offset,
                        m.tags().unwrap_or(""),
                        m.keys().collect::<Vec<_>>().join(" "),
                        String::from_utf8_lossy(&m.body)
                    ));
                }
                out.json(&messages.iter().map(MessageView::of).collect::<Vec<_>>())
            }
            Cmd::PrintMsg {
                topic,
                charset,
                sub_expression,
                begin,
                end,
                print_body,
            } => {
                if let Some(c) = charset
                    .filter(|c| !c.eq_ignore_ascii_case("UTF-8") && !c.eq_ignore_ascii_case("UTF8"))
                {
                    return Err(bad_arg(format!(
                        "charset {c:?} is not supported (only UTF-8)"
                    )));
                }
                let queues = admin.topic_queues(&topic).await?;
                let begin = begin
                    .map(|b| parse_time("-b beginTimestamp", &b))
                    .transpose()?;
                let end = end.map(|e| parse_time("-e endTimestamp", &e)).transpose()?;
                let ranges = ranges(admin, &queues, None, begin, end).await?;
                for (mq, from, to) in &ranges {
                    out.line(format!("minOffset={from}, maxOffset={to}, MessageQueue [topic={}, brokerName={}, queueId={}]", mq.topic, mq.broker_name, mq.queue_id));
                }
                let tags = sub_expression.filter(|s| s.trim() != "*" && !s.trim().is_empty());
                let messages =
                    read_ranges(admin, &ranges, None, "printMsg", tags.as_deref()).await?;
                let with_body = print_body.unwrap_or(true);
                for m in &messages {
                    let body = if with_body {
                        String::from_utf8_lossy(&m.body).into_owned()
                    } else {
                        "NOT PRINT BODY".to_owned()
                    };
                    out.line(format!(
                        "MSGID: {} QUEUE: {}:{} OFFSET: {} TAGS: {} BODY: {body}",
                        m.msg_id(),
                        store_broker(&ranges, m),
                        m.queue_id,
                        m.queue_offset,
                        m.tags().unwrap_or("")
                    ));
                }
                out.json(&messages.iter().map(MessageView::of).collect::<Vec<_>>())
            }
        }
    }
}

/// The broker name of the range a message came from.
fn store_broker<'a>(ranges: &'a [(MessageQueue, i64, i64)], m: &StoredMessage) -> &'a str {
    ranges
        .iter()
        .find(|(mq, from, to)| {
            mq.topic == m.topic
                && mq.queue_id == m.queue_id
                && (*from..*to).contains(&m.queue_offset)
        })
        .map_or("", |(mq, _, _)| mq.broker_name.as_str())
}

/// The queues a consume covers: one (`-b` and `-i`), one broker's, or the whole topic's.
async fn pick_queues(
    admin: &Admin,
    topic: &str,
    broker: Option<&str>,
    queue_id: Option<i32>,
) -> CliResult<Vec<MessageQueue>> {
    let all = admin.topic_queues(topic).await?;
    let picked: Vec<MessageQueue> = all
        .into_iter()
        .filter(|q| {
            broker.is_none_or(|b| q.broker_name == b) && queue_id.is_none_or(|i| q.queue_id == i)
        })
        .collect();
    if picked.is_empty() {
        return Err(bad_arg(format!(
            "topic {topic} has no queue{}{}",
            broker
                .map(|b| format!(" on broker {b}"))
                .unwrap_or_default(),
            queue_id
                .map(|i| format!(" with id {i}"))
                .unwrap_or_default()
        )));
    }
    Ok(picked)
}

/// `(queue, from, to)` offsets to read: from `offset`, or the offset at `begin`, or the min;
/// to the offset at `end`, or the max.
async fn ranges(
    admin: &Admin,
    queues: &[MessageQueue],
    offset: Option<i64>,
    begin: Option<i64>,
    end: Option<i64>,
) -> CliResult<Vec<(MessageQueue, i64, i64)>> {
    let mut out = Vec::new();
    for q in queues {
        let from = match (offset, begin) {
            (Some(o), _) => o,
            (None, Some(b)) => admin.search_offset(q, b).await?,
            (None, None) => admin.min_offset(q).await?,
        };
        let to = match end {
            Some(e) => admin.search_offset(q, e).await?,
            None => admin.max_offset(q).await?,
        };
        out.push((q.clone(), from, to));
    }
    Ok(out)
}

/// Reads every range (up to `limit` messages), keeping those whose tag matches `tags`
/// (`A || B`), with progress on stderr.
async fn read_ranges(
    admin: &Admin,
    ranges: &[(MessageQueue, i64, i64)],
    limit: Option<u64>,
    what: &str,
    tags: Option<&str>,
) -> CliResult<Vec<StoredMessage>> {
    let total: u64 = ranges
        .iter()
        .map(|(_, f, t)| u64::try_from(t - f).unwrap_or(0))
        .sum();
    let total = limit.map_or(total, |l| total.min(l));
    let wanted: Option<Vec<&str>> = tags.map(|t| t.split("||").map(str::trim).collect());
    let mut progress = Progress::new(what, total);
    let mut out = Vec::new();
    let mut read = 0u64;
    'queues: for (mq, from, to) in ranges {
        let mut offset = *from;
        while offset < *to {
            if limit.is_some_and(|l| read >= l) {
                break 'queues;
            }
            let batch = admin.pull(mq, offset, 32).await?;
            if batch.messages.is_empty() || batch.next_offset <= offset {
                break;
            }
            for m in batch.messages {
                if m.queue_offset >= *to || limit.is_some_and(|l| read >= l) {
                    break;
                }
                read += 1;
                progress.inc(1);
                let keep = match &wanted {
                    Some(w) => m.tags().is_some_and(|t| w.contains(&t)),
                    None => true,
                };
                if keep {
                    out.push(m);
                }
            }
            offset = batch.next_offset;
        }
    }
    progress.finish();
    Ok(out)
}
