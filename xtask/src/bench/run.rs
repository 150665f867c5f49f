//! Running one benchmark tool for one round: its own process group, its stdout lines with the
//! time each arrived, and samples of the client's CPU time (`/proc/<pid>/stat` utime + stime)
//! and resident memory (`/proc/<pid>/status` VmRSS) summed over the tool's process tree (a
//! Java tool is usually a shell script that starts `java`). It does not judge the figures:
//! `figures` turns a finished run into one row.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::parse::{parse_line, Sample};

/// What one run produced.
#[derive(Debug, Default)]
pub struct Run {
    /// Seconds since start, and the line.
    pub lines: Vec<(f64, String)>,
    /// Seconds since start, and the tree's CPU time in clock ticks.
    pub cpu: Vec<(f64, u64)>,
    /// Largest summed VmRSS seen, KiB.
    pub peak_rss_kib: u64,
    /// How the process ended (`exit status: 0`, `stopped after 30 s`).
    pub ended: String,
}

/// Starts `cmd` in its own process group with stdout piped and stderr appended to `log`,
/// samples it every 250 ms, and stops the group (SIGTERM, then SIGKILL 5 s later) once
/// `stop_after` has passed. Returns when the tool has exited.
pub fn run(mut cmd: Command, stop_after: Duration, log: &Path) -> Result<Run> {
    let stderr = std::fs::File::create(log).with_context(|| format!("create {}", log.display()))?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .process_group(0);
    let shown = crate::show(&cmd);
    eprintln!("$ {shown}");
    let mut child = cmd.spawn().with_context(|| format!("cannot run {shown}"))?;
    let pid = child.id();
    let started = Instant::now();
    let (tx, rx) = mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
                if tx.send((started.elapsed().as_secs_f64(), line)).is_err() {
                    return;
                }
            }
        });
    }
    let mut out = Run::default();
    let mut term_sent: Option<Instant> = None;
    let status = loop {
        let now = started.elapsed().as_secs_f64();
        let tree = proc_tree(pid);
        out.cpu
            .push((now, tree.iter().filter_map(|&p| cpu_ticks(p)).sum()));
        let rss: u64 = tree.iter().filter_map(|&p| rss_kib(p)).sum();
        out.peak_rss_kib = out.peak_rss_kib.max(rss);
        if let Some(status) = child.try_wait().context("waiting for the tool")? {
            break status;
        }
        match term_sent {
            None if started.elapsed() >= stop_after => {
                signal_group(pid, "TERM");
                term_sent = Some(Instant::now());
            }
            Some(at) if at.elapsed() >= Duration::from_secs(5) => {
                signal_group(pid, "KILL");
            }
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    // The reader ends at EOF; a grandchild holding stdout open must not hang the run.
    let drain_until = Instant::now() + Duration::from_secs(2);
    while let Some(left) = drain_until.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) => out.lines.push(line),
            Err(_) => break,
        }
    }
    out.ended = match term_sent {
        Some(_) => format!("stopped after {} s", stop_after.as_secs()),
        None => status.to_string(),
    };
    std::fs::write(
        log.with_extension("out"),
        out.lines
            .iter()
            .map(|(t, l)| format!("{t:8.3} {l}\n"))
            .collect::<String>(),
    )
    .with_context(|| format!("write {}", log.with_extension("out").display()))?;
    Ok(out)
}

/// Sends `SIG<name>` to the process group we created for the tool (its leader is `pid`).
fn signal_group(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .args([format!("-{name}"), "--".into(), format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
}

/// `root` and every live descendant of it.
fn proc_tree(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            if let Some((ppid, _)) = parse_stat(&stat) {
                parents.push((pid, ppid));
            }
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while let Some(&p) = tree.get(i) {
        tree.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    tree
}

fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat).map(|(_, ticks)| ticks)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vmrss(&status)
}

/// `(ppid, utime + stime)` from a `/proc/<pid>/stat` line. The command name (field 2) may hold
/// spaces and parentheses, so fields are counted from the last `)`.
pub fn parse_stat(stat: &str) -> Option<(u32, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state(3) ppid(4) ... utime(14) stime(15).
    let ppid = fields.get(1)?.parse().ok()?;
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((ppid, utime.saturating_add(stime)))
}

/// `VmRSS` in KiB from `/proc/<pid>/status` (absent for zombies and kernel threads).
pub fn parse_vmrss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux when it cannot be asked).
pub fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// One round's figures.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Figures {
    /// Report lines parsed.
    pub samples: usize,
    /// Messages per second between the first and the last report line (the one line's figure
    /// when there is only one).
    pub tps: f64,
    /// Mean over the report lines (the first left out when there are more) of each latency
    /// figure present, ms.
    pub avg_ms: Option<f64>,
    /// Mean of the per-interval medians.
    pub p50_ms: Option<f64>,
    /// Mean of the per-interval 99th percentiles.
    pub p99_ms: Option<f64>,
    /// Largest latency reported (the first line left out when there are more).
    pub max_ms: Option<f64>,
    /// Client CPU per message between the first and the last report line (needs two lines).
    pub cpu_us_per_msg: Option<f64>,
    /// Peak resident memory, MiB.
    pub rss_mib: f64,
}

