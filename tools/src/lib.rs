//! Code shared by the `rmq-tools` binaries. Only the benchmark tools share anything so far:
//! [`bench`](mod@bench) holds their Java-compatible option handling, latency histograms and report lines.
//! The binaries themselves (`src/bin/`) parse, connect and print; this library does no I/O.
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

pub mod bench;
