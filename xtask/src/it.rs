//! `cargo xtask it [--real] [--brokers N] [-- CARGO TEST ARGS]`: the integration tests of
//! `rmq-tests`. By default each test process starts an embedded `rmq-testkit` cluster; with
//! `--real` they run against the crates.io servers, started for the run (and always torn down)
//! unless a cluster from `cargo xtask cluster up` is running.

use anyhow::{bail, Result};

use crate::cluster::{Session, State};

pub fn run(args: &[String]) -> Result<()> {
    let (real, brokers, test_args) = parse(args)?;
    if !real {
        eprintln!("xtask: integration tests on the embedded rmq-testkit cluster (--real: the crates.io servers)");
        return run_tests(None, test_args);
    }
    let session = Session::open(brokers)?;
    run_tests(Some(&session.state), test_args)
    // `session` drops here, after the tests, on success and on failure alike.
}

fn parse(args: &[String]) -> Result<(bool, usize, &[String])> {
    let mut brokers = 1;
    let mut real = false;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--" => return Ok((real, brokers, &args[i + 1..])),
            "--real" => {
                real = true;
                i += 1;
            }
            "--brokers" if i + 1 < args.len() => {
                brokers = args[i + 1].parse()?;
                i += 2;
            }
            other => bail!(
                "unknown argument `{other}` (usage: cargo xtask it [--real] [--brokers N] [-- CARGO TEST ARGS])"
            ),
        }
    }
    Ok((real, brokers, &[]))
}

/// `cargo test -p rmq-tests [args]`, with the real cluster's variables set when there is one and
/// removed when there is not (so a caller's stale `RMQ_TEST_*` cannot redirect the embedded
/// run); `args` go to cargo, so `--test cluster_smoke -- --nocapture` works.
pub fn run_tests(state: Option<&State>, args: &[String]) -> Result<()> {
    let mut cmd = crate::cargo();
    cmd.args(["test", "-p", "rmq-tests"]).args(args);
    match state {
        Some(state) => {
            for (k, v) in state.test_env() {
                cmd.env(k, v);
            }
        }
        None => {
            for k in ["RMQ_TEST_NAMESRV", "RMQ_TEST_BROKER", "RMQ_TEST_CLUSTER"] {
                cmd.env_remove(k);
            }
        }
    }
    crate::run_cmd(&mut cmd)
}
