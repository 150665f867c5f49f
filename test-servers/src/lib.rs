//! Local RocketMQ servers (the crates.io `rocketmq-namesrv` / `rocketmq-broker` 1.0.0 binaries):
//! where they are cached, how a broker is configured, starting and stopping them, and a tiny
//! blocking remoting client that asks a name server for its cluster info.
//!
//! One library for both users of the real servers: `xtask` (the shared cluster of `cargo xtask
//! it`/`ci`/`demo --real`) and `rmq-tests` (private clusters for failover tests), so both install
//! and configure them the same way. std only, so that xtask stays light. It deliberately knows
//! nothing about `rmq-protocol`: [`wire`] writes JSON headers by hand and reads response bodies as
//! text.

mod disk;
mod install;
pub mod wire;

pub use disk::disk_warning;
pub use install::{install, install_command};

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use wire::{cluster_info, lists_broker, request};

/// The pinned server version.
pub const VERSION: &str = "1.0.0";
/// The name server binary installed by the `rocketmq-namesrv` crate.
pub const NAMESRV_BIN: &str = "rocketmq-namesrv-rust";
/// The broker binary installed by the `rocketmq-broker` crate.
pub const BROKER_BIN: &str = "rocketmq-broker-rust";
/// How long to wait for every broker to show up in the name server's cluster info.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How many times [`Servers::restart_broker`] starts a broker that dies during startup.
const RESTART_ATTEMPTS: u32 = 3;
/// How long a server gets to exit after [`ask_to_stop`] before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// `${RMQ_CACHE_DIR:-$HOME/.cache/rmq}`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RMQ_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into());
    PathBuf::from(home).join(".cache").join("rmq")
}

/// The `cargo install --root` of the pinned version: `<cache>/rocketmq-1.0.0`.
pub fn install_root() -> PathBuf {
    cache_dir().join(format!("rocketmq-{VERSION}"))
}

/// Path of one installed binary.
pub fn bin(name: &str) -> PathBuf {
    install_root().join("bin").join(name)
}

/// Whether both server binaries are installed.
pub fn binaries_present() -> bool {
    bin(NAMESRV_BIN).is_file() && bin(BROKER_BIN).is_file()
}

/// A fresh, empty directory under the system temp dir, named `<prefix>-<pid>-<nanos>`.
pub fn make_temp_dir(prefix: &str) -> io::Result<PathBuf> {
    let base = std::env::temp_dir();
    for attempt in 0..100u32 {
        let dir = base.join(format!(
            "{prefix}-{}-{}",
            std::process::id(),
            unique_suffix() + u64::from(attempt)
        ));
        match fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("could not create a unique temp dir"))
}

/// Nanoseconds since the epoch, good enough to tell runs apart.
pub fn unique_suffix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default()
}

/// Ports for one broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokerPorts {
    /// `listenPort`: what clients connect to.
    pub listen: u16,
    /// `haListenPort`.
    pub ha: u16,
}

/// Finds a free port for the name server and free ports for `brokers` brokers.
///
/// All ports are distinct, and each broker's `listen - 2` (which the broker opens as its "fast"
/// port) is free as well. Probes bind `0.0.0.0`, where the broker listens, and are held until
/// every port is chosen so that no two picks collide.
pub fn free_ports(brokers: usize) -> io::Result<(u16, Vec<BrokerPorts>)> {
    let mut held: Vec<TcpListener> = Vec::new();
    let pick = |held: &mut Vec<TcpListener>| -> io::Result<u16> {
        let listener = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0))?;
        let port = listener.local_addr()?.port();
        held.push(listener);
        Ok(port)
    };
    let namesrv = pick(&mut held)?;
    let mut out = Vec::new();
    for _ in 0..1000 {
        if out.len() == brokers {
            return Ok((namesrv, out));
        }
        let listen = pick(&mut held)?;
        if listen < 1026 {
            continue;
        }
        // The fast port must be free now; hold it too so later picks avoid it.
        match TcpListener::bind((Ipv4Addr::UNSPECIFIED, listen - 2)) {
            Ok(l) => held.push(l),
            Err(_) => continue,
        }
        let ha = pick(&mut held)?;
        out.push(BrokerPorts { listen, ha });
    }
    Err(io::Error::other(
        "no free broker ports (listen-2 always taken)",
    ))
}

