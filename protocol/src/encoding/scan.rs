//! Byte scans shared by the JSON header encoder and decoder, eight bytes at a time.
//!
//! Each answers whether (or where) a byte of a class occurs; the word tests are the classic
//! "has a zero byte" tricks: exact for existence, and the lowest flagged byte is the first hit.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Some byte of `x` is zero.
const fn has_zero(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// Some byte of `x` is below `n` (`n <= 0x80`).
const fn has_below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * n as u64) & !x & HIGHS
}

/// Some byte of `x` equals `b`.
const fn has_byte(x: u64, b: u8) -> u64 {
    has_zero(x ^ (ONES * b as u64))
}

fn words(bytes: &[u8]) -> impl Iterator<Item = (usize, u64)> + '_ {
    bytes.chunks_exact(8).enumerate().map(|(i, chunk)| {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        (i * 8, u64::from_le_bytes(word))
    })
}

/// A byte JSON does not allow raw in a string: `"`, `\` or a control character.
fn is_json_stop(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// The position of the first `"`, `\` or control byte.
pub(crate) fn find_json_stop(bytes: &[u8]) -> Option<usize> {
    let mut tail = 0;
    for (at, x) in words(bytes) {
        let hits = has_byte(x, b'"') | has_byte(x, b'\\') | has_below(x, 0x20);
        if hits != 0 {
            // False positives only sit above a true hit (a borrow moves upward), so the
            // lowest flagged byte is the first stop byte.
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        tail = at + 8;
    }
    bytes[tail..]
        .iter()
        .position(|&b| is_json_stop(b))
        .map(|i| tail + i)
}

/// Whether fastjson might escape a byte of `bytes`: a JSON stop byte, DEL, or any non-ASCII
/// byte (the escaper decides exactly).
pub(crate) fn may_need_escape(bytes: &[u8]) -> bool {
    let mut tail = 0;
    for (at, x) in words(bytes) {
        let hit = has_byte(x, b'"')
            | has_byte(x, b'\\')
            | has_below(x, 0x20)
            | has_byte(x, 0x7f)
            | (x & HIGHS);
        if hit != 0 {
            return true;
        }
        tail = at + 8;
    }
    bytes[tail..].iter().any(|&b| is_json_stop(b) || b >= 0x7f)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn word_scans_match_byte_scans(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(find_json_stop(&bytes), bytes.iter().position(|&b| is_json_stop(b)));
            prop_assert_eq!(
                may_need_escape(&bytes),
                bytes.iter().any(|&b| is_json_stop(b) || b >= 0x7f)
            );
        }
    }

    #[test]
    fn every_single_special_byte_is_found_at_every_position() {
        for b in 0..=255u8 {
            for at in 0..17 {
                let mut bytes = vec![b'a'; 17];
                bytes[at] = b;
                let stop = is_json_stop(b).then_some(at);
                assert_eq!(find_json_stop(&bytes), stop, "byte {b:#x} at {at}");
                assert_eq!(may_need_escape(&bytes), is_json_stop(b) || b >= 0x7f);
            }
        }
    }
}
