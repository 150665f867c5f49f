//! `queryMsgTraceById`: the trace records of one message in mqadmin's layout (Java
//! `QueryMsgTraceByIdSubCommand`): each Pub record under its own header, then the SubAfter
//! records grouped by consumer group.

use chrono::{Local, LocalResult, TimeZone};
use rmq_client_admin::TraceView;
use rmq_protocol::trace::TraceType;
use serde_json::json;
use std::time::UNIX_EPOCH;

use crate::{CliResult, Output};

/// Prints `views` as mqadmin does and sets the JSON output to every record.
pub fn print_traces(out: &mut Output, views: &[TraceView]) -> CliResult<()> {
    let header = |out: &mut Output, group_column: &str, time_column: &str| {
        out.line(row(
            "#Type",
            group_column,
            "#ClientHost",
            time_column,
            "#CostTimes",
            "#Status",
        ));
    };
    // Consumer groups in the order they first appear (Java uses a HashMap: any order).
    let mut groups: Vec<(&str, Vec<&TraceView>)> = Vec::new();
    for view in views {
        match view.kind {
            TraceType::Pub => {
                header(out, "#ProducerGroup", "#SendTime");
                out.line(line_of("Pub", view));
                out.line("");
            }
            TraceType::SubAfter => match groups.iter_mut().find(|(g, _)| *g == view.group) {
                Some((_, list)) => list.push(view),
                None => groups.push((view.group.as_str(), vec![view])),
            },
            _ => {}
        }
    }
    for (_, list) in &groups {
        header(out, "#ConsumerGroup", "#ConsumerTime");
        for view in list {
            out.line(line_of("Sub", view));
        }
        out.line("");
    }
    out.json(&views.iter().map(json_of).collect::<Vec<_>>())
}

/// Java's `%-10s %-20s %-20s %-20s %-10s %-10s`.
fn row(a: &str, b: &str, c: &str, d: &str, e: &str, f: &str) -> String {
    format!("{a:<10} {b:<20} {c:<20} {d:<20} {e:<10} {f:<10}")
}

fn line_of(kind: &str, view: &TraceView) -> String {
    row(
        kind,
        &view.group,
        &view.client_host,
        &time_text(view),
        &format!("{}ms", view.cost.as_millis()),
        status(view),
    )
}

fn status(view: &TraceView) -> &'static str {
    if view.success {
        "success"
    } else {
        "failed"
    }
}

fn epoch_ms(view: &TraceView) -> i64 {
    view.time
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `yyyy-MM-dd HH:mm:ss` in local time (Java `DateFormatUtils.format`); a record without a
/// time prints the epoch, as Java's zero timestamp does.
fn time_text(view: &TraceView) -> String {
    let ms = epoch_ms(view);
    match Local.timestamp_millis_opt(ms) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
            t.format("%Y-%m-%d %H:%M:%S").to_string()
        }
        LocalResult::None => ms.to_string(),
    }
}

fn json_of(view: &TraceView) -> serde_json::Value {
    json!({
        "type": view.kind.as_str(),
        "group": view.group,
        "clientHost": view.client_host,
        "timeStamp": epoch_ms(view),
        "costTime": u64::try_from(view.cost.as_millis()).unwrap_or(u64::MAX),
        "status": status(view),
        "topic": view.topic,
        "msgId": view.msg_id,
        "offsetMsgId": view.offset_msg_id,
        "tags": view.tags,
        "keys": view.keys,
        "storeHost": view.store_host,
    })
}
