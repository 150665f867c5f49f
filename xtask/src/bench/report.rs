//! The comparison's output: a Markdown table (`report.md`) and a hand-written SVG bar chart
//! (`report.svg`) of TPS, p50/p99, client CPU per message and RSS. Pure text building; the
//! runs themselves are in `compare.rs`.

use std::fmt::Write as _;

use super::run::Figures;

/// One tool on one workload, with every round it ran (none when it did not run, with `note`
/// saying why).
#[derive(Debug, Clone)]
pub struct Row {
    /// `producer` or `consumer`.
    pub workload: String,
    /// The tool's name as shown.
    pub tool: String,
    /// Why it has no rounds, or a remark on them.
    pub note: String,
    /// The figures of each round in the order run (`None`: the round printed no report).
    pub rounds: Vec<Option<Figures>>,
}

/// The mean over rounds of one row.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    /// Rounds with figures.
    pub rounds: usize,
    /// Mean, smallest and largest round TPS.
    pub tps: (f64, f64, f64),
    /// Means of the rounds' latency figures, ms.
    pub avg_ms: Option<f64>,
    /// See [`Figures::p50_ms`].
    pub p50_ms: Option<f64>,
    /// See [`Figures::p99_ms`].
    pub p99_ms: Option<f64>,
    /// Largest over rounds.
    pub max_ms: Option<f64>,
    /// Mean client CPU per message, µs.
    pub cpu_us_per_msg: Option<f64>,
    /// Largest peak RSS, MiB.
    pub rss_mib: Option<f64>,
}

impl Row {
    /// The row's summary; `None` when no round produced figures.
    pub fn summary(&self) -> Option<Summary> {
        let rounds: Vec<&Figures> = self.rounds.iter().flatten().collect();
        if rounds.is_empty() {
            return None;
        }
        let mean = |f: fn(&Figures) -> Option<f64>| {
            let v: Vec<f64> = rounds.iter().filter_map(|r| f(r)).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        let tps: Vec<f64> = rounds.iter().map(|r| r.tps).collect();
        Some(Summary {
            rounds: rounds.len(),
            tps: (
                tps.iter().sum::<f64>() / tps.len() as f64,
                tps.iter().copied().fold(f64::INFINITY, f64::min),
                tps.iter().copied().fold(0.0, f64::max),
            ),
            avg_ms: mean(|r| r.avg_ms),
            p50_ms: mean(|r| r.p50_ms),
            p99_ms: mean(|r| r.p99_ms),
            max_ms: rounds.iter().filter_map(|r| r.max_ms).reduce(f64::max),
            cpu_us_per_msg: mean(|r| r.cpu_us_per_msg),
            rss_mib: rounds.iter().map(|r| r.rss_mib).reduce(f64::max),
        })
    }
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.digits$}"))
}

/// The Markdown report: `conditions` (already Markdown) then one table per workload.
pub fn markdown(conditions: &str, rows: &[Row]) -> String {
    let mut md = String::from("# rmq bench compare\n\n");
    md.push_str(conditions);
    md.push('\n');
    let mut workloads: Vec<&str> = rows.iter().map(|r| r.workload.as_str()).collect();
    workloads.dedup();
    for workload in workloads {
        let _ = write!(
            md,
            "\n## {workload}\n\n| tool | rounds | TPS mean (min–max) | avg RT ms | p50 ms | p99 ms | max ms | client CPU µs/msg | peak RSS MiB | note |\n|---|---|---|---|---|---|---|---|---|---|\n"
        );
        for row in rows.iter().filter(|r| r.workload == workload) {
            let note = row.note.replace('|', "\\|");
            match row.summary() {
                Some(s) => {
                    let _ = writeln!(
                        md,
                        "| {} | {}/{} | {:.0} ({:.0}–{:.0}) | {} | {} | {} | {} | {} | {} | {note} |",
                        row.tool,
                        s.rounds,
                        row.rounds.len(),
                        s.tps.0,
                        s.tps.1,
                        s.tps.2,
                        opt(s.avg_ms, 3),
                        opt(s.p50_ms, 3),
                        opt(s.p99_ms, 3),
                        opt(s.max_ms, 1),
                        opt(s.cpu_us_per_msg, 1),
                        opt(s.rss_mib, 1),
                    );
                }
                None => {
                    let _ = writeln!(
                        md,
                        "| {} | 0/{} | n/a | n/a | n/a | n/a | n/a | n/a | n/a | {note} |",
                        row.tool,
                        row.rounds.len()
                    );
                }
            }
        }
    }
    md
}

/// Escapes text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const WIDTH: f64 = 760.0;
const LABEL: f64 = 250.0;
const BAR: f64 = 400.0;
const ROW_H: f64 = 18.0;

