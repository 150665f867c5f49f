//! `cargo xtask bench compare`: our benchmark tools and, where configured, Java's
//! (`JAVA_BENCH_PRODUCER` / `JAVA_BENCH_CONSUMER`), alternated A B A B on one broker and one
//! topic, written to `<target>/bench-report/report.md` and `report.svg`. With `--sink` it adds
//! our producer's sink one-shot; with `--peer` it tries to install the other Rust client from
//! crates.io and says what came of it. It never quotes figures as good or bad: BENCHMARKS.md
//! does, with the conditions this report records.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::report::{self, Row};
use super::run::{self, clock_ticks, figures};

const HELP: &str = "\
usage: cargo xtask bench compare [OPTIONS]

  --namesrv ADDR     broker cluster to use (default: an embedded rmq-testkit, started and stopped here)
  --rounds N         A B rounds per tool (default 3)
  --secs D           seconds per round (default 30; the consumers report every 10 s)
  --topic T          producer topic (default BenchmarkTest; consumer rounds use T_c<round>_<tool>)
  --threads W        producer threads, Java's -w (default 64)
  --size S           body size in bytes, Java's -s (default 128)
  --only producer|consumer
  --feed-threads W   threads of the producer that feeds consumer rounds (default 8)
  --sink             also run the producer sink one-shot (examples/sink_bench.rs, --secs 3)
  --peer             try `cargo install rocketmq-client-rust` into <target>/bench-peer
Java tools: JAVA_BENCH_PRODUCER / JAVA_BENCH_CONSUMER hold the command that starts
org.apache.rocketmq.example.benchmark.Producer / Consumer; -n -t -w -s (-g) are appended.
";

/// The peer client on crates.io.
const PEER_CRATE: &str = "rocketmq-client-rust";

/// Parsed command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// `None`: start an embedded testkit.
    pub namesrv: Option<String>,
    /// Rounds per tool.
    pub rounds: usize,
    /// Seconds per round.
    pub secs: u64,
    /// Producer topic.
    pub topic: String,
    /// Producer threads (`-w`).
    pub threads: usize,
    /// Body size (`-s`).
    pub size: usize,
    /// Run the producer comparison.
    pub producer: bool,
    /// Run the consumer comparison.
    pub consumer: bool,
    /// Threads of the feeding producer in consumer rounds.
    pub feed_threads: usize,
    /// Add the sink one-shot.
    pub sink: bool,
    /// Try the peer client.
    pub peer: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            namesrv: None,
            rounds: 3,
            secs: 30,
            topic: "BenchmarkTest".into(),
            threads: 64,
            size: 128,
            producer: true,
            consumer: true,
            feed_threads: 8,
            sink: false,
            peer: false,
        }
    }
}

/// Parses `compare`'s options; `Ok(None)` for `--help`.
pub fn parse_options(args: &[String]) -> Result<Option<Options>> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .with_context(|| format!("{name} needs a value\n{HELP}"))
        };
        match arg.as_str() {
            "--namesrv" => o.namesrv = Some(value("--namesrv")?),
            "--rounds" => o.rounds = number(&value("--rounds")?, "--rounds", 1, 100)?,
            "--secs" => o.secs = number(&value("--secs")?, "--secs", 1, 3600)? as u64,
            "--topic" => o.topic = value("--topic")?,
            "--threads" => o.threads = number(&value("--threads")?, "--threads", 1, 4096)?,
            "--size" => o.size = number(&value("--size")?, "--size", 1, 4 << 20)?,
            "--feed-threads" => {
                o.feed_threads = number(&value("--feed-threads")?, "--feed-threads", 1, 4096)?
            }
            "--only" => match value("--only")?.as_str() {
                "producer" => o.consumer = false,
                "consumer" => o.producer = false,
                other => bail!("--only takes producer or consumer, not `{other}`"),
            },
            "--sink" => o.sink = true,
            "--peer" => o.peer = true,
            "-h" | "--help" => return Ok(None),
            other => bail!("unknown option `{other}`\n{HELP}"),
        }
    }
    if o.topic.is_empty() || o.topic.len() > 127 {
        bail!("--topic must be 1 to 127 characters");
    }
    Ok(Some(o))
}

