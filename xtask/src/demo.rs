//! `cargo xtask demo [--real]`: the README's main job. Picks a cluster (the embedded `rmq-testkit`
//! by default, `NAMESRV_ADDR` when set, the crates.io servers with `--real`), asks its name server
//! what it knows (with xtask's tiny client), then produces and consumes with the real clients
//! (`rmq-tests`' `produce_consume` example), and stops whatever it started.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::cluster::Session;
use crate::server;

/// The end-to-end example in `tests/examples`.
const EXAMPLE: &str = "produce_consume";

/// How long the embedded cluster gets to print its address.
const EMBEDDED_START: Duration = Duration::from_secs(30);

pub fn run(args: &[String]) -> Result<()> {
    let real = match args {
        [] => false,
        [flag] if flag == "--real" => true,
        _ => bail!("usage: cargo xtask demo [--real]"),
    };
    let from_env = std::env::var("NAMESRV_ADDR")
        .ok()
        .filter(|a| !a.trim().is_empty());
    // Build first, so that the timings below are the demo's, not the compiler's.
    build(real)?;
    let started = Instant::now();
    let (cluster, namesrv) = if real {
        eprintln!("xtask: demo on the crates.io rocketmq-namesrv/rocketmq-broker servers (--real)");
        let session = Session::open(1)?;
        let namesrv = session.state.namesrv.clone();
        (Cluster::Real(Box::new(session)), namesrv)
    } else if let Some(addr) = from_env {
        eprintln!("xtask: demo on the cluster at NAMESRV_ADDR={addr}");
        (Cluster::External, addr)
    } else {
        eprintln!(
            "xtask: demo on an embedded rmq-testkit cluster (1 broker, in this machine's memory); \
             set NAMESRV_ADDR or pass --real for another"
        );
        let embedded = Embedded::start()?;
        let namesrv = embedded.namesrv.clone();
        (Cluster::Embedded(embedded), namesrv)
    };

    println!("\n== GET_BROKER_CLUSTER_INFO from {namesrv}");
    let info = server::cluster_info(&namesrv, Duration::from_secs(3)).context("cluster info")?;
    println!("{info}");

    println!("\n== produce and consume (example `{EXAMPLE}`)");
    let mut cmd = crate::cargo();
    cmd.args(["run", "--quiet", "-p", "rmq-tests", "--example", EXAMPLE]);
    cmd.env("NAMESRV_ADDR", &namesrv);
    if let Cluster::Real(session) = &cluster {
        for (k, v) in session.state.test_env() {
            cmd.env(k, v);
        }
    }
    crate::run_cmd(&mut cmd)?;
    drop(cluster);
    println!("\ndemo ok in {:.1?} (after the build)", started.elapsed());
    Ok(())
}

/// `cargo build` of what the demo runs.
fn build(real: bool) -> Result<()> {
    let mut cmd = crate::cargo();
    cmd.args(["build", "--quiet", "-p", "rmq-tests", "--example", EXAMPLE]);
    if !real {
        cmd.args(["-p", "rmq-testkit", "--bin", "rmq-testkit"]);
    }
    crate::run_cmd(&mut cmd)
}

/// The cluster the demo talks to; dropping it stops what the demo started.
enum Cluster {
    Real(#[allow(dead_code)] Box<Session>),
    External,
    Embedded(#[allow(dead_code)] Embedded),
}

/// A `rmq-testkit` process: it prints `namesrv ADDR` first and exits when its stdin closes.
struct Embedded {
    child: Child,
    stdin: Option<ChildStdin>,
    namesrv: String,
}

impl Embedded {
    fn start() -> Result<Embedded> {
        // The binary itself, not `cargo run`: stopping it must not leave a grandchild behind.
        let mut cmd = Command::new(testkit_bin());
        cmd.args(["--brokers", "1", "--port", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot run {}", crate::show(&cmd)))?;
        let stdin = child.stdin.take();
        let Some(stdout) = child.stdout.take() else {
            bail!("rmq-testkit: no stdout");
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next();
            let _ = tx.send(first);
            // Keep draining so the cluster never blocks on a full pipe.
            for _ in lines.map_while(Result::ok) {}
        });
        let mut embedded = Embedded {
            child,
            stdin,
            namesrv: String::new(),
        };
        let first = match rx.recv_timeout(EMBEDDED_START) {
            Ok(Some(Ok(line))) => line,
            Ok(_) => bail!("rmq-testkit exited before printing its address"),
            Err(_) => bail!("rmq-testkit printed no address within {EMBEDDED_START:?}"),
        };
        let Some(addr) = first.strip_prefix("namesrv ") else {
            bail!("rmq-testkit's first line is not `namesrv ADDR`: {first:?}");
        };
        embedded.namesrv = addr.trim().to_string();
        Ok(embedded)
    }
}

/// `<target>/debug/rmq-testkit`, as `build` left it.
fn testkit_bin() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| crate::root().join("target"));
    let target = if target.is_relative() {
        crate::root().join(target)
    } else {
        target
    };
    target.join("debug").join("rmq-testkit")
}

impl Drop for Embedded {
    fn drop(&mut self) {
        // Closing stdin asks it to stop; kill if it has not within a few seconds.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
