//! `rmq-testkit`: runs an embedded RocketMQ cluster until interrupted.

fn main() {}
