//! Message ids: the broker's offset message id and the client's unique id (`UNIQ_KEY`).
//!
//! ```text
//! offset msg id:  store IP (4|16) | store port i32 | commit-log offset i64       -> 32|56 hex
//! unique id:      client IP (4|16) | pid i16 | random i32 | ms since month start u32
//!                 | counter u16                                                  -> 32|56 hex
//! ```
//!
//! Both are upper-case hex and both are 32 characters for IPv4: the length does not tell them
//! apart. Finding the local IP is not done here (no sockets in this crate); the client passes it
//! to [`init_global`].

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// Upper-case hex of `bytes` (Java `UtilAll.bytes2string`).
pub fn to_hex_upper(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex_upper(&mut out, bytes);
    out
}

/// Appends `bytes` to `out` as upper-case hex, two digits per byte.
fn push_hex_upper(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xF)]));
    }
}

/// Bytes of a hex string in either case (Java `UtilAll.string2bytes` upper-cases first).
///
/// # Errors
/// [`Error::InvalidField`] for an odd length or a non-hex character.
pub fn from_hex(hex: &str) -> Result<Vec<u8>> {
    let bad = || Error::InvalidField {
        field: "message id",
        value: hex.to_owned(),
    };
    if hex.len() % 2 != 0 {
        return Err(bad());
    }
    let nibble = |c: u8| char::from(c).to_digit(16).ok_or_else(bad);
    hex.as_bytes()
        .chunks_exact(2)
        .map(|pair| Ok(((nibble(pair[0])? << 4) | nibble(pair[1])?) as u8))
        .collect()
}

/// The offset message id of a record stored by `store_host` at `commit_log_offset`.
pub fn offset_msg_id(store_host: SocketAddr, commit_log_offset: i64) -> String {
    let mut buf = Vec::with_capacity(28);
    push_ip(&mut buf, store_host.ip());
    buf.extend_from_slice(&i32::from(store_host.port()).to_be_bytes());
    buf.extend_from_slice(&commit_log_offset.to_be_bytes());
    to_hex_upper(&buf)
}

/// A decoded offset message id: where the record lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OffsetMsgId {
    /// The broker that stored the record.
    pub store_host: SocketAddr,
    /// The record's commit-log offset.
    pub commit_log_offset: i64,
}

/// Decodes an offset message id (32 hex chars for IPv4, 56 for IPv6; either case).
///
/// # Errors
/// [`Error::InvalidField`] for another length, non-hex text or a port above 65535.
pub fn decode_offset_msg_id(id: &str) -> Result<OffsetMsgId> {
    let bytes = from_hex(id)?;
    let ip_len = match bytes.len() {
        16 => 4,
        28 => 16,
        _ => return Err(invalid_id(id)),
    };
    let (ip, rest) = bytes.split_at(ip_len);
    let port = i32::from_be_bytes(array(&rest[..4]));
    let port = u16::try_from(port).map_err(|_| invalid_id(id))?;
    Ok(OffsetMsgId {
        store_host: SocketAddr::new(ip_from(ip), port),
        commit_log_offset: i64::from_be_bytes(array(&rest[4..12])),
    })
}

/// The parts of a unique id (`UNIQ_KEY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UniqueIdParts {
    /// The producer's IP.
    pub ip: IpAddr,
    /// The producer's process id, truncated to 16 bits.
    pub pid: u16,
    /// Java's class-loader hash; a random number in other clients.
    pub classloader_hash: i32,
    /// Milliseconds since the start of the month the id was made in (wraps after ~49 days).
    pub ms_since_month_start: u32,
    /// The process-wide counter, low 16 bits.
    pub counter: u16,
}

/// Decodes a unique id (32 hex chars for an IPv4 producer, 56 for IPv6; either case).
///
/// # Errors
/// [`Error::InvalidField`] for another length or non-hex text.
pub fn decode_unique_id(id: &str) -> Result<UniqueIdParts> {
    let bytes = from_hex(id)?;
    let ip_len = match bytes.len() {
        16 => 4,
        28 => 16,
        _ => return Err(invalid_id(id)),
    };
    let (ip, rest) = bytes.split_at(ip_len);
    Ok(UniqueIdParts {
        ip: ip_from(ip),
        pid: u16::from_be_bytes(array(&rest[0..2])),
        classloader_hash: i32::from_be_bytes(array(&rest[2..6])),
        ms_since_month_start: u32::from_be_bytes(array(&rest[6..10])),
        counter: u16::from_be_bytes(array(&rest[10..12])),
    })
}

