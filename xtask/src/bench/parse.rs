//! Reading the periodic report lines of the benchmark tools: ours (`rmq-bench-producer`,
//! `rmq-bench-consumer`) and Java's 4.9.7 `org.apache.rocketmq.example.benchmark.Producer` /
//! `Consumer`. Pure functions over text; the process handling is in `run.rs`.
//!
//! ```text
//! ours      Current Time: 2026-12-07 11:43:48,123 Send TPS: 812 Max RT(ms): 9.125 Average RT(ms):   1.234 Send Failed: 0 Response Failed: 0 p50 RT(ms): 1.000 p99 RT(ms): 4.200
//! Java      Current Time: 2026-12-07 11:43:48,123 Send TPS: 812 Max RT(ms): 9 Average RT(ms):   1.234 Send Failed: 0 Response Failed: 0
//! ours      Current Time: 1700000000000 TPS: 800 FAIL: 0 AVG(B2C) RT(ms):   1.000 AVG(S2C) RT(ms): ... MAX(B2C) RT(ms): 7 MAX(S2C) RT(ms): 7 p50(B2C) RT(ms): 1 p99(B2C) RT(ms): 3
//! Java      Current Time: 1700000000000 TPS: 800 FAIL: 0 AVG(B2C) RT(ms):   1.0 AVG(S2C) RT(ms): ... MAX(B2C) RT(ms): 7 MAX(S2C) RT(ms): 7
//! Java 5.x  Current Time: 2026-12-07 11:43:48,123 | Consume TPS: 800 | AVG(B2C) RT(ms):   1.0 | ...
//! ```
//! Our lines are Java 4.9.7's with the percentiles appended (`tools/src/bench/line.rs`).
//! Summary lines (`[Complete] ...`) and anything without a TPS figure are not samples. Java's
//! tools print no percentiles; those stay `None`. Consumer latencies are born-to-consume (B2C).

/// One periodic report line: throughput over the tool's interval and its latencies.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sample {
    /// Messages per second over the interval.
    pub tps: f64,
    /// Mean latency, ms.
    pub avg_ms: Option<f64>,
    /// Median latency, ms (ours only).
    pub p50_ms: Option<f64>,
    /// 99th percentile latency, ms (ours only).
    pub p99_ms: Option<f64>,
    /// Largest latency, ms.
    pub max_ms: Option<f64>,
}

/// Labels tried in order for each figure; the first present wins.
const TPS: &[&str] = &["Consume TPS:", "Send TPS:", "TPS:"];
const AVG: &[&str] = &["Average RT(ms):", "AVG(B2C) RT(ms):"];
const P50: &[&str] = &["p50 RT(ms):", "p50(B2C) RT(ms):"];
const P99: &[&str] = &["p99 RT(ms):", "p99(B2C) RT(ms):"];
const MAX: &[&str] = &["Max RT(ms):", "MAX(B2C) RT(ms):"];

/// The sample a report line holds, or `None` for any other line (banners, summaries, logs).
pub fn parse_line(line: &str) -> Option<Sample> {
    let line = line.trim();
    if line.starts_with("[Complete]") {
        return None;
    }
    let tps = first(line, TPS)?;
    Some(Sample {
        tps,
        avg_ms: first(line, AVG),
        p50_ms: first(line, P50),
        p99_ms: first(line, P99),
        max_ms: first(line, MAX),
    })
}

fn first(line: &str, labels: &[&str]) -> Option<f64> {
    labels.iter().find_map(|label| number_after(line, label))
}