/// The broker's Java-properties config, exactly the CI-BROKER.md set (never `bindAddress`).
pub fn broker_properties(
    cluster: &str,
    name: &str,
    ports: BrokerPorts,
    namesrv: &str,
    store: &Path,
) -> String {
    let store = store.display();
    let mut s = String::new();
    let lines: [(&str, String); 14] = [
        ("brokerClusterName", cluster.to_string()),
        ("brokerName", name.to_string()),
        ("brokerId", "0".into()),
        ("listenPort", ports.listen.to_string()),
        ("haListenPort", ports.ha.to_string()),
        ("brokerIP1", "127.0.0.1".into()),
        ("brokerIP2", "127.0.0.1".into()),
        ("namesrvAddr", namesrv.to_string()),
        ("autoCreateTopicEnable", "true".into()),
        ("autoCreateSubscriptionGroup", "true".into()),
        ("enablePropertyFilter", "true".into()),
        ("storePathRootDir", store.to_string()),
        ("storePathCommitLog", format!("{store}/commitlog")),
        ("commitLogMicroBatchEnabled", "false".into()),
    ];
    for (key, value) in lines {
        let _ = writeln!(s, "{key}={value}");
    }
    s
}

/// The conventional broker names: `broker-a`, `broker-b`, ...
pub fn broker_name(index: usize) -> String {
    format!("broker-{}", char::from(b'a' + (index % 26) as u8))
}

/// Where one broker keeps its config, store and log inside a cluster directory.
#[derive(Debug, Clone)]
pub struct BrokerFiles {
    /// The Java-properties file passed with `-c`.
    pub config: PathBuf,
    /// `storePathRootDir`.
    pub store: PathBuf,
    /// stdout and stderr of the broker.
    pub log: PathBuf,
}

impl BrokerFiles {
    /// The layout for broker `name` under `dir`.
    pub fn new(dir: &Path, name: &str) -> Self {
        let root = dir.join(name);
        BrokerFiles {
            config: root.join("broker.properties"),
            store: root.join("store"),
            log: root.join("broker.log"),
        }
    }

    /// Creates the directories and writes the config.
    pub fn write(
        &self,
        cluster: &str,
        name: &str,
        ports: BrokerPorts,
        namesrv: &str,
    ) -> io::Result<()> {
        fs::create_dir_all(&self.store)?;
        fs::write(
            &self.config,
            broker_properties(cluster, name, ports, namesrv, &self.store),
        )
    }
}

/// The name server's log inside a cluster directory.
pub fn namesrv_log(dir: &Path) -> PathBuf {
    dir.join("namesrv.log")
}

/// Opens `log` for appending and wires it to the child's stdout and stderr; stdin is null.
///
/// `detach` puts the child into its own process group so that a Ctrl-C aimed at the caller's
/// terminal does not reach it (a detached cluster outlives `cargo xtask cluster up`).
fn prepare(mut cmd: Command, log: &Path, home: &Path, detach: bool) -> io::Result<Child> {
    let out = File::options().create(true).append(true).open(log)?;
    let err = out.try_clone()?;
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    // The servers write their own files under these (the name server's KV config defaults to
    // `$HOME/rocketmq-namesrv`); keep everything inside the temp dir.
    cmd.env("ROCKETMQ_HOME", home)
        .env("HOME", home)
        .current_dir(home);
    if detach {
        use std::os::unix::process::CommandExt as _;
        cmd.process_group(0);
    }
    cmd.spawn()
}