impl UniqueIdParts {
    /// When the id was made, give or take: the start of `now`'s month (UTC) plus the time
    /// field, or the previous month's start if that lands at or after `now`
    /// (Java `MessageClientIDSetter.getNearlyTimeFromID`).
    pub fn nearly_time(&self, now: SystemTime) -> SystemTime {
        let ms = self.nearly_time_ms(millis_since_epoch(now));
        UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
    }

    /// [`Self::nearly_time`] in ms since the epoch.
    pub fn nearly_time_ms(&self, now_ms: i64) -> i64 {
        let span = i64::from(self.ms_since_month_start);
        let mut start = month_start_ms(now_ms, 0);
        if start + span >= now_ms {
            start = month_start_ms(now_ms, -1);
        }
        start + span
    }
}

/// Makes unique ids: a constant prefix (IP, pid, random number) plus time and counter.
#[derive(Debug)]
pub struct UniqueIdGenerator {
    prefix: String,
    counter: AtomicU32,
}

impl UniqueIdGenerator {
    /// A generator for a process at `ip` with id `pid`; `seed` fills the field where Java puts
    /// its class-loader hash (any value, random by default).
    pub fn new(ip: IpAddr, pid: u32, seed: u32) -> Self {
        let mut fixed = Vec::with_capacity(22);
        push_ip(&mut fixed, ip);
        // Java writes the pid as a short: only its low 16 bits.
        fixed.extend_from_slice(&(pid as u16).to_be_bytes());
        fixed.extend_from_slice(&seed.to_be_bytes());
        UniqueIdGenerator {
            prefix: to_hex_upper(&fixed),
            counter: AtomicU32::new(0),
        }
    }

    /// The constant part of every id this generator makes.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A new id made now.
    pub fn next_id(&self) -> String {
        self.next_id_at(SystemTime::now())
    }

    /// A new id made at `now`.
    pub fn next_id_at(&self, now: SystemTime) -> String {
        let now_ms = millis_since_epoch(now);
        // Java: MessageClientIDSetter#createUniqIDBuffer, an int that wraps past day ~24.8 and
        // is zeroed when a clock step makes it slightly negative.
        let mut diff = now_ms.wrapping_sub(month_start_ms(now_ms, 0)) as i32;
        if diff < 0 && diff > -1_000_000 {
            diff = 0;
        }
        let counter = self.counter.fetch_add(1, Ordering::Relaxed) as u16;
        let mut tail = [0u8; 6];
        tail[..4].copy_from_slice(&diff.to_be_bytes());
        tail[4..].copy_from_slice(&counter.to_be_bytes());
        let mut id = String::with_capacity(self.prefix.len() + 12);
        id.push_str(&self.prefix);
        push_hex_upper(&mut id, &tail);
        id
    }
}

static GLOBAL: OnceLock<UniqueIdGenerator> = OnceLock::new();

/// Sets up the process-wide generator for `ip`; returns false if it already exists (then the
/// first IP stays). Call it once at client start, before any [`unique_id`].
pub fn init_global(ip: IpAddr) -> bool {
    let mut created = false;
    GLOBAL.get_or_init(|| {
        created = true;
        UniqueIdGenerator::new(ip, std::process::id(), random_u32())
    });
    created
}

/// The process-wide generator. Without [`init_global`], its IP is made from the clock, as
/// Java's `createFakeIP` does when no address is found.
pub fn global() -> &'static UniqueIdGenerator {
    GLOBAL.get_or_init(|| {
        let now = millis_since_epoch(SystemTime::now()).to_be_bytes();
        let fake = Ipv4Addr::new(now[4], now[5], now[6], now[7]);
        UniqueIdGenerator::new(IpAddr::V4(fake), std::process::id(), random_u32())
    })
}

/// A new unique id from the process-wide generator.
pub fn unique_id() -> String {
    global().next_id()
}

fn invalid_id(id: &str) -> Error {
    Error::InvalidField {
        field: "message id",
        value: id.to_owned(),
    }
}