/// The number following `label` (after spaces), if the label occurs as a word of its own.
fn number_after(line: &str, label: &str) -> Option<f64> {
    let mut from = 0;
    while let Some(at) = line.get(from..)?.find(label) {
        let start = from + at;
        // `TPS:` must not match inside `Send TPS:`: the label starts the line or follows a space.
        let own_word = start == 0 || line[..start].ends_with(' ');
        let rest = line[start + label.len()..].trim_start();
        let token: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+'))
            .collect();
        if own_word {
            if let Ok(v) = token.parse::<f64>() {
                if v.is_finite() {
                    return Some(v);
                }
            }
        }
        from = start + label.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_our_producer_line() {
        let s = parse_line(
            "Current Time: 2026-12-07 11:43:48,123 Send TPS: 812 Max RT(ms): 9.125 Average RT(ms):   1.250 Send Failed: 0 Response Failed: 0 p50 RT(ms): 1.000 p99 RT(ms): 4.200",
        )
        .expect("a sample");
        assert_eq!(
            s,
            Sample {
                tps: 812.0,
                avg_ms: Some(1.25),
                p50_ms: Some(1.0),
                p99_ms: Some(4.2),
                max_ms: Some(9.125),
            }
        );
    }

    #[test]
    fn reads_java_producer_line_without_percentiles() {
        let s = parse_line(
            "Current Time: 1700000000000 Send TPS: 20417 Max RT(ms): 212 Average RT(ms):   3.126 Send Failed: 0 Response Failed: 0",
        )
        .expect("a sample");
        assert_eq!(s.tps, 20417.0);
        assert_eq!(s.avg_ms, Some(3.126));
        assert_eq!(s.max_ms, Some(212.0));
        assert_eq!((s.p50_ms, s.p99_ms), (None, None));
    }

    #[test]
    fn reads_our_consumer_line_as_b2c() {
        let s = parse_line(
            "Current Time: 1700000000000 TPS: 900 FAIL: 0 AVG(B2C) RT(ms):   2.500 AVG(S2C) RT(ms):   1.000 MAX(B2C) RT(ms): 17 MAX(S2C) RT(ms): 9 p50(B2C) RT(ms): 2 p99(B2C) RT(ms): 11",
        )
        .expect("a sample");
        assert_eq!(s.tps, 900.0);
        assert_eq!(s.avg_ms, Some(2.5));
        assert_eq!(s.max_ms, Some(17.0));
        assert_eq!((s.p50_ms, s.p99_ms), (Some(2.0), Some(11.0)));
    }

    #[test]
    fn reads_java_consumer_line() {
        let s = parse_line(
            "Current Time: 1700000000000 TPS: 4411 FAIL: 0 AVG(B2C) RT(ms):   4.017 AVG(S2C) RT(ms):   3.002 MAX(B2C) RT(ms): 52 MAX(S2C) RT(ms): 51",
        )
        .expect("a sample");
        assert_eq!(s.tps, 4411.0);
        assert_eq!(s.avg_ms, Some(4.017));
        assert_eq!(s.max_ms, Some(52.0));
        assert_eq!(s.p99_ms, None);
    }

    #[test]
    fn reads_java5_lines_with_bars() {
        let s = parse_line(
            "Current Time: 2026-12-07 11:43:48,123 | Consume TPS: 700 | AVG(B2C) RT(ms):   1.500 | AVG(S2C) RT(ms):   1.000 | MAX(B2C) RT(ms): 9 | MAX(S2C) RT(ms): 8 | Consume Fail: 0",
        )
        .expect("a sample");
        assert_eq!((s.tps, s.avg_ms, s.max_ms), (700.0, Some(1.5), Some(9.0)));
    }

    #[test]
    fn summaries_banners_and_garbage_are_not_samples() {
        for line in [
            "[Complete] Send Total: 10 Send TPS: 5 Max RT(ms): 1 Average RT(ms): 1 Send Failed: 0 Response Failed: 0",
            "[Complete] Send Total: 10 Send TPS: 5 Max RT(ms): 1.000 Average RT(ms):   1.000 Send Failed: 0 Response Failed: 0 p50 RT(ms): 1.000 p99 RT(ms): 1.000",
            "Consumer Started.",
            "topic: BenchmarkTest, threadCount 20, group: g, suffix: false, filterType: null, expression: null, msgTraceEnable: false, aclEnable: false",
            "topic: BenchmarkTest threadCount: 64 messageSize: 128",
            "Send TPS: fast",
            "XTPS: 5",
            "",
        ] {
            assert_eq!(parse_line(line), None, "{line}");
        }
    }

    #[test]
    fn a_missing_figure_stays_none() {
        let s = parse_line("Send TPS: 10").expect("a sample");
        assert_eq!(s.tps, 10.0);
        assert_eq!(s.avg_ms, None);
    }
}
