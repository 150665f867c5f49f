//! Fault injection and request counting for one node (a broker or the name server): the rules a
//! test sets at run time and the per-code request counters it asserts on.
//!
//! This module only decides; the connection task (`server::conn`) applies the decisions.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rmq_protocol::ResponseCode;

/// At most this many distinct request codes are counted or carry a rule; beyond it, new codes
/// are neither counted nor given rules (the code space Java uses has under 150 codes).
pub(crate) const MAX_CODES: usize = 1024;

/// The fault rules and request counters of one node.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    frozen: AtomicBool,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    latency: HashMap<i32, Duration>,
    inject: HashMap<i32, Injection>,
    close_mid_frame: HashSet<i32>,
    drop: Option<Dropper>,
    counts: HashMap<i32, u64>,
}

#[derive(Debug, Clone, Copy)]
struct Injection {
    code: ResponseCode,
    remaining: u64,
}

/// Drops a seeded fraction of responses: splitmix64, so a seed replays the same choices.
#[derive(Debug)]
struct Dropper {
    /// `fraction` scaled to the full `u64` range.
    threshold: u64,
    state: u64,
}

impl Dropper {
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// What to do with one request, decided when it arrives.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Plan {
    /// Wait this long before answering.
    pub latency: Duration,
    /// Answer with this code instead of serving the request.
    pub inject: Option<ResponseCode>,
    /// Write half of the response frame, then close the connection.
    pub close_mid_frame: bool,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Faults {
    /// Counts a request with `code` and decides how to treat it (consuming one injection and
    /// the one-shot mid-frame close).
    pub(crate) fn on_request(&self, code: i32) -> Plan {
        let mut state = lock(&self.state);
        if state.counts.len() < MAX_CODES || state.counts.contains_key(&code) {
            *state.counts.entry(code).or_insert(0) += 1;
        }
        let latency = state.latency.get(&code).copied().unwrap_or_default();
        let inject = match state.inject.get_mut(&code) {
            Some(rule) if rule.remaining > 0 => {
                rule.remaining -= 1;
                Some(rule.code)
            }
            _ => None,
        };
        if state.inject.get(&code).is_some_and(|r| r.remaining == 0) {
            state.inject.remove(&code);
        }
        let close_mid_frame = state.close_mid_frame.remove(&code);
        Plan {
            latency,
            inject,
            close_mid_frame,
        }
    }

    /// Whether the next response is dropped, per the seeded fraction.
    pub(crate) fn drop_response(&self) -> bool {
        let mut state = lock(&self.state);
        match state.drop.as_mut() {
            Some(dropper) => {
                let threshold = dropper.threshold;
                dropper.next() < threshold
            }
            None => false,
        }
    }

    /// Requests with `code` received so far (frozen or not).
    pub(crate) fn requests(&self, code: i32) -> u64 {
        lock(&self.state).counts.get(&code).copied().unwrap_or(0)
    }

    /// Requests of every code received so far.
    pub(crate) fn total_requests(&self) -> u64 {
        lock(&self.state).counts.values().sum()
    }

    /// Sets every request counter back to zero.
    pub(crate) fn reset_requests(&self) {
        lock(&self.state).counts.clear();
    }

    /// Whether the node is frozen.
    pub(crate) fn is_frozen(&self) -> bool {
        self.frozen.load(Relaxed)
    }

    /// Freezes (`true`) or thaws (`false`) the node.
    pub(crate) fn set_frozen(&self, frozen: bool) {
        self.frozen.store(frozen, Relaxed);
    }

    /// Adds `delay` before every answer to `code` (zero removes it).
    pub(crate) fn set_latency(&self, code: i32, delay: Duration) {
        let mut state = lock(&self.state);
        if delay.is_zero() {
            state.latency.remove(&code);
        } else if state.latency.len() < MAX_CODES || state.latency.contains_key(&code) {
            state.latency.insert(code, delay);
        }
    }

    /// Answers the next `n` requests with `code` by `response` (zero removes the rule).
    pub(crate) fn inject(&self, code: i32, response: ResponseCode, n: u64) {
        let mut state = lock(&self.state);
        if n == 0 {
            state.inject.remove(&code);
        } else if state.inject.len() < MAX_CODES || state.inject.contains_key(&code) {
            let rule = Injection {
                code: response,
                remaining: n,
            };
            state.inject.insert(code, rule);
        }
    }

    /// Closes the connection in the middle of the response to the next request with `code`.
    pub(crate) fn close_mid_frame_next(&self, code: i32) {
        let mut state = lock(&self.state);
        if state.close_mid_frame.len() < MAX_CODES {
            state.close_mid_frame.insert(code);
        }
    }

    /// Drops `fraction` (clamped to `0.0..=1.0`) of responses, chosen by a PRNG seeded with
    /// `seed`; a fraction of zero stops dropping.
    pub(crate) fn drop_responses(&self, fraction: f64, seed: u64) {
        let fraction = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        let threshold = if fraction >= 1.0 {
            u64::MAX
        } else {
            // Exact enough: the fraction is a test's knob, not a measurement.
            (fraction * u64::MAX as f64) as u64
        };
        lock(&self.state).drop = (threshold > 0).then_some(Dropper {
            threshold,
            state: seed,
        });
    }

    /// Removes every rule (latency, injections, mid-frame closes, drops) and thaws; counters stay.
    pub(crate) fn clear(&self) {
        let mut state = lock(&self.state);
        state.latency.clear();
        state.inject.clear();
        state.close_mid_frame.clear();
        state.drop = None;
        self.frozen.store(false, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injection_applies_to_exactly_n_requests_of_its_code() {
        let faults = Faults::default();
        faults.inject(10, ResponseCode::SYSTEM_BUSY, 2);
        assert_eq!(faults.on_request(11).inject, None);
        assert_eq!(
            faults.on_request(10).inject,
            Some(ResponseCode::SYSTEM_BUSY)
        );
        assert_eq!(
            faults.on_request(10).inject,
            Some(ResponseCode::SYSTEM_BUSY)
        );
        assert_eq!(faults.on_request(10).inject, None);
        assert_eq!(faults.requests(10), 3);
        assert_eq!(faults.requests(11), 1);
        assert_eq!(faults.total_requests(), 4);
        faults.reset_requests();
        assert_eq!(faults.requests(10), 0);
    }

    #[test]
    fn mid_frame_close_is_one_shot() {
        let faults = Faults::default();
        faults.close_mid_frame_next(34);
        assert!(faults.on_request(34).close_mid_frame);
        assert!(!faults.on_request(34).close_mid_frame);
    }

    #[test]
    fn dropped_responses_replay_with_the_same_seed_and_match_the_fraction() {
        let run = |seed| {
            let faults = Faults::default();
            faults.drop_responses(0.25, seed);
            (0..4000)
                .map(|_| faults.drop_response())
                .collect::<Vec<_>>()
        };
        let a = run(7);
        assert_eq!(a, run(7));
        assert_ne!(a, run(8));
        let dropped = a.iter().filter(|d| **d).count();
        assert!((800..1200).contains(&dropped), "dropped {dropped} of 4000");
    }

    #[test]
    fn drop_fraction_bounds() {
        let faults = Faults::default();
        faults.drop_responses(1.0, 1);
        assert!((0..100).all(|_| faults.drop_response()));
        faults.drop_responses(0.0, 1);
        assert!((0..100).all(|_| !faults.drop_response()));
        faults.drop_responses(f64::NAN, 1);
        assert!(!faults.drop_response());
    }

    #[test]
    fn latency_is_per_code_and_zero_removes_it() {
        let faults = Faults::default();
        faults.set_latency(10, Duration::from_millis(50));
        assert_eq!(faults.on_request(10).latency, Duration::from_millis(50));
        assert_eq!(faults.on_request(11).latency, Duration::ZERO);
        faults.set_latency(10, Duration::ZERO);
        assert_eq!(faults.on_request(10).latency, Duration::ZERO);
    }
}