fn number(s: &str, name: &str, min: usize, max: usize) -> Result<usize> {
    let n: usize = s
        .parse()
        .with_context(|| format!("{name} takes a number, not `{s}`"))?;
    if !(min..=max).contains(&n) {
        bail!("{name} must be between {min} and {max}");
    }
    Ok(n)
}

/// Entry point of `cargo xtask bench compare`.
pub fn run(args: &[String]) -> Result<()> {
    let Some(o) = parse_options(args)? else {
        print!("{HELP}");
        return Ok(());
    };
    let bins = build()?;
    let out = super::target_dir()?.join("bench-report");
    let logs = out.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("create {}", logs.display()))?;
    let load_before = loadavg();
    let started = now_utc();
    let broker = match &o.namesrv {
        Some(addr) => Broker::External(addr.clone()),
        None => Broker::embedded(&bins.testkit)?,
    };
    let namesrv = broker.addr().to_owned();
    let ticks = clock_ticks();
    let mut rows = Vec::new();
    if o.producer {
        rows.extend(producer_rows(&o, &bins, &namesrv, &logs, ticks)?);
    }
    if o.consumer {
        rows.extend(consumer_rows(&o, &bins, &namesrv, &logs, ticks)?);
    }
    drop(broker);
    let mut extra = String::new();
    if o.sink {
        extra.push_str(&sink_section()?);
    }
    extra.push_str(&peer_section(o.peer)?);
    let conditions = conditions(&o, &namesrv, &started, &load_before, args);
    let md = report::markdown(&conditions, &rows) + &extra;
    let svg = report::svg(
        &format!(
            "rmq bench compare: {} rounds × {} s, {} threads, {} B",
            o.rounds, o.secs, o.threads, o.size
        ),
        &rows,
    );
    std::fs::write(out.join("report.md"), &md).context("write report.md")?;
    std::fs::write(out.join("report.svg"), svg).context("write report.svg")?;
    println!("{md}");
    println!(
        "wrote {} and {} (tool output in {})",
        out.join("report.md").display(),
        out.join("report.svg").display(),
        logs.display()
    );
    Ok(())
}

/// Our tools, built with the bench profile.
struct Bins {
    producer: PathBuf,
    consumer: PathBuf,
    testkit: PathBuf,
}

fn build() -> Result<Bins> {
    let mut cmd = crate::cargo();
    cmd.args([
        "build",
        "--profile",
        "bench",
        "--message-format",
        "json-render-diagnostics",
        "-p",
        "rmq-tools",
        "-p",
        "rmq-testkit",
        "--bins",
    ])
    .stderr(Stdio::inherit());
    eprintln!("$ {}", crate::show(&cmd));
    let output = cmd.output().context("cannot run cargo build")?;
    if !output.status.success() {
        bail!("building the bench tools failed: {}", output.status);
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let find = |name: &str| -> Result<PathBuf> {
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["target"]["name"] == name)
            .find_map(|v| v["executable"].as_str().map(PathBuf::from))
            .with_context(|| format!("cargo built no `{name}` executable"))
    };
    Ok(Bins {
        producer: find("rmq-bench-producer")?,
        consumer: find("rmq-bench-consumer")?,
        testkit: find("rmq-testkit")?,
    })
}

/// The cluster the tools use; an embedded one is stopped (stdin closed) when dropped.
enum Broker {
    External(String),
    Embedded {
        addr: String,
        child: Child,
        stdin: Option<ChildStdin>,
    },
}