fn push_ip(buf: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => buf.extend_from_slice(&v4.octets()),
        IpAddr::V6(v6) => buf.extend_from_slice(&v6.octets()),
    }
}

/// `bytes` holds 4 or 16 bytes (callers split at those lengths).
fn ip_from(bytes: &[u8]) -> IpAddr {
    match bytes.len() {
        4 => IpAddr::V4(Ipv4Addr::from(array::<4>(bytes))),
        _ => IpAddr::V6(Ipv6Addr::from(array::<16>(bytes))),
    }
}

/// The first `N` bytes of `bytes`, zero-padded if shorter (callers pass exact slices).
fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let n = bytes.len().min(N);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

fn random_u32() -> u32 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_i64(millis_since_epoch(SystemTime::now()));
    hasher.finish() as u32
}

fn millis_since_epoch(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

const MS_PER_DAY: i64 = 86_400_000;

/// Start (UTC, ms since the epoch) of the month `month_delta` months from the one holding `ms`.
fn month_start_ms(ms: i64, month_delta: i64) -> i64 {
    let (year, month, _) = civil_from_days(ms.div_euclid(MS_PER_DAY));
    let months = year * 12 + (month - 1) + month_delta;
    days_from_civil(months.div_euclid(12), months.rem_euclid(12) + 1, 1) * MS_PER_DAY
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_msg_id_matches_the_documented_example() {
        let addr: SocketAddr = "10.0.0.2:10911".parse().expect("addr");
        assert_eq!(
            offset_msg_id(addr, 1000),
            "0A00000200002A9F00000000000003E8"
        );
        let back = decode_offset_msg_id("0a00000200002a9f00000000000003e8").expect("decode");
        assert_eq!(back.store_host, addr);
        assert_eq!(back.commit_log_offset, 1000);
    }

    #[test]
    fn decode_rejects_other_lengths_and_non_hex() {
        assert!(decode_offset_msg_id("0A00").is_err());
        assert!(decode_offset_msg_id("0A00000200002A9F00000000000003EZ").is_err());
        assert!(decode_unique_id("").is_err());
        assert!(from_hex("é0").is_err());
    }

    #[test]
    fn month_start_handles_year_boundaries() {
        // 2026-01-15T00:00:00Z.
        let jan15 = days_from_civil(2026, 1, 15) * MS_PER_DAY;
        assert_eq!(
            month_start_ms(jan15, 0),
            days_from_civil(2026, 1, 1) * MS_PER_DAY
        );
        assert_eq!(
            month_start_ms(jan15, -1),
            days_from_civil(2025, 12, 1) * MS_PER_DAY
        );
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(month_start_ms(0, 0), 0);
    }

    #[test]
    fn generated_ids_decode_to_their_parts() {
        let ip = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10));
        let gen = UniqueIdGenerator::new(ip, 0x1_3039, 0x1234_5678);
        let now = UNIX_EPOCH + Duration::from_millis(1_795_249_269_422);
        let first = gen.next_id_at(now);
        let second = gen.next_id_at(now);
        assert_eq!(first.len(), 32);
        assert!(first.starts_with("C0A8010A303912345678"));
        let (a, b) = (
            decode_unique_id(&first).expect("a"),
            decode_unique_id(&second).expect("b"),
        );
        assert_eq!((a.ip, a.pid, a.classloader_hash), (ip, 0x3039, 0x1234_5678));
        assert_eq!(b.counter, a.counter + 1);
        let later = now + Duration::from_millis(1);
        assert_eq!(a.nearly_time(later), now);
    }

    #[test]
    fn ipv6_producers_make_56_char_ids() {
        let gen = UniqueIdGenerator::new("fd00::2".parse().expect("ip"), 7673, 1);
        let id = gen.next_id();
        assert_eq!(id.len(), 56);
        assert_eq!(decode_unique_id(&id).expect("decode").ip, gen_ip());
        fn gen_ip() -> IpAddr {
            "fd00::2".parse().expect("ip")
        }
    }

    #[test]
    fn global_generator_is_shared() {
        let a = unique_id();
        let b = unique_id();
        assert_ne!(a, b);
        assert_eq!(a[..20], b[..20]);
    }
}