/// Starts the name server on `127.0.0.1:port`, logging to [`namesrv_log`].
pub fn spawn_namesrv(dir: &Path, port: u16, detach: bool) -> io::Result<Child> {
    let mut cmd = Command::new(bin(NAMESRV_BIN));
    cmd.arg("--listenPort").arg(port.to_string());
    cmd.arg("--bindAddress").arg("127.0.0.1");
    cmd.arg("--rocketmqHome").arg(dir);
    cmd.arg("--kvConfigPath")
        .arg(dir.join("namesrv").join("kvConfig.json"));
    prepare(cmd, &namesrv_log(dir), dir, detach)
}

/// Starts a broker whose config [`BrokerFiles::write`] wrote.
pub fn spawn_broker(files: &BrokerFiles, namesrv: &str, detach: bool) -> io::Result<Child> {
    let mut cmd = Command::new(bin(BROKER_BIN));
    cmd.arg("-c").arg(&files.config).arg("-n").arg(namesrv);
    let home = files
        .config
        .parent()
        .unwrap_or(Path::new("/tmp"))
        .to_path_buf();
    prepare(cmd, &files.log, &home, detach)
}

/// A started process that [`wait_registered`] watches: a label, its pid and its log.
#[derive(Debug, Clone)]
pub struct Watched<'a> {
    /// What to call it in errors (`namesrv`, `broker-a`).
    pub label: &'a str,
    /// Its pid.
    pub pid: u32,
    /// Its log file.
    pub log: &'a Path,
}

/// Waits until the name server lists every `(name, addr)` broker, or fails with the reason and
/// the tail of every log when `timeout` passes or a watched process dies.
pub fn wait_registered(
    namesrv: &str,
    brokers: &[(String, String)],
    watched: &[Watched<'_>],
    timeout: Duration,
) -> Result<(), String> {
    let start = Instant::now();
    loop {
        if let Some(dead) = watched.iter().find(|w| !is_alive(w.pid)) {
            return Err(format!(
                "{} (pid {}) exited during startup\n{}",
                dead.label,
                dead.pid,
                log_tails(watched)
            ));
        }
        let last = match cluster_info(namesrv, Duration::from_secs(3)) {
            Ok(body) => {
                let missing: Vec<&str> = brokers
                    .iter()
                    .filter(|(name, addr)| !lists_broker(&body, name, addr))
                    .map(|(name, _)| name.as_str())
                    .collect();
                // A listing can be stale (a killed broker is dropped only after a few seconds),
                // so each broker must also answer a request itself.
                let silent: Vec<&str> = brokers
                    .iter()
                    .filter(|(_, addr)| {
                        request(
                            addr,
                            wire::GET_BROKER_RUNTIME_INFO,
                            &[],
                            Duration::from_secs(3),
                        )
                        .is_err()
                    })
                    .map(|(name, _)| name.as_str())
                    .collect();
                if missing.is_empty() && silent.is_empty() {
                    return Ok(());
                }
                format!("not yet registered: {missing:?}; not answering: {silent:?}; cluster info: {body}")
            }
            Err(e) => format!("name server {namesrv}: {e}"),
        };
        if start.elapsed() > timeout {
            return Err(format!(
                "the cluster did not come up within {timeout:?}: {last}\n{}",
                log_tails(watched)
            ));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The last lines of every watched log, each under a heading.
pub fn log_tails(watched: &[Watched<'_>]) -> String {
    let mut s = String::new();
    for w in watched {
        let _ = writeln!(
            s,
            "---- last lines of {} ({}) ----\n{}",
            w.label,
            w.log.display(),
            log_tail(w.log, 30)
        );
    }
    s
}

/// The last `lines` lines of a file, or why it could not be read.
pub fn log_tail(path: &Path, lines: usize) -> String {
    match fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("<cannot read: {e}>"),
    }
}

/// Whether `pid` is a running process (a zombie counts as gone).
pub fn is_alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) if Path::new("/proc/self").exists() => false,
        // No procfs: fall back to `kill -0`.
        Err(_) => Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success()),
    }
}

/// Whether `pid` runs a RocketMQ server binary, so that a stale pid reused by an unrelated
/// process is never signalled.
pub fn is_server(pid: u32) -> bool {
    match fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmdline) => String::from_utf8_lossy(&cmdline).contains("rocketmq-"),
        Err(_) => is_alive(pid),
    }
}

