//! What `rmq-bench-producer` and `rmq-bench-consumer` share: Java's command-line conventions
//! ([`java_args`]), bounded latency histograms ([`latency`]) and Java's report lines
//! ([`line`](mod@line)). Pure code over values; the binaries own the clients and the clock.

pub mod java_args;
pub mod latency;
pub mod line;
