//! [`Version`]: the `version` field of every frame, the ordinal of Java's `MQVersion.Version`
//! enum (`V4_9_7` = 407), with names in both directions.
//!
//! Only the numbering lives here; which server behaviour depends on which version is documented
//! where it is used.

use std::fmt;

/// An `MQVersion.Version` ordinal as carried in a frame's `version` field.
///
/// From `V4_0_0_SNAPSHOT` (212) on, the enum is regular:
///
/// ```text
/// ordinal(Vmaj_min_patch)          = 213 + 200*(maj-4) + 20*min + 2*patch
/// ordinal(Vmaj_min_patch_SNAPSHOT) = that - 1
/// ```
///
/// The 3.x part before it has gaps (3.3 to 3.9 start at patch 1, 3.0.0 has alphas and betas);
/// the last entry is `HIGHER_VERSION` (612), and Java names every larger ordinal after it.
///
/// ```
/// use rmq_protocol::version::Version;
/// assert_eq!(Version::V4_9_7.0, 407);
/// assert_eq!(Version(407).name().as_deref(), Some("V4_9_7"));
/// assert_eq!(Version::from_name("V5_3_3"), Some(Version(479)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version(pub i32);

/// The 3.0.0 pre-releases at ordinals 0 to 15.
const V3_0_0_NAMES: [&str; 16] = [
    "V3_0_0_SNAPSHOT",
    "V3_0_0_ALPHA1",
    "V3_0_0_BETA1",
    "V3_0_0_BETA2",
    "V3_0_0_BETA3",
    "V3_0_0_BETA4",
    "V3_0_0_BETA5",
    "V3_0_0_BETA6_SNAPSHOT",
    "V3_0_0_BETA6",
    "V3_0_0_BETA7_SNAPSHOT",
    "V3_0_0_BETA7",
    "V3_0_0_BETA8_SNAPSHOT",
    "V3_0_0_BETA8",
    "V3_0_0_BETA9_SNAPSHOT",
    "V3_0_0_BETA9",
    "V3_0_0_FINAL",
];

const HIGHER_VERSION_NAME: &str = "HIGHER_VERSION";

impl Version {
    /// `V3_4_9` (121): brokers honour `maxReconsumeTimes` in send headers from this version on.
    pub const V3_4_9: Version = Version(121);
    /// `V4_0_0` (213).
    pub const V4_0_0: Version = Version::new(4, 0, 0);
    /// `V4_5_2` (317): what the Go client sends.
    pub const V4_5_2: Version = Version::new(4, 5, 2);
    /// `V4_9_3` (399).
    pub const V4_9_3: Version = Version::new(4, 9, 3);
    /// `V4_9_4` (401): name servers answer routes in standard JSON from this version on.
    pub const V4_9_4: Version = Version::new(4, 9, 4);
    /// `V4_9_7` (407).
    pub const V4_9_7: Version = Version::new(4, 9, 7);
    /// `V5_0_0` (413).
    pub const V5_0_0: Version = Version::new(5, 0, 0);
    /// `V5_3_1` (475): 5.3 servers send `GO_AWAY` only to clients above it.
    pub const V5_3_1: Version = Version::new(5, 3, 1);
    /// `V5_3_3` (479).
    pub const V5_3_3: Version = Version::new(5, 3, 3);
    /// `HIGHER_VERSION` (612), the enum's last entry.
    pub const HIGHER_VERSION: Version = Version(612);
    /// What this crate sends: `V4_9_7`, the same as [`crate::CURRENT_VERSION`].
    pub const CURRENT: Version = Version(crate::command::CURRENT_VERSION);

    /// The release `Vmajor_minor_patch` for `major >= 4` (the formula above; meaningless for
    /// 3.x).
    pub const fn new(major: i32, minor: i32, patch: i32) -> Version {
        Version(213 + 200 * (major - 4) + 20 * minor + 2 * patch)
    }

