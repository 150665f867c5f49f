//! [`NameServerSelector`]: which name server to talk to. Sticky on the chosen address, moving to
//! the next one after a failure, with a list that can be replaced at runtime (Java fetches it
//! from an HTTP address server every two minutes). It picks addresses; it does not dial.

use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, MutexGuard};

/// Chooses a name server address the way Java's `NettyRemotingClient` does: keep using the
/// chosen one while it works, rotate from a random starting index when it fails.
///
/// ```
/// use rmq_remoting::NameServerSelector;
///
/// let selector = NameServerSelector::new(["10.0.0.1:9876", "10.0.0.2:9876"]);
/// let first = selector.current().expect("two addresses");
/// assert_eq!(selector.current().as_deref(), Some(first.as_str()), "sticky");
/// selector.mark_failed(&first);
/// assert_ne!(selector.current().as_deref(), Some(first.as_str()), "rotated");
/// ```
#[derive(Debug)]
pub struct NameServerSelector {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    addrs: Vec<String>,
    chosen: Option<String>,
    next: usize,
}

impl NameServerSelector {
    /// A selector over `addrs`, in order; the first pick starts at a random index so that
    /// clients spread over the name servers.
    pub fn new<I, S>(addrs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let addrs: Vec<String> = addrs.into_iter().map(Into::into).collect();
        let next = (RandomState::new().hash_one(0u8) % (u32::MAX as u64)) as usize;
        NameServerSelector {
            state: Mutex::new(State {
                addrs,
                chosen: None,
                next,
            }),
        }
    }

    /// Parses Java's `namesrvAddr` form, addresses separated by `;` (blanks ignored).
    pub fn parse(list: &str) -> Self {
        NameServerSelector::new(split_list(list))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The configured addresses.
    pub fn addrs(&self) -> Vec<String> {
        self.lock().addrs.clone()
    }

    /// Number of configured addresses.
    pub fn len(&self) -> usize {
        self.lock().addrs.len()
    }

    /// Whether no address is configured.
    pub fn is_empty(&self) -> bool {
        self.lock().addrs.is_empty()
    }

    /// Replaces the list; returns whether it changed. The chosen address is kept only if it is
    /// still listed, in the same critical section, so a removed name server is never picked
    /// again (Java rmq#2042 raced here).
    pub fn update<I, S>(&self, addrs: I) -> bool
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let addrs: Vec<String> = addrs.into_iter().map(Into::into).collect();
        let mut state = self.lock();
        if state.addrs == addrs {
            return false;
        }
        if let Some(chosen) = &state.chosen {
            if !addrs.contains(chosen) {
                state.chosen = None;
            }
        }
        state.addrs = addrs;
        true
    }

    /// The address to use now: the chosen one, or the next in rotation (which becomes chosen).
    /// `None` when the list is empty.
    pub fn current(&self) -> Option<String> {
        let mut state = self.lock();
        if let Some(chosen) = &state.chosen {
            return Some(chosen.clone());
        }
        if state.addrs.is_empty() {
            return None;
        }
        let index = state.next % state.addrs.len();
        state.next = state.next.wrapping_add(1);
        let addr = state.addrs[index].clone();
        state.chosen = Some(addr.clone());
        Some(addr)
    }

    /// Reports that `addr` failed: if it is the chosen one, the next call rotates.
    pub fn mark_failed(&self, addr: &str) {
        let mut state = self.lock();
        if state.chosen.as_deref() == Some(addr) {
            state.chosen = None;
        }
    }
}

/// Splits a `;`-separated address list, trimming blanks and dropping empty items.
pub(crate) fn split_list(list: &str) -> Vec<String> {
    list.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_visits_every_address_once_per_round() {
        let selector = NameServerSelector::new(["a:1", "b:1", "c:1"]);
        let mut seen = Vec::new();
        for _ in 0..3 {
            let addr = selector.current().expect("non-empty");
            seen.push(addr.clone());
            selector.mark_failed(&addr);
        }
        seen.sort();
        assert_eq!(seen, ["a:1", "b:1", "c:1"]);
    }

    #[test]
    fn failure_of_other_address_keeps_choice() {
        let selector = NameServerSelector::new(["a:1", "b:1"]);
        let chosen = selector.current().expect("non-empty");
        let other = if chosen == "a:1" { "b:1" } else { "a:1" };
        selector.mark_failed(other);
        assert_eq!(selector.current(), Some(chosen));
    }

    #[test]
    fn update_drops_removed_choice_and_keeps_listed_one() {
        let selector = NameServerSelector::new(["a:1"]);
        assert_eq!(selector.current().as_deref(), Some("a:1"));
        assert!(selector.update(["a:1", "b:1"]));
        assert_eq!(selector.current().as_deref(), Some("a:1"), "still listed");
        assert!(selector.update(["b:1"]));
        assert_eq!(selector.current().as_deref(), Some("b:1"));
        assert!(!selector.update(["b:1"]), "unchanged list");
    }

    #[test]
    fn parse_splits_java_style_list() {
        let selector = NameServerSelector::parse(" a:1; b:2 ;;");
        assert_eq!(selector.addrs(), ["a:1", "b:2"]);
        assert!(NameServerSelector::parse("").current().is_none());
    }
}