/// The SVG chart: one panel per figure (TPS, p50, p99, CPU per message, RSS), one horizontal
/// bar per row with figures, each scaled to the panel's largest value. Rows without figures
/// are listed as "n/a".
pub fn svg(title: &str, rows: &[Row]) -> String {
    type Pick = fn(&Summary) -> Option<f64>;
    let panels: [(&str, Pick); 5] = [
        ("TPS (msgs/s, higher is better)", |s| Some(s.tps.0)),
        ("p50 latency, ms", |s| s.p50_ms),
        ("p99 latency, ms", |s| s.p99_ms),
        ("client CPU per message, µs", |s| s.cpu_us_per_msg),
        ("peak client RSS, MiB", |s| s.rss_mib),
    ];
    let summaries: Vec<(String, Option<Summary>)> = rows
        .iter()
        .map(|r| (format!("{} · {}", r.workload, r.tool), r.summary()))
        .collect();
    let panel_h = 24.0 + ROW_H * summaries.len() as f64 + 12.0;
    let height = 40.0 + panel_h * panels.len() as f64;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"10\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{}</text>\n",
        esc(title)
    );
    for (i, (name, pick)) in panels.iter().enumerate() {
        let top = 40.0 + panel_h * i as f64;
        let _ = writeln!(
            out,
            "<text x=\"10\" y=\"{:.1}\" font-weight=\"bold\">{}</text>",
            top + 16.0,
            esc(name)
        );
        let values: Vec<Option<f64>> = summaries
            .iter()
            .map(|(_, s)| {
                s.as_ref()
                    .and_then(pick)
                    .filter(|v| v.is_finite() && *v >= 0.0)
            })
            .collect();
        let max = values.iter().flatten().copied().fold(0.0, f64::max);
        for (j, ((label, _), value)) in summaries.iter().zip(&values).enumerate() {
            let y = top + 24.0 + ROW_H * j as f64;
            let _ = writeln!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                LABEL - 6.0,
                y + 12.0,
                esc(label)
            );
            match value {
                Some(v) => {
                    let w = if max > 0.0 { v / max * BAR } else { 0.0 };
                    let _ = writeln!(
                        out,
                        "<rect x=\"{LABEL}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\"/>\n<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                        y + 2.0,
                        ROW_H - 4.0,
                        colour(j),
                        LABEL + w + 4.0,
                        y + 12.0,
                        short(*v)
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "<text x=\"{LABEL}\" y=\"{:.1}\" fill=\"#888\">n/a</text>",
                        y + 12.0
                    );
                }
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

fn colour(i: usize) -> &'static str {
    [
        "#3465a4", "#cc0000", "#73d216", "#f57900", "#75507b", "#c4a000",
    ][i % 6]
}

/// A value with a precision that suits its size.
fn short(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(tps: f64, cpu: Option<f64>) -> Figures {
        Figures {
            samples: 3,
            tps,
            avg_ms: Some(2.0),
            p50_ms: Some(1.0),
            p99_ms: Some(4.0),
            max_ms: Some(9.0),
            cpu_us_per_msg: cpu,
            rss_mib: 30.0,
        }
    }

    fn rows() -> Vec<Row> {
        vec![
            Row {
                workload: "producer".into(),
                tool: "rmq".into(),
                note: String::new(),
                rounds: vec![
                    Some(figures(1000.0, Some(10.0))),
                    None,
                    Some(figures(3000.0, Some(20.0))),
                ],
            },
            Row {
                workload: "producer".into(),
                tool: "Java <4.9.7>".into(),
                note: "not configured (set JAVA_BENCH_PRODUCER)".into(),
                rounds: Vec::new(),
            },
        ]
    }

    #[test]
    fn summary_averages_rounds_with_figures() {
        let s = rows()[0].summary().expect("summary");
        assert_eq!(s.rounds, 2);
        assert_eq!(s.tps, (2000.0, 1000.0, 3000.0));
        assert_eq!(s.cpu_us_per_msg, Some(15.0));
        assert_eq!(s.max_ms, Some(9.0));
        assert_eq!(rows()[1].summary(), None);
    }

    #[test]
    fn markdown_has_one_line_per_tool_and_says_why_one_did_not_run() {
        let md = markdown("conditions here\n", &rows());
        assert!(md.contains("## producer"), "{md}");
        assert!(
            md.contains(
                "| rmq | 2/3 | 2000 (1000–3000) | 2.000 | 1.000 | 4.000 | 9.0 | 15.0 | 30.0 |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| Java <4.9.7> | 0/0 | n/a |") && md.contains("not configured"),
            "{md}"
        );
    }

    #[test]
    fn svg_scales_bars_to_the_largest_value_and_escapes_text() {
        let mut rows = rows();
        rows.push(Row {
            workload: "producer".into(),
            tool: "half".into(),
            note: String::new(),
            rounds: vec![Some(figures(1000.0, None))],
        });
        let svg = svg("a & b", &rows);
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("a &amp; b") && svg.contains("Java &lt;4.9.7&gt;"));
        // TPS panel: 2000 is the largest (full width), 1000 half of it.
        assert!(svg.contains(&format!("width=\"{BAR:.1}\"")), "{svg}");
        assert!(
            svg.contains(&format!("width=\"{:.1}\"", BAR / 2.0)),
            "{svg}"
        );
        // No CPU figure for `half`, no figures at all for Java: shown as n/a, never NaN.
        assert!(svg.contains(">n/a<"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        assert_eq!(svg.matches("<svg").count(), 1);
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    }

    #[test]
    fn svg_without_any_figures_draws_no_bars() {
        let svg = svg("empty", &rows()[1..]);
        assert!(!svg.contains("<rect x="), "{svg}");
    }
}