/// Turns a run into figures; `None` when the tool printed no report line. Startup (JVM
/// warm-up, route lookup) is outside the measured window: it starts at the first report line.
pub fn figures(run: &Run, clock_ticks: u64) -> Option<Figures> {
    let samples: Vec<(f64, Sample)> = run
        .lines
        .iter()
        .filter_map(|(t, l)| parse_line(l).map(|s| (*t, s)))
        .collect();
    let (&(t0, first), &(t1, _)) = (samples.first()?, samples.last()?);
    // Latencies, like TPS, leave out the first interval when there is a later one: it holds
    // the warm-up (and, for a consumer, the backlog sent before it started).
    let steady = if samples.len() >= 2 {
        &samples[1..]
    } else {
        &samples[..]
    };
    let mean = |f: fn(&Sample) -> Option<f64>| {
        let v: Vec<f64> = steady.iter().filter_map(|(_, s)| f(s)).collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let mut figures = Figures {
        samples: samples.len(),
        tps: first.tps,
        avg_ms: mean(|s| s.avg_ms),
        p50_ms: mean(|s| s.p50_ms),
        p99_ms: mean(|s| s.p99_ms),
        max_ms: steady.iter().filter_map(|(_, s)| s.max_ms).reduce(f64::max),
        cpu_us_per_msg: None,
        rss_mib: run.peak_rss_kib as f64 / 1024.0,
    };
    let msgs: f64 = samples
        .windows(2)
        .map(|w| w[1].1.tps * (w[1].0 - w[0].0))
        .sum();
    if samples.len() >= 2 && t1 > t0 {
        figures.tps = msgs / (t1 - t0);
        let cpu = ticks_at(&run.cpu, t1).saturating_sub(ticks_at(&run.cpu, t0));
        if msgs >= 1.0 && clock_ticks > 0 {
            figures.cpu_us_per_msg = Some(cpu as f64 / clock_ticks as f64 * 1e6 / msgs);
        }
    }
    Some(figures)
}

/// The CPU ticks of the sample nearest to `t` (samples are 250 ms apart).
fn ticks_at(cpu: &[(f64, u64)], t: f64) -> u64 {
    cpu.iter()
        .min_by(|a, b| (a.0 - t).abs().total_cmp(&(b.0 - t).abs()))
        .map_or(0, |&(_, ticks)| ticks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let stat = "4242 (java (main) x) S 4200 4242 4200 0 -1 4194560 100 0 0 0 730 120 0 0 20 0 30 0 5000 1000 200";
        assert_eq!(parse_stat(stat), Some((4200, 850)));
        assert_eq!(parse_stat("4242 (sh) S"), None);
        assert_eq!(parse_stat("no parenthesis"), None);
    }

    #[test]
    fn vmrss_is_read_in_kib() {
        let status = "Name:\tjava\nVmPeak:\t  900 kB\nVmRSS:\t  123456 kB\nThreads:\t40\n";
        assert_eq!(parse_vmrss(status), Some(123_456));
        assert_eq!(parse_vmrss("Name:\tkthreadd\n"), None);
    }

    fn line(t: f64, tps: u32) -> (f64, String) {
        (
            t,
            format!("Send TPS: {tps} Max RT(ms): 8 Average RT(ms): 2.0 p50 RT(ms): 1.0 p99 RT(ms): 5.0 Send Failed: 0 Response Failed: 0"),
        )
    }

    /// A warm-up interval: slow, with large latencies.
    fn warm_up(t: f64) -> (f64, String) {
        (
            t,
            "Send TPS: 50 Max RT(ms): 900 Average RT(ms): 90 p50 RT(ms): 80 p99 RT(ms): 800".into(),
        )
    }

    #[test]
    fn figures_measure_between_the_first_and_last_report_leaving_out_warm_up() {
        let run = Run {
            lines: vec![
                (0.1, "topic: BenchmarkTest".into()),
                warm_up(1.0),
                line(2.0, 1000),
                line(3.0, 3000),
                (3.5, "[Complete] Send Total: 4050 Send TPS: 1350".into()),
            ],
            // 100 ticks per second: 0.5 s of CPU between t=1 and t=3.
            cpu: vec![(0.0, 0), (1.0, 40), (2.0, 60), (3.0, 90)],
            peak_rss_kib: 20 * 1024,
            ended: "exit status: 0".into(),
        };
        let f = figures(&run, 100).expect("figures");
        assert_eq!(f.samples, 3);
        // 4000 messages in the 2 s after the first line.
        assert_eq!(f.tps, 2000.0);
        assert_eq!(f.cpu_us_per_msg, Some(0.5e6 / 4000.0));
        assert_eq!(
            (f.avg_ms, f.p50_ms, f.p99_ms),
            (Some(2.0), Some(1.0), Some(5.0))
        );
        assert_eq!(f.max_ms, Some(8.0));
        assert_eq!(f.rss_mib, 20.0);
    }

    #[test]
    fn one_report_gives_its_tps_and_no_cpu_figure() {
        let run = Run {
            lines: vec![line(10.0, 700)],
            cpu: vec![(0.0, 0), (10.0, 500)],
            ..Run::default()
        };
        let f = figures(&run, 100).expect("figures");
        assert_eq!(f.tps, 700.0);
        assert_eq!(f.cpu_us_per_msg, None);
    }

    #[test]
    fn no_report_line_means_no_figures() {
        let run = Run {
            lines: vec![(1.0, "consumer started".into())],
            ..Run::default()
        };
        assert_eq!(figures(&run, 100), None);
    }

    #[test]
    fn a_tool_is_stopped_after_its_time_and_its_lines_kept() {
        let dir = std::env::temp_dir().join(format!("rmq-bench-run-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo 'Send TPS: 5'; exec sleep 30"]);
        let started = Instant::now();
        let run = run(cmd, Duration::from_millis(300), &dir.join("t.log")).expect("runs");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(run.lines.len(), 1);
        assert!(run.ended.starts_with("stopped"), "{}", run.ended);
        assert!(run.peak_rss_kib > 0);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
