//! `cargo xtask cluster up|down|status|kill-broker|restart-broker`: a local name server and
//! brokers (crates.io RocketMQ 1.0.0) on 127.0.0.1, remembered in a state file.
//!
//! `up` detaches the servers and returns; [`Session`] is the in-process variant that `it`, `ci`
//! and `demo` use, which tears its cluster down when dropped (and through a watchdog when xtask
//! dies first).

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

use crate::server::{self, BrokerFiles, Servers, Watched};

/// The shared cluster's name (`brokerClusterName`).
pub const CLUSTER_NAME: &str = "rmq-it";

pub fn run(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("up") => {
            let brokers = parse_brokers(&args[1..])?;
            if let Some(state) = State::load()? {
                if state.any_alive() {
                    bail!(
                        "a cluster is already running (state file {}); run `cargo xtask cluster down` first",
                        state_path().display()
                    );
                }
                cleanup_stale(&state);
            }
            let started = Instant::now();
            let (servers, state) = start(brokers, true)?;
            // Dropping `servers` leaves the detached processes running.
            drop(servers);
            println!("cluster up in {:.1?}", started.elapsed());
            state.print_env();
            Ok(())
        }
        Some("down") => down(),
        Some("status") => status(),
        Some("kill-broker") => kill_broker(args.get(1).context("usage: cluster kill-broker NAME")?),
        Some("restart-broker") => restart_broker(args.get(1).context("usage: cluster restart-broker NAME")?),
        _ => bail!("usage: cargo xtask cluster up [--brokers N] | down | status | kill-broker NAME | restart-broker NAME"),
    }
}

fn parse_brokers(args: &[String]) -> Result<usize> {
    let mut brokers = 1;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = match arg.as_str() {
            "--brokers" => it.next().context("--brokers needs a value")?.as_str(),
            other => other
                .strip_prefix("--brokers=")
                .with_context(|| format!("unknown argument `{other}`"))?,
        };
        brokers = value
            .parse()
            .with_context(|| format!("--brokers {value}"))?;
    }
    if !(1..=2).contains(&brokers) {
        bail!("--brokers must be 1 or 2, not {brokers}");
    }
    Ok(brokers)
}

/// `$RMQ_CLUSTER_STATE`, or `<workspace>/.rmq-cluster/state.json`.
pub fn state_path() -> PathBuf {
    match std::env::var_os("RMQ_CLUSTER_STATE").filter(|p| !p.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => crate::root().join(".rmq-cluster").join("state.json"),
    }
}

/// Installs the servers into the cache unless both binaries are there.
pub fn ensure_installed() -> Result<()> {
    if server::binaries_present() {
        return Ok(());
    }
    eprintln!(
        "xtask: installing rocketmq-namesrv and rocketmq-broker {} into {} \
         (first run only; progress every 30 s)",
        server::VERSION,
        server::install_root().display()
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let took = server::install(std::path::Path::new(&cargo)).map_err(anyhow::Error::msg)?;
    eprintln!("xtask: servers installed in {:.0?}", took);
    Ok(())
}

/// Installs if needed and starts a cluster with `brokers` brokers in a fresh temp dir, then
/// writes the state file.
fn start(brokers: usize, detach: bool) -> Result<(Servers, State)> {
    ensure_installed()?;
    let dir = server::make_temp_dir("rmq-cluster").context("creating the cluster's temp dir")?;
    eprintln!(
        "xtask: starting a name server and {brokers} broker(s) in {}",
        dir.display()
    );
    let servers = match Servers::start(CLUSTER_NAME, brokers, &dir, detach) {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            bail!("{e}");
        }
    };
    let state = State::from_servers(&servers);
    if let Err(e) = state.save() {
        let mut servers = servers;
        servers.stop();
        let _ = std::fs::remove_dir_all(&dir);
        return Err(e);
    }
    Ok((servers, state))
}

/// What the state file records.
#[derive(Debug, Clone)]
pub struct State {
    pub cluster: String,
    pub dir: PathBuf,
    pub namesrv: String,
    pub namesrv_pid: Option<u32>,
    pub brokers: Vec<BrokerState>,
    /// The `sh` that cleans up when the owning xtask dies (sessions only).
    pub watchdog_pid: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct BrokerState {
    pub name: String,
    pub addr: String,
    pub pid: Option<u32>,
}

impl State {
    fn from_servers(servers: &Servers) -> State {
        State {
            cluster: servers.cluster.clone(),
            dir: servers.dir.clone(),
            namesrv: servers.namesrv_addr(),
            namesrv_pid: Some(servers.namesrv.id()),
            brokers: servers
                .brokers
                .iter()
                .map(|b| BrokerState {
                    name: b.name.clone(),
                    addr: b.addr(),
                    pid: b.pid(),
                })
                .collect(),
            watchdog_pid: None,
        }
    }

