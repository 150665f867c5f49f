//! `cargo xtask it [--brokers N] [-- CARGO TEST ARGS]`: the integration tests of `rmq-tests` against
//! a local cluster, which is started for the run (and always torn down) unless one is running.

use anyhow::{bail, Result};

use crate::cluster::{Session, State};

pub fn run(args: &[String]) -> Result<()> {
    let (brokers, test_args) = parse(args)?;
    let session = Session::open(brokers)?;
    run_tests(&session.state, test_args)
    // `session` drops here, after the tests, on success and on failure alike.
}

fn parse(args: &[String]) -> Result<(usize, &[String])> {
    let mut brokers = 1;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--" => return Ok((brokers, &args[i + 1..])),
            "--brokers" if i + 1 < args.len() => {
                brokers = args[i + 1].parse()?;
                i += 2;
            }
            other => bail!(
                "unknown argument `{other}` (usage: cargo xtask it [--brokers N] [-- CARGO TEST ARGS])"
            ),
        }
    }
    Ok((brokers, &[]))
}

/// `cargo test -p rmq-tests [args]` with the cluster's variables set; `args` go to cargo, so
/// `--test cluster_smoke -- --nocapture` works.
pub fn run_tests(state: &State, args: &[String]) -> Result<()> {
    let mut cmd = crate::cargo();
    cmd.args(["test", "-p", "rmq-tests"]).args(args);
    for (k, v) in state.test_env() {
        cmd.env(k, v);
    }
    crate::run_cmd(&mut cmd)
}
