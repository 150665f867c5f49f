//! `cargo xtask demo`: the README's main job. Starts a cluster, asks the name server what it
//! knows (with xtask's tiny client), then produces a message and consumes it back with the real
//! clients (`rmq-tests`' `produce_consume` example), and stops the cluster.

use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::cluster::Session;
use crate::server::{self, wire};

/// The end-to-end example in `tests/examples`.
const EXAMPLE: &str = "produce_consume";

/// The topic every broker creates at startup when `autoCreateTopicEnable` is on.
const DEFAULT_TOPIC: &str = "TBW102";

pub fn run(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        bail!("usage: cargo xtask demo");
    }
    let session = Session::open(1)?;
    let namesrv = &session.state.namesrv;
    let timeout = Duration::from_secs(3);

    println!(
        "\n== GET_BROKER_CLUSTER_INFO ({}) from {namesrv}",
        wire::GET_BROKER_CLUSTER_INFO
    );
    let info = server::cluster_info(namesrv, timeout).context("cluster info")?;
    println!("{info}");

    println!(
        "\n== GET_ROUTEINFO_BY_TOPIC ({}) topic={DEFAULT_TOPIC}",
        wire::GET_ROUTEINFO_BY_TOPIC
    );
    let route = server::request(
        namesrv,
        wire::GET_ROUTEINFO_BY_TOPIC,
        &[("topic", DEFAULT_TOPIC)],
        timeout,
    )
    .context("route query")?;
    if route.code != 0 {
        bail!("route query answered code {}: {}", route.code, route.header);
    }
    println!("{}", route.body);

    let broker = session.state.broker();
    if !info.contains(broker) || !route.body.contains(broker) {
        bail!("the answers do not mention broker {broker}");
    }
    println!("\nthe name server knows broker {broker} and routes {DEFAULT_TOPIC} to it");

    let example = crate::root()
        .join("tests/examples")
        .join(format!("{EXAMPLE}.rs"));
    if example.exists() {
        println!("\n== produce a message and consume it back (example `{EXAMPLE}`)");
        let mut cmd = crate::cargo();
        cmd.args(["run", "--quiet", "-p", "rmq-tests", "--example", EXAMPLE]);
        cmd.env("NAMESRV_ADDR", namesrv);
        for (k, v) in session.state.test_env() {
            cmd.env(k, v);
        }
        crate::run_cmd(&mut cmd)?;
    }
    println!("\ndemo ok");
    Ok(())
}