    /// The state file's contents, if there is one.
    pub fn load() -> Result<Option<State>> {
        let path = state_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let v: Value =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let s = |v: &Value, k: &str| -> Result<String> {
            v[k].as_str()
                .map(str::to_string)
                .ok_or_else(|| anyhow!("{}: `{k}` missing", path.display()))
        };
        let pid = |v: &Value| v["pid"].as_u64().and_then(|p| u32::try_from(p).ok());
        let brokers = v["brokers"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|b| {
                Ok(BrokerState {
                    name: s(b, "name")?,
                    addr: s(b, "addr")?,
                    pid: pid(b),
                })
            })
            .collect::<Result<_>>()?;
        Ok(Some(State {
            cluster: s(&v, "cluster")?,
            dir: PathBuf::from(s(&v, "dir")?),
            namesrv: s(&v["namesrv"], "addr")?,
            namesrv_pid: pid(&v["namesrv"]),
            brokers,
            watchdog_pid: v["watchdog_pid"]
                .as_u64()
                .and_then(|p| u32::try_from(p).ok()),
        }))
    }

    pub fn save(&self) -> Result<()> {
        let v = json!({
            "cluster": self.cluster,
            "dir": self.dir.display().to_string(),
            "namesrv": { "addr": self.namesrv, "pid": self.namesrv_pid, "log": server::namesrv_log(&self.dir).display().to_string() },
            "brokers": self.brokers.iter().map(|b| json!({
                "name": b.name,
                "addr": b.addr,
                "pid": b.pid,
                "log": BrokerFiles::new(&self.dir, &b.name).log.display().to_string(),
            })).collect::<Vec<_>>(),
            "watchdog_pid": self.watchdog_pid,
        });
        let path = state_path();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let text = serde_json::to_string_pretty(&v).context("serializing the state")?;
        std::fs::write(&path, text + "\n").with_context(|| format!("writing {}", path.display()))
    }

    /// Server pids, brokers first.
    fn server_pids(&self) -> Vec<u32> {
        self.brokers
            .iter()
            .filter_map(|b| b.pid)
            .chain(self.namesrv_pid)
            .collect()
    }

    fn any_alive(&self) -> bool {
        self.server_pids()
            .into_iter()
            .any(|p| server::is_alive(p) && server::is_server(p))
    }

    /// The first broker's address.
    pub fn broker(&self) -> &str {
        self.brokers.first().map_or("", |b| b.addr.as_str())
    }

    /// The variables the integration tests read.
    pub fn test_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("RMQ_TEST_NAMESRV", self.namesrv.clone()),
            ("RMQ_TEST_BROKER", self.broker().to_string()),
            ("RMQ_TEST_CLUSTER", self.cluster.clone()),
            ("RMQ_CLUSTER_STATE", state_path().display().to_string()),
        ]
    }

    fn print_env(&self) {
        for (k, v) in self.test_env() {
            println!("{k}={v}");
        }
        for b in &self.brokers {
            println!("# {} at {}", b.name, b.addr);
        }
        println!("# logs and store: {}", self.dir.display());
    }

    fn watched<'a>(&'a self, namesrv_log: &'a Path, logs: &'a [PathBuf]) -> Vec<Watched<'a>> {
        let mut w = Vec::new();
        if let Some(pid) = self.namesrv_pid {
            w.push(Watched {
                label: "namesrv",
                pid,
                log: namesrv_log,
            });
        }
        for (b, log) in self.brokers.iter().zip(logs) {
            if let Some(pid) = b.pid {
                w.push(Watched {
                    label: &b.name,
                    pid,
                    log,
                });
            }
        }
        w
    }
}

/// Stops every process in `state` (those still running a RocketMQ server), then deletes its
/// directory and the state file.
fn teardown(state: &State) {
    if let Some(w) = state.watchdog_pid {
        // The watchdog would otherwise race us; it is a plain `sh`, so SIGKILL is fine.
        if server::is_alive(w) {
            server::signal(w, "KILL");
        }
    }
    let pids: Vec<u32> = state
        .server_pids()
        .into_iter()
        .filter(|&p| server::is_alive(p) && server::is_server(p))
        .collect();
    for &p in &pids {
        server::ask_to_stop(p);
    }
    for &p in &pids {
        if server::terminate(p, server::STOP_GRACE) {
            eprintln!(
                "xtask: pid {p} did not stop within {:?} and was killed",
                server::STOP_GRACE
            );
        }
    }
    remove_dir(&state.dir);
    let _ = std::fs::remove_file(state_path());
}

/// Deletes a cluster directory, but only one that xtask made.
fn remove_dir(dir: &Path) {
    let ours = dir
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("rmq-cluster-"));
    if ours {
        let _ = std::fs::remove_dir_all(dir);
    } else {
        eprintln!("xtask: not deleting {} (not a cluster dir)", dir.display());
    }
}

fn cleanup_stale(state: &State) {
    eprintln!("xtask: removing the state of a cluster that is no longer running");
    teardown(state);
}

pub fn down() -> Result<()> {
    let Some(state) = State::load()? else {
        println!("no cluster running (no {})", state_path().display());
        return Ok(());
    };
    let started = Instant::now();
    teardown(&state);
    println!("cluster down in {:.1?}", started.elapsed());
    Ok(())
}