impl Broker {
    fn embedded(bin: &Path) -> Result<Broker> {
        let mut child = Command::new(bin)
            .args(["--brokers", "1", "--port", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let stdin = child.stdin.take();
        let mut lines = BufReader::new(child.stdout.take().context("testkit stdout")?).lines();
        let first = lines.next().transpose().context("reading testkit")?;
        // Keep draining so the testkit never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let addr = first
            .as_deref()
            .and_then(|l| l.strip_prefix("namesrv "))
            .map(|a| a.trim().to_owned());
        let broker = Broker::Embedded {
            addr: addr.clone().unwrap_or_default(),
            child,
            stdin,
        };
        match addr {
            Some(_) => Ok(broker),
            None => bail!("rmq-testkit printed {first:?}, not `namesrv ADDR`"),
        }
    }

    fn addr(&self) -> &str {
        match self {
            Broker::External(addr) | Broker::Embedded { addr, .. } => addr,
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Broker::Embedded { child, stdin, .. } = self {
            drop(stdin.take());
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The Java tool's command from the environment variable `var`; see [`java_command`].
fn java(var: &str, args: &[String]) -> Option<Command> {
    java_command(std::env::var(var).ok(), args)
}

/// `base` (a shell command line) with `args` appended, run by `sh`; `None` when unset or blank.
fn java_command(base: Option<String>, args: &[String]) -> Option<Command> {
    let base = base.filter(|v| !v.trim().is_empty())?;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("{base} \"$@\""))
        .arg("sh")
        .args(args);
    Some(cmd)
}

fn not_configured(var: &str, class: &str) -> String {
    format!("not configured: set {var} to the command that starts org.apache.rocketmq.example.benchmark.{class}")
}

/// A B A B rounds of two tools; `b` is `None` when not configured.
fn alternate(
    o: &Options,
    rows: &mut [Row; 2],
    logs: &Path,
    ticks: u64,
    mut command: impl FnMut(usize, usize) -> Option<(Command, Duration)>,
    mut around: impl FnMut(usize, usize, &mut dyn FnMut() -> Result<run::Run>) -> Result<run::Run>,
) -> Result<()> {
    for round in 0..o.rounds {
        for (tool, row) in rows.iter_mut().enumerate() {
            let Some((cmd, stop_after)) = command(round, tool) else {
                continue;
            };
            let log = logs.join(format!("{}-{}-r{round}.log", row.workload, tool_key(tool)));
            let mut once = Some(cmd);
            let result = around(round, tool, &mut || {
                let cmd = once.take().context("a round runs its tool once")?;
                run::run(cmd, stop_after, &log)
            })?;
            let f = figures(&result, ticks);
            if f.is_none() {
                row.note = format!("a round printed no report line ({})", result.ended);
            }
            row.rounds.push(f);
        }
    }
    Ok(())
}

fn tool_key(tool: usize) -> &'static str {
    if tool == 0 {
        "rmq"
    } else {
        "java"
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

fn producer_rows(o: &Options, bins: &Bins, ns: &str, logs: &Path, ticks: u64) -> Result<[Row; 2]> {
    let (threads, size, secs) = (
        o.threads.to_string(),
        o.size.to_string(),
        o.secs.to_string(),
    );
    let common = strings(&["-n", ns, "-t", &o.topic, "-w", &threads, "-s", &size]);
    let java_configured = java("JAVA_BENCH_PRODUCER", &[]).is_some();
    let mut rows = [
        row("producer", "rmq (rmq-bench-producer)", ""),
        row(
            "producer",
            "Java 4.9.7 benchmark Producer",
            &if java_configured {
                String::new()
            } else {
                not_configured("JAVA_BENCH_PRODUCER", "Producer")
            },
        ),
    ];
    let stop = Duration::from_secs(o.secs);
    alternate(
        o,
        &mut rows,
        logs,
        ticks,
        |_, tool| {
            if tool == 0 {
                let mut cmd = Command::new(&bins.producer);
                cmd.args(&common).args(["-i", "1", "--duration", &secs]);
                Some((cmd, stop + Duration::from_secs(15)))
            } else {
                java("JAVA_BENCH_PRODUCER", &common).map(|c| (c, stop))
            }
        },
        |_, _, go| go(),
    )?;
    Ok(rows)
}

fn consumer_rows(o: &Options, bins: &Bins, ns: &str, logs: &Path, ticks: u64) -> Result<[Row; 2]> {
    let java_configured = java("JAVA_BENCH_CONSUMER", &[]).is_some();
    let mut rows = [
        row(
            "consumer",
            "rmq (rmq-bench-consumer)",
            "fed by rmq-bench-producer; TPS is bounded by the feed",
        ),
        row(
            "consumer",
            "Java 4.9.7 benchmark Consumer",
            &if java_configured {
                "fed by rmq-bench-producer; TPS is bounded by the feed".to_owned()
            } else {
                not_configured("JAVA_BENCH_CONSUMER", "Consumer")
            },
        ),
    ];
    let stop = Duration::from_secs(o.secs);
    let topic = |round: usize, tool: usize| format!("{}_c{round}_{}", o.topic, tool_key(tool));
    alternate(
        o,
        &mut rows,
        logs,
        ticks,
        |round, tool| {
            let t = topic(round, tool);
            if tool == 0 {
                let mut cmd = Command::new(&bins.consumer);
                cmd.args(["-n", ns, "-t", &t, "-d", &o.secs.to_string()]);
                Some((cmd, stop + Duration::from_secs(15)))
            } else {
                java("JAVA_BENCH_CONSUMER", &strings(&["-n", ns, "-t", &t])).map(|c| (c, stop))
            }
        },
        |round, tool, go| {
            // A fresh topic per round, fed from 2 s before the consumer starts until it ends.
            let mut feed = Command::new(&bins.producer);
            let feed_secs = (o.secs + 20).to_string();
            let threads = o.feed_threads.to_string();
            let size = o.size.to_string();
            feed.args([
                "-n",
                ns,
                "-t",
                &topic(round, tool),
                "-w",
                &threads,
                "-s",
                &size,
            ])
            .args(["-i", "1", "--duration", &feed_secs]);
            let feed_log = logs.join(format!("feed-{}-r{round}.log", tool_key(tool)));
            let feed_stop = Duration::from_secs(o.secs + 4);
            let feeder = std::thread::spawn(move || run::run(feed, feed_stop, &feed_log));
            std::thread::sleep(Duration::from_secs(2));
            let result = go();
            let fed = feeder
                .join()
                .map_err(|_| anyhow::anyhow!("the feeding producer's thread panicked"))?;
            fed?;
            result
        },
    )?;
    Ok(rows)
}

fn row(workload: &str, tool: &str, note: &str) -> Row {
    Row {
        workload: workload.into(),
        tool: tool.into(),
        note: note.into(),
        rounds: Vec::new(),
    }
}

/// The producer's sink one-shot (our client against an in-process sink), as a section.
fn sink_section() -> Result<String> {
    let mut cmd = crate::cargo();
    cmd.args([
        "run",
        "--profile",
        "bench",
        "-p",
        "rmq-client-producer",
        "--example",
        "sink_bench",
        "--",
        "--secs",
        "3",
    ]);
    eprintln!("$ {}", crate::show(&cmd));
    let output = cmd
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run sink_bench")?;
    if !output.status.success() {
        bail!("sink_bench failed: {}", output.status);
    }
    Ok(format!(
        "\n## producer against the sink\n\n`cargo run --profile bench -p rmq-client-producer --example sink_bench -- --secs 3`\n\n{}\n\nThe peer client ({PEER_CRATE}) has no sink figure: the sink is in-process in our example, and the peer has no benchmark tool to point at it (see below).\n",
        String::from_utf8_lossy(&output.stdout).trim()
    ))
}

/// What trying the peer client came to.
fn peer_section(try_it: bool) -> Result<String> {
    let verdict = if try_it {
        let root = super::target_dir()?.join("bench-peer");
        let mut cmd = crate::cargo();
        cmd.args(["install", "--locked", PEER_CRATE, "--root"])
            .arg(&root);
        eprintln!("$ {}", crate::show(&cmd));
        let output = cmd.output().context("cannot run cargo install")?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.success() {
            let bins: Vec<String> = std::fs::read_dir(root.join("bin"))
                .map(|d| {
                    d.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "installed into `{}`; binaries: {}. None takes Java's benchmark options, so it was not run.",
                root.display(),
                if bins.is_empty() { "none".to_owned() } else { bins.join(", ") }
            )
        } else {
            let why = stderr
                .lines()
                .filter(|l| l.contains("error"))
                .take(3)
                .collect::<Vec<_>>()
                .join(" / ");
            format!("`cargo install {PEER_CRATE}` failed: {why}")
        }
    } else {
        "not tried (pass `--peer`)".to_owned()
    };
    Ok(format!(
        "\n## peer Rust client ({PEER_CRATE})\n\n{verdict}\n"
    ))
}

fn conditions(o: &Options, ns: &str, started: &str, load: &str, args: &[String]) -> String {
    let broker = match &o.namesrv {
        Some(addr) => format!("name server {addr} (given; never quote figures measured against the crates.io CI broker)"),
        None => format!("embedded rmq-testkit, 1 broker, name server {ns} (in memory; a client comparison, not a broker figure)"),
    };
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "| | |\n|---|---|\n| command | `cargo xtask bench compare {}` |\n| started | {started} |\n| broker | {broker} |\n| workload | topic `{}`, {} producer threads, {} B bodies, {} rounds × {} s, tools alternated A B A B |\n| machine | {cpus} CPUs; load average before: {load}, after: {} |\n| commit | {} |\n\nTPS and CPU per message are measured from a tool's first to its last report line (startup left out); p50/p99 are means of the per-interval figures (Java prints none); consumer latencies are born-to-consume. CPU and RSS are the tool's whole process tree, from /proc.\n",
        args.join(" "),
        o.topic,
        o.threads,
        o.size,
        o.rounds,
        o.secs,
        loadavg(),
        git_rev(),
    )
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn now_utc() -> String {
    output_of(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M:%S UTC"]))
}

fn git_rev() -> String {
    output_of(
        Command::new("git")
            .current_dir(crate::root())
            .args(["rev-parse", "--short", "HEAD"]),
    )
}

fn output_of(cmd: &mut Command) -> String {
    cmd.output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn options_default_to_java_benchmark_defaults() {
        let o = parse_options(&[]).expect("parses").expect("options");
        assert_eq!(o, Options::default());
        assert_eq!(
            (o.threads, o.size, o.topic.as_str()),
            (64, 128, "BenchmarkTest")
        );
    }

    #[test]
    fn options_are_read_and_checked() {
        let o = parse_options(&args(
            "--namesrv 127.0.0.1:9 --rounds 2 --secs 12 --threads 8 --size 1024 --only consumer --peer",
        ))
        .expect("parses")
        .expect("options");
        assert_eq!(o.namesrv.as_deref(), Some("127.0.0.1:9"));
        assert_eq!((o.rounds, o.secs, o.threads, o.size), (2, 12, 8, 1024));
        assert!(!o.producer && o.consumer && o.peer && !o.sink);
        for bad in [
            "--rounds 0",
            "--secs x",
            "--only both",
            "--frobnicate",
            "--topic",
        ] {
            let err = parse_options(&args(bad)).expect_err(bad);
            assert!(!err.to_string().is_empty());
        }
        assert_eq!(parse_options(&args("--help")).expect("help"), None);
    }

    #[test]
    fn java_tool_gets_its_options_appended_and_is_absent_when_unset() {
        let mut cmd =
            java_command(Some("echo Send TPS:".into()), &args("7 -n a;b")).expect("configured");
        let out = cmd.output().expect("runs");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "Send TPS: 7 -n a;b"
        );
        assert!(java_command(None, &[]).is_none());
        assert!(java_command(Some("  ".into()), &[]).is_none());
    }
}
