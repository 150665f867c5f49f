//! `cargo xtask demo`: start a cluster, ask the name server what it knows, print it, stop.
//!
//! For now this uses xtask's tiny remoting client; it will produce and consume a message
//! through the real clients once they exist.

use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::cluster::Session;
use crate::server::{self, wire};

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
    println!("\ndemo ok: the name server knows broker {broker} and routes {DEFAULT_TOPIC} to it");
    Ok(())
}