/// Sends `signal` (`TERM`, `KILL`) with the `kill` command; errors are ignored.
pub fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// Asks a server to shut down: SIGTERM, and SIGINT because the 1.0.0 servers ignore SIGTERM and
/// shut down gracefully only on Ctrl-C.
pub fn ask_to_stop(pid: u32) {
    signal(pid, "TERM");
    signal(pid, "INT");
}

/// [`ask_to_stop`], then SIGKILL when the process is still alive after `grace`. Returns whether
/// it had to be killed.
pub fn terminate(pid: u32, grace: Duration) -> bool {
    if !is_alive(pid) {
        return false;
    }
    ask_to_stop(pid);
    let start = Instant::now();
    while start.elapsed() < grace {
        if !is_alive(pid) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    signal(pid, "KILL");
    let start = Instant::now();
    while is_alive(pid) && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// Starts a detached shell that, once process `owner` is gone, kills `pids` and deletes `paths`.
///
/// This is the cleanup of last resort when the owner dies without running its own (Ctrl-C,
/// SIGKILL, a test binary aborting): the servers are in their own process group and would
/// otherwise run on. The owner kills the watchdog after a normal cleanup.
pub fn spawn_watchdog(owner: u32, pids: &[u32], paths: &[&Path]) -> io::Result<Child> {
    let pids: Vec<String> = pids.iter().map(u32::to_string).collect();
    let pids = pids.join(" ");
    let paths: Vec<String> = paths
        .iter()
        .map(|p| shell_quote(&p.display().to_string()))
        .collect();
    let script = format!(
        "while kill -0 {owner} 2>/dev/null; do sleep 1; done; \
         kill -TERM {pids} 2>/dev/null; kill -INT {pids} 2>/dev/null; sleep 3; kill -KILL {pids} 2>/dev/null; rm -rf {paths}",
        paths = paths.join(" ")
    );
    use std::os::unix::process::CommandExt as _;
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Whether something accepts TCP connections at `addr` (within one second).
pub fn accepts(addr: &str) -> bool {
    addr.parse::<SocketAddr>()
        .is_ok_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(1)).is_ok())
}

/// One broker of [`Servers`].
#[derive(Debug)]
pub struct BrokerProc {
    /// `brokerName`.
    pub name: String,
    /// Its ports.
    pub ports: BrokerPorts,
    /// Its config, store and log.
    pub files: BrokerFiles,
    /// The running process; `None` after [`Servers::kill_broker`].
    pub child: Option<Child>,
}

impl BrokerProc {
    /// `127.0.0.1:<listenPort>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.ports.listen)
    }

    /// The pid while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

/// A name server and its brokers, started by this process, all under one directory.
///
/// Dropping it leaves the processes running (that is how `cargo xtask cluster up` detaches);
/// call [`Servers::stop`] to end them.
#[derive(Debug)]
pub struct Servers {
    /// Configs, stores and logs.
    pub dir: PathBuf,
    /// `brokerClusterName`.
    pub cluster: String,
    /// The name server's port on 127.0.0.1.
    pub namesrv_port: u16,
    /// The name server process.
    pub namesrv: Child,
    /// The name server's stdout and stderr.
    pub namesrv_log: PathBuf,
    /// The brokers, `broker-a` first.
    pub brokers: Vec<BrokerProc>,
    /// Whether the processes run in their own process group.
    pub detach: bool,
}

impl Servers {
    /// Starts a name server and `brokers` brokers under `dir` and waits (up to
    /// [`START_TIMEOUT`]) until the name server lists every broker and each broker answers.
    ///
    /// # Errors
    /// Missing binaries, no free ports, a process that exits early or the timeout; the message
    /// includes the tail of every log. Whatever was started is stopped again.
    pub fn start(
        cluster: &str,
        brokers: usize,
        dir: &Path,
        detach: bool,
    ) -> Result<Servers, String> {
        if !binaries_present() {
            return Err(format!(
                "the RocketMQ {VERSION} servers are not installed in {} (`cargo xtask cluster up` installs them)",
                install_root().display()
            ));
        }
        if let Some(warning) = disk_warning(dir) {
            eprintln!("xtask: WARNING: {warning}");
        }
        let (namesrv_port, ports) =
            free_ports(brokers).map_err(|e| format!("finding free ports: {e}"))?;
        let namesrv = spawn_namesrv(dir, namesrv_port, detach)
            .map_err(|e| format!("starting {}: {e}", bin(NAMESRV_BIN).display()))?;
        let mut servers = Servers {
            dir: dir.to_path_buf(),
            cluster: cluster.to_string(),
            namesrv_port,
            namesrv,
            namesrv_log: namesrv_log(dir),
            brokers: Vec::new(),
            detach,
        };
        // A broker registers at startup and then only every 30 s: start brokers once the name
        // server accepts connections.
        if let Err(e) = servers.wait_namesrv() {
            servers.stop();
            return Err(e);
        }
        for (i, ports) in ports.into_iter().enumerate() {
            let name = broker_name(i);
            let files = BrokerFiles::new(dir, &name);
            let namesrv = servers.namesrv_addr();
            let started = files
                .write(cluster, &name, ports, &namesrv)
                .and_then(|()| spawn_broker(&files, &namesrv, detach));
            match started {
                Ok(child) => servers.brokers.push(BrokerProc {
                    name,
                    ports,
                    files,
                    child: Some(child),
                }),
                Err(e) => {
                    servers.stop();
                    return Err(format!("starting {name}: {e}"));
                }
            }
        }
        if let Err(e) = servers.wait_ready() {
            servers.stop();
            return Err(e);
        }
        Ok(servers)
    }

    /// `127.0.0.1:<port>` of the name server.
    pub fn namesrv_addr(&self) -> String {
        format!("127.0.0.1:{}", self.namesrv_port)
    }

    /// The broker called `name`.
    pub fn broker(&self, name: &str) -> Option<&BrokerProc> {
        self.brokers.iter().find(|b| b.name == name)
    }

    /// Every running process's pid, name server first.
    pub fn pids(&self) -> Vec<u32> {
        let mut pids = vec![self.namesrv.id()];
        pids.extend(self.brokers.iter().filter_map(BrokerProc::pid));
        pids
    }

    /// The processes and logs [`wait_registered`] watches.
    pub fn watched(&self) -> Vec<Watched<'_>> {
        let mut w = vec![Watched {
            label: "namesrv",
            pid: self.namesrv.id(),
            log: &self.namesrv_log,
        }];
        w.extend(self.brokers.iter().filter_map(|b| {
            b.pid().map(|pid| Watched {
                label: &b.name,
                pid,
                log: &b.files.log,
            })
        }));
        w
    }

    fn wait_namesrv(&self) -> Result<(), String> {
        wait_registered(&self.namesrv_addr(), &[], &self.watched(), START_TIMEOUT)
    }

    /// Waits until every running broker is listed and answers; see [`wait_registered`].
    pub fn wait_ready(&self) -> Result<(), String> {
        let brokers: Vec<(String, String)> = self
            .brokers
            .iter()
            .filter(|b| b.child.is_some())
            .map(|b| (b.name.clone(), b.addr()))
            .collect();
        wait_registered(
            &self.namesrv_addr(),
            &brokers,
            &self.watched(),
            START_TIMEOUT,
        )
    }

    /// Kills broker `name` with SIGKILL (as a crash would) and reaps it.
    ///
    /// # Errors
    /// No broker has that name.
    pub fn kill_broker(&mut self, name: &str) -> Result<(), String> {
        let broker = self
            .brokers
            .iter_mut()
            .find(|b| b.name == name)
            .ok_or_else(|| format!("no broker {name}"))?;
        if let Some(mut child) = broker.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        Ok(())
    }

    /// Starts broker `name` again (stopping it first if it runs) with the same config, ports
    /// and store, and waits until it is listed and answers.
    ///
    /// # Errors
    /// No broker has that name, or it does not come back; see [`Servers::start`].
    pub fn restart_broker(&mut self, name: &str) -> Result<(), String> {
        let namesrv = self.namesrv_addr();
        let detach = self.detach;
        let broker = self
            .brokers
            .iter_mut()
            .find(|b| b.name == name)
            .ok_or_else(|| format!("no broker {name}"))?;
        if let Some(mut child) = broker.child.take() {
            terminate(child.id(), STOP_GRACE);
            let _ = child.wait();
        }
        let files = broker.files.clone();
        // rocketmq-broker 1.0.0 sometimes dies during a start that follows a kill within
        // seconds (it registers, then fails a lifecycle step); another try a moment later
        // succeeds. Give it three.
        let mut last_error = String::new();
        for attempt in 1..=RESTART_ATTEMPTS {
            let child = spawn_broker(&files, &namesrv, detach)
                .map_err(|e| format!("restarting {name}: {e}"))?;
            if let Some(b) = self.brokers.iter_mut().find(|b| b.name == name) {
                b.child = Some(child);
            }
            match self.wait_ready() {
                Ok(()) => return Ok(()),
                Err(e) if attempt < RESTART_ATTEMPTS => {
                    last_error = e;
                    if let Some(mut dead) = self
                        .brokers
                        .iter_mut()
                        .find(|b| b.name == name)
                        .and_then(|b| b.child.take())
                    {
                        terminate(dead.id(), STOP_GRACE);
                        let _ = dead.wait();
                    }
                    std::thread::sleep(std::time::Duration::from_secs(2));
                }
                Err(e) => {
                    return Err(format!(
                        "{e} (after {RESTART_ATTEMPTS} attempts; first: {last_error})"
                    ))
                }
            }
        }
        Err(last_error)
    }

    /// Stops every broker, then the name server ([`ask_to_stop`], SIGKILL after [`STOP_GRACE`]), and
    /// reaps them. The directory stays.
    pub fn stop(&mut self) {
        let mut children: Vec<&mut Child> = self
            .brokers
            .iter_mut()
            .filter_map(|b| b.child.as_mut())
            .collect();
        stop_children(&mut children);
        for b in &mut self.brokers {
            b.child = None;
        }
        stop_children(&mut [&mut self.namesrv]);
    }
}