fn status() -> Result<()> {
    let Some(state) = State::load()? else {
        println!("no cluster (no {})", state_path().display());
        return Ok(());
    };
    let alive = |pid: Option<u32>| match pid {
        Some(p) if server::is_alive(p) && server::is_server(p) => format!("pid {p} alive"),
        Some(p) => format!("pid {p} NOT running"),
        None => "not running".to_string(),
    };
    let port = |addr: &str| {
        if server::accepts(addr) {
            "accepting"
        } else {
            "NOT accepting"
        }
    };
    println!("state file: {}", state_path().display());
    println!("cluster {} in {}", state.cluster, state.dir.display());
    println!(
        "namesrv  {}  {}, {}",
        state.namesrv,
        alive(state.namesrv_pid),
        port(&state.namesrv)
    );
    for b in &state.brokers {
        println!("{} {}  {}, {}", b.name, b.addr, alive(b.pid), port(&b.addr));
    }
    match server::cluster_info(&state.namesrv, std::time::Duration::from_secs(3)) {
        Ok(body) => {
            let listed: Vec<&str> = state
                .brokers
                .iter()
                .filter(|b| server::lists_broker(&body, &b.name, &b.addr))
                .map(|b| b.name.as_str())
                .collect();
            println!("name server lists: {listed:?}");
        }
        Err(e) => println!("name server does not answer: {e}"),
    }
    Ok(())
}

fn running_state() -> Result<State> {
    State::load()?.context("no cluster running: `cargo xtask cluster up` first")
}

fn kill_broker(name: &str) -> Result<()> {
    let mut state = running_state()?;
    let b = state
        .brokers
        .iter_mut()
        .find(|b| b.name == name)
        .with_context(|| format!("no broker {name}"))?;
    match b.pid.take() {
        Some(p) if server::is_alive(p) && server::is_server(p) => {
            server::signal(p, "KILL");
            println!("killed {name} (pid {p})");
        }
        _ => println!("{name} was not running"),
    }
    state.save()
}

fn restart_broker(name: &str) -> Result<()> {
    let mut state = running_state()?;
    let namesrv = state.namesrv.clone();
    let dir = state.dir.clone();
    let b = state
        .brokers
        .iter_mut()
        .find(|b| b.name == name)
        .with_context(|| format!("no broker {name}"))?;
    if let Some(p) = b
        .pid
        .take()
        .filter(|&p| server::is_alive(p) && server::is_server(p))
    {
        server::terminate(p, server::STOP_GRACE);
    }
    let files = BrokerFiles::new(&dir, name);
    let child = server::spawn_broker(&files, &namesrv, true)
        .with_context(|| format!("restarting {name}"))?;
    b.pid = Some(child.id());
    state.save()?;
    let logs: Vec<PathBuf> = state
        .brokers
        .iter()
        .map(|b| BrokerFiles::new(&dir, &b.name).log)
        .collect();
    let ns_log = server::namesrv_log(&dir);
    let brokers: Vec<(String, String)> = state
        .brokers
        .iter()
        .filter(|b| b.pid.is_some())
        .map(|b| (b.name.clone(), b.addr.clone()))
        .collect();
    server::wait_registered(
        &namesrv,
        &brokers,
        &state.watched(&ns_log, &logs),
        server::START_TIMEOUT,
    )
    .map_err(|e| anyhow!(e))?;
    println!("restarted {name} (pid {})", child.id());
    Ok(())
}

/// A cluster for the duration of `it`, `ci` or `demo`: either reused (one is already running
/// per the state file, and stays running) or started here and torn down on drop.
#[derive(Debug)]
pub struct Session {
    pub state: State,
    /// Set when this session started the servers.
    owned: Option<(Servers, Option<Child>)>,
}

impl Session {
    pub fn open(brokers: usize) -> Result<Session> {
        if let Some(state) = State::load()? {
            if state.any_alive() {
                eprintln!(
                    "xtask: reusing the running cluster from {}",
                    state_path().display()
                );
                return Ok(Session { state, owned: None });
            }
            cleanup_stale(&state);
        }
        let started = Instant::now();
        let (servers, mut state) = start(brokers, true)?;
        // If xtask dies without dropping the session (Ctrl-C, SIGKILL), this cleans up.
        let state_file = state_path();
        let watchdog = server::spawn_watchdog(
            std::process::id(),
            &servers.pids(),
            &[&servers.dir, &state_file],
        )
        .ok();
        state.watchdog_pid = watchdog.as_ref().map(Child::id);
        state.save()?;
        eprintln!("xtask: cluster up in {:.1?}", started.elapsed());
        state.print_env();
        Ok(Session {
            state,
            owned: Some((servers, watchdog)),
        })
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let Some((mut servers, watchdog)) = self.owned.take() else {
            return;
        };
        let started = Instant::now();
        if let Some(mut w) = watchdog {
            let _ = w.kill();
            let _ = w.wait();
        }
        servers.stop();
        // `cluster restart-broker` may have started processes that are not our children.
        if let Ok(Some(state)) = State::load() {
            teardown(&state);
        }
        remove_dir(&servers.dir);
        let _ = std::fs::remove_file(state_path());
        eprintln!("xtask: cluster down in {:.1?}", started.elapsed());
    }
}
