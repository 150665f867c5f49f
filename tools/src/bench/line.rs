//! The report lines of the benchmark tools: Java 4.9.7's periodic and `[Complete]` lines with
//! the same labels in the same order, then our percentiles. `cargo xtask bench compare` reads
//! both ours and Java's (`xtask/src/bench/parse.rs`), so a label changed here changes there.
//!
//! ```text
//! producer  Current Time: 2026-12-07 11:43:48,123 Send TPS: 812 Max RT(ms): 9.125 Average RT(ms):   1.250 Send Failed: 0 Response Failed: 0 p50 RT(ms): 1.000 p99 RT(ms): 4.200
//! consumer  Current Time: 1765107828123 TPS: 800 FAIL: 0 AVG(B2C) RT(ms):   1.000 AVG(S2C) RT(ms):   0.500 MAX(B2C) RT(ms): 7 MAX(S2C) RT(ms): 6 p50(B2C) RT(ms): 1 p99(B2C) RT(ms): 3
//! ```
//! Java prints the producer's max RT in whole milliseconds; ours has microseconds, so it keeps
//! three decimals. Consumer latencies come from millisecond timestamps and stay whole.

use super::latency::Summary;

/// One producer report: figures over an interval (or the whole run, for `[Complete]`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ProducerReport {
    /// Messages stored per second.
    pub send_tps: f64,
    /// Latencies of the successful sends.
    pub latency: Summary,
    /// Sends that failed before a broker answered, since the start (Java counts them so).
    pub send_failed: u64,
    /// Sends a broker refused, since the start.
    pub response_failed: u64,
}

/// Java's periodic producer line at `now` (Java's `yyyy-MM-dd HH:mm:ss,SSS`), plus p50/p99.
///
/// ```
/// use rmq_tools::bench::line::{producer_line, ProducerReport};
///
/// let line = producer_line("2026-12-07 11:43:48,123", &ProducerReport::default());
/// assert!(line.starts_with("Current Time: 2026-12-07 11:43:48,123 Send TPS: 0 Max RT(ms):"));
/// ```
pub fn producer_line(now: &str, r: &ProducerReport) -> String {
    format!("Current Time: {now} {}", producer_figures(r))
}

/// Java's `[Complete]` producer line: `total` sends (stored and failed), then the run's figures.
pub fn producer_complete_line(total: u64, r: &ProducerReport) -> String {
    format!("[Complete] Send Total: {total} {}", producer_figures(r))
}

fn producer_figures(r: &ProducerReport) -> String {
    let l = &r.latency;
    format!(
        "Send TPS: {:.0} Max RT(ms): {:.3} Average RT(ms): {:7.3} Send Failed: {} Response Failed: {} p50 RT(ms): {:.3} p99 RT(ms): {:.3}",
        r.send_tps, l.max_ms, l.mean_ms, r.send_failed, r.response_failed, l.p50_ms, l.p99_ms
    )
}

/// One consumer report over an interval.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ConsumerReport {
    /// Messages consumed per second.
    pub tps: f64,
    /// Messages the listener failed in the interval (Java's `FAIL`).
    pub failed: u64,
    /// Born-to-consume latencies.
    pub b2c: Summary,
    /// Store-to-consume latencies.
    pub s2c: Summary,
}

/// Java's periodic consumer line at `now_millis` (Java prints the epoch milliseconds), plus
/// the B2C p50/p99.
///
/// ```
/// use rmq_tools::bench::line::{consumer_line, ConsumerReport};
///
/// let line = consumer_line(1_765_107_828_123, &ConsumerReport::default());
/// assert!(line.starts_with("Current Time: 1765107828123 TPS: 0 FAIL: 0 AVG(B2C) RT(ms):"));
/// ```
pub fn consumer_line(now_millis: u128, r: &ConsumerReport) -> String {
    format!(
        "Current Time: {now_millis} TPS: {:.0} FAIL: {} AVG(B2C) RT(ms): {:7.3} AVG(S2C) RT(ms): {:7.3} MAX(B2C) RT(ms): {:.0} MAX(S2C) RT(ms): {:.0} p50(B2C) RT(ms): {:.0} p99(B2C) RT(ms): {:.0}",
        r.tps,
        r.failed,
        r.b2c.mean_ms,
        r.s2c.mean_ms,
        r.b2c.max_ms,
        r.s2c.max_ms,
        r.b2c.p50_ms,
        r.b2c.p99_ms
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(mean: f64, max: f64, p50: f64, p99: f64) -> Summary {
        Summary {
            count: 10,
            mean_ms: mean,
            max_ms: max,
            p50_ms: p50,
            p99_ms: p99,
        }
    }

    #[test]
    fn producer_line_has_java_labels_in_java_order_then_percentiles() {
        let r = ProducerReport {
            send_tps: 812.4,
            latency: summary(1.25, 9.125, 1.0, 4.2),
            send_failed: 2,
            response_failed: 1,
        };
        assert_eq!(
            producer_line("2026-12-07 11:43:48,123", &r),
            "Current Time: 2026-12-07 11:43:48,123 Send TPS: 812 Max RT(ms): 9.125 Average RT(ms):   1.250 Send Failed: 2 Response Failed: 1 p50 RT(ms): 1.000 p99 RT(ms): 4.200"
        );
        assert_eq!(
            producer_complete_line(1003, &r),
            "[Complete] Send Total: 1003 Send TPS: 812 Max RT(ms): 9.125 Average RT(ms):   1.250 Send Failed: 2 Response Failed: 1 p50 RT(ms): 1.000 p99 RT(ms): 4.200"
        );
    }

    #[test]
    fn consumer_line_has_java_labels_in_java_order_then_percentiles() {
        let r = ConsumerReport {
            tps: 4411.0,
            failed: 3,
            b2c: summary(4.017, 52.0, 3.0, 11.0),
            s2c: summary(3.002, 51.0, 2.0, 10.0),
        };
        assert_eq!(
            consumer_line(1_700_000_000_000, &r),
            "Current Time: 1700000000000 TPS: 4411 FAIL: 3 AVG(B2C) RT(ms):   4.017 AVG(S2C) RT(ms):   3.002 MAX(B2C) RT(ms): 52 MAX(S2C) RT(ms): 51 p50(B2C) RT(ms): 3 p99(B2C) RT(ms): 11"
        );
    }
}
