//! Whether the disk leaves the broker room to write: rocketmq-store 1.0.0 marks its store full
//! and refuses every write above a fixed share of the filesystem in use.

use std::path::Path;
use std::process::Command;

/// Disk use above which rocketmq-store 1.0.0 marks its store full and refuses every write
/// (`diskSpaceWarningLevelRatio`, capped at 90%): (total - available) / total of the filesystem.
const BROKER_DISK_FULL_RATIO: f64 = 0.90;

/// A warning when the filesystem holding `dir` is close to the broker's disk-full threshold,
/// from `df -Pk` (no warning when `df` is unavailable).
pub fn disk_warning(dir: &Path) -> Option<String> {
    let out = Command::new("df").arg("-Pk").arg(dir).output().ok()?;
    disk_warning_from_df(&String::from_utf8_lossy(&out.stdout), dir)
}

/// [`disk_warning`] for the text `df -Pk` printed.
fn disk_warning_from_df(df: &str, dir: &Path) -> Option<String> {
    let fields: Vec<&str> = df.lines().nth(1)?.split_whitespace().collect();
    let total: f64 = fields.get(1)?.parse().ok()?;
    let available: f64 = fields.get(3)?.parse().ok()?;
    if total <= 0.0 {
        return None;
    }
    let used = (total - available) / total;
    (used > BROKER_DISK_FULL_RATIO - 0.05).then(|| {
        format!(
            "the filesystem of {} is {:.0}% used ({:.1} GiB available); rocketmq-broker refuses \
             writes above {:.0}% (\"message store is unavailable for writes\"): free some space",
            dir.display(),
            used * 100.0,
            available / (1024.0 * 1024.0),
            BROKER_DISK_FULL_RATIO * 100.0
        )
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn disk_warning_fires_near_the_brokers_disk_full_ratio_only() {
        let dir = Path::new("/tmp/x");
        let df = |total: u64, avail: u64| {
            format!("Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda {total} 0 {avail} 0% /\n")
        };
        // What this machine looked like: 252 GiB, 67 GiB available (73% by the broker's count).
        assert_eq!(
            super::disk_warning_from_df(&df(264_241_152, 70_254_592), dir),
            None
        );
        // And when the broker refused writes: 25 GiB available (90%).
        let w = super::disk_warning_from_df(&df(264_241_152, 26_214_400), dir).expect("warning");
        assert!(
            w.contains("90% used") && w.contains("refuses writes above 90%"),
            "{w}"
        );
        assert_eq!(super::disk_warning_from_df("garbage", dir), None);
    }
}