    /// Java's `MQVersion.getVersionDesc`: the enum name, `HIGHER_VERSION` for any ordinal past
    /// the end, and `None` for a negative ordinal (where Java throws).
    pub fn name(self) -> Option<String> {
        let n = self.0;
        let (major, minor, patch, snapshot) = match n {
            ..=-1 => return None,
            0..=15 => return V3_0_0_NAMES.get(n as usize).map(|s| (*s).to_owned()),
            16..=45 => (3, 0, 1 + (n - 16) / 2, (n - 16) % 2 == 0),
            46..=85 => (3, 1 + (n - 46) / 20, (n - 46) % 20 / 2, (n - 46) % 2 == 0),
            86..=211 => (
                3,
                3 + (n - 86) / 18,
                1 + (n - 86) % 18 / 2,
                (n - 86) % 2 == 0,
            ),
            212..=611 => {
                let r = n - 212;
                (4 + r / 200, r % 200 / 20, r % 20 / 2, r % 2 == 0)
            }
            _ => return Some(HIGHER_VERSION_NAME.to_owned()),
        };
        let suffix = if snapshot { "_SNAPSHOT" } else { "" };
        Some(format!("V{major}_{minor}_{patch}{suffix}"))
    }

    /// The ordinal of an enum name (`"V4_9_7"`, `"V4_9_8_SNAPSHOT"`, `"HIGHER_VERSION"`).
    pub fn from_name(name: &str) -> Option<Version> {
        if name == HIGHER_VERSION_NAME {
            return Some(Version::HIGHER_VERSION);
        }
        if let Some(i) = V3_0_0_NAMES.iter().position(|n| *n == name) {
            return i32::try_from(i).ok().map(Version);
        }
        let (release, snapshot) = match name.strip_suffix("_SNAPSHOT") {
            Some(release) => (release, true),
            None => (name, false),
        };
        let mut parts = release.strip_prefix('V')?.split('_');
        let mut next = || -> Option<i32> {
            let part = parts.next()?;
            // Reject signs and leading zeros so that only canonical names round trip.
            let canonical =
                part.bytes().all(|b| b.is_ascii_digit()) && (part == "0" || !part.starts_with('0'));
            canonical.then(|| part.parse().ok()).flatten()
        };
        let (major, minor, patch) = (next()?, next()?, next()?);
        if parts.next().is_some() || minor > 9 || patch > 15 {
            return None;
        }
        let release_ordinal = match (major, minor) {
            (3, 0) => 17 + 2 * (patch - 1),
            (3, 1..=2) => 47 + 20 * (minor - 1) + 2 * patch,
            (3, 3..=9) => 87 + 18 * (minor - 3) + 2 * (patch - 1),
            (4..=5, _) => Version::new(major, minor, patch).0,
            _ => return None,
        };
        let candidate = Version(release_ordinal - i32::from(snapshot));
        // The arithmetic accepts gaps (V3_3_0, V4_9_10); the round trip rejects them.
        (candidate.name().as_deref() == Some(name)).then_some(candidate)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) if *self < Version::HIGHER_VERSION => write!(f, "{name}({})", self.0),
            _ => write!(f, "Version({})", self.0),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl From<i32> for Version {
    fn from(ordinal: i32) -> Self {
        Version(ordinal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ordinal_round_trips_through_its_name() {
        for n in 0..Version::HIGHER_VERSION.0 {
            let name = Version(n).name().expect("named");
            assert_eq!(Version::from_name(&name), Some(Version(n)), "{name}");
        }
    }

    #[test]
    fn names_past_the_end_are_higher_version_and_negatives_have_none() {
        assert_eq!(Version(10_000).name().as_deref(), Some("HIGHER_VERSION"));
        assert_eq!(Version(-1).name(), None);
        assert_eq!(Version::from_name("V3_3_0"), None);
        assert_eq!(Version::from_name("V4_9_07"), None);
        assert_eq!(Version::from_name("V6_0_0"), None);
    }
}