/// [`ask_to_stop`] to all, then SIGKILL to whatever is left after [`STOP_GRACE`]; reaps them.
fn stop_children(children: &mut [&mut Child]) {
    for c in children.iter() {
        ask_to_stop(c.id());
    }
    let start = Instant::now();
    while start.elapsed() < STOP_GRACE
        && children
            .iter_mut()
            .any(|c| matches!(c.try_wait(), Ok(None)))
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    for c in children.iter_mut() {
        if matches!(c.try_wait(), Ok(None)) {
            let _ = c.kill();
        }
        let _ = c.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_hold_the_ci_broker_keys_and_no_bind_address() {
        let ports = BrokerPorts {
            listen: 20911,
            ha: 20912,
        };
        let text = broker_properties(
            "c1",
            "broker-a",
            ports,
            "127.0.0.1:9876",
            Path::new("/tmp/s"),
        );
        assert!(text.contains("listenPort=20911\n"));
        assert!(text.contains("storePathCommitLog=/tmp/s/commitlog\n"));
        assert!(text.contains("commitLogMicroBatchEnabled=false\n"));
        assert!(!text.contains("bindAddress"));
        assert_eq!(text.lines().count(), 14);
    }

    #[test]
    fn free_ports_are_distinct_and_leave_the_fast_port_free() {
        let (ns, brokers) = free_ports(2).expect("free ports");
        let mut all = vec![ns];
        for b in &brokers {
            all.extend([b.listen, b.ha, b.listen - 2]);
        }
        let mut dedup = all.clone();
        dedup.sort_unstable();
        dedup.dedup();
        assert_eq!(dedup.len(), all.len(), "{all:?}");
    }
}
