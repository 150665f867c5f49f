//! Message body compression: zlib, LZ4 frames and zstd frames, both ways.
//!
//! Every decompressor stops at an output limit, so a small "zip bomb" body cannot make the
//! client allocate without bound. Choosing *when* to compress (body size, batches) is the
//! producer's business, not this module's.
//!
//! ```text
//! sysFlag bit 0x1 set => body is compressed; algorithm from bits 8..10:
//!   0x000 (legacy) or 0x300  zlib stream (RFC 1950: 78 xx | deflate | Adler-32)   feature `zlib`
//!   0x100                    LZ4 frame   (04 22 4d 18 ...)                         feature `lz4`
//!   0x200                    zstd frame  (28 b5 2f fd ...)                         feature `zstd`
//! ```
//!
//! Each codec is a cargo feature (all on by default). The API is the same without one: that
//! type's compress and decompress return [`Error::CodecNotCompiled`], so a received message
//! of that type fails to decode with an error naming the feature, never a panic.

use crate::error::{Error, Result};
use crate::message::sysflag;

/// The zlib level Java producers use by default (`rocketmq.message.compressLevel`).
pub const DEFAULT_LEVEL: u32 = 5;

/// Default cap on a decompressed body: 64 MiB, sixteen times the broker's 4 MiB message limit.
pub const DEFAULT_MAX_DECOMPRESSED: usize = 64 << 20;

/// A body compression algorithm, as selected by sysFlag bits 8..10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CompressionType {
    /// zlib stream (RFC 1950); what every RocketMQ consumer can read.
    #[default]
    Zlib,
    /// LZ4 frame format; readable by consumers >= 4.9.4 only.
    Lz4,
    /// zstd frame; readable by consumers >= 4.9.4 only.
    Zstd,
}

impl CompressionType {
    /// The algorithm a compressed message's `sys_flag` names.
    ///
    /// Type bits `0` (pre-4.9.4 producers) and `0x300` both mean zlib. A type whose codec is
    /// not compiled in is still named here; compressing or decompressing it fails.
    ///
    /// # Errors
    /// [`Error::Compression`] for a type this crate does not know.
    pub fn from_sys_flag(sys_flag: i32) -> Result<Self> {
        match sys_flag & sysflag::COMPRESSION_TYPE_MASK {
            0 | sysflag::COMPRESSION_ZLIB => Ok(CompressionType::Zlib),
            sysflag::COMPRESSION_LZ4 => Ok(CompressionType::Lz4),
            sysflag::COMPRESSION_ZSTD => Ok(CompressionType::Zstd),
            other => Err(Error::Compression(format!(
                "unknown compression type bits {other:#x} in sysFlag"
            ))),
        }
    }

    /// The type bits to OR into `sys_flag` (together with [`sysflag::COMPRESSED`]).
    pub const fn sys_flag_bits(self) -> i32 {
        match self {
            CompressionType::Zlib => sysflag::COMPRESSION_ZLIB,
            CompressionType::Lz4 => sysflag::COMPRESSION_LZ4,
            CompressionType::Zstd => sysflag::COMPRESSION_ZSTD,
        }
    }

    /// The codec's name, which is also the cargo feature of this crate that compiles it in:
    /// `zlib`, `lz4` or `zstd`.
    pub const fn name(self) -> &'static str {
        match self {
            CompressionType::Zlib => "zlib",
            CompressionType::Lz4 => "lz4",
            CompressionType::Zstd => "zstd",
        }
    }

    /// Whether this build can compress and decompress the type (its feature is on).
    pub const fn is_compiled_in(self) -> bool {
        match self {
            CompressionType::Zlib => cfg!(feature = "zlib"),
            CompressionType::Lz4 => cfg!(feature = "lz4"),
            CompressionType::Zstd => cfg!(feature = "zstd"),
        }
    }
}

/// Compresses `data` into a zlib stream at `level` (0..=9), as `java.util.zip.Deflater` does.
///
/// The two header bytes are the ones Java writes for the level (`78 01`, `78 5e`, `78 9c`,
/// `78 da`); the deflate data itself need not match Java's bit for bit, any valid stream inflates.
///
/// # Errors
/// [`Error::Compression`] if `level` is above 9; [`Error::CodecNotCompiled`] without the
/// `zlib` feature.
pub fn compress_zlib(data: &[u8], level: u32) -> Result<Vec<u8>> {
    if level > 9 {
        return Err(Error::Compression(format!(
            "zlib level {level} is not in 0..=9"
        )));
    }
    zlib::compress(data, level)
}

/// Compresses a body with `kind`, as a Java 5.x producer's `CompressorFactory` does: zlib at
/// `level` (see [`compress_zlib`]); LZ4 as lz4-java's `LZ4FrameOutputStream` (frame header
/// `04 22 4d 18 60 70 73`: independent 4 MiB blocks, no checksums, so the same header bytes);
/// zstd at `level` as Java's `ZstdCompressor` (zstd-jni's `ZstdOutputStream`) does.
///
/// `level` is ignored for LZ4, whose Java writer has none. For zstd, 0 means zstd's default
/// (3) and Java's default [`DEFAULT_LEVEL`] (5) is a valid zstd level as it is.
///
/// # Errors
/// [`Error::Compression`] for a zlib level above 9 or a zstd level above 22, or if the LZ4 or
/// zstd encoder fails; [`Error::CodecNotCompiled`] if `kind`'s feature is off.
pub fn compress(kind: CompressionType, data: &[u8], level: u32) -> Result<Vec<u8>> {
    match kind {
        CompressionType::Zlib => compress_zlib(data, level),
        CompressionType::Lz4 => lz4::compress(data),
        CompressionType::Zstd => {
            if level > ZSTD_MAX_LEVEL {
                return Err(Error::Compression(format!(
                    "zstd level {level} is not in 0..={ZSTD_MAX_LEVEL}"
                )));
            }
            zstd::compress(data, level)
        }
    }
}

/// The highest zstd level (`ZSTD_maxCLevel()`).
const ZSTD_MAX_LEVEL: u32 = 22;

/// Decompresses a body with `kind`, refusing to produce more than `max_len` bytes.
///
/// # Errors
/// [`Error::Compression`] if the input is not a valid stream of that kind (a gzip stream is not
/// a zlib stream), is truncated, or inflates to more than `max_len` bytes;
/// [`Error::CodecNotCompiled`] if `kind`'s feature is off.
pub fn decompress(kind: CompressionType, data: &[u8], max_len: usize) -> Result<Vec<u8>> {
    match kind {
        CompressionType::Zlib => decompress_zlib(data, max_len),
        CompressionType::Lz4 => lz4::decompress(data, max_len),
        CompressionType::Zstd => zstd::decompress(data, max_len),
    }
}

/// Inflates a zlib stream (RFC 1950) of at most `max_len` output bytes, checking its Adler-32.
///
/// # Errors
/// As [`decompress`].
pub fn decompress_zlib(data: &[u8], max_len: usize) -> Result<Vec<u8>> {
    zlib::decompress(data, max_len)
}

/// The error for a codec this build left out.
#[cfg(not(all(feature = "zlib", feature = "lz4", feature = "zstd")))]
fn not_compiled(kind: CompressionType) -> Error {
    Error::CodecNotCompiled { codec: kind.name() }
}

/// zlib through flate2 (raw deflate; the zlib header and Adler-32 are written here).
#[cfg(feature = "zlib")]
mod zlib {
    use std::cell::RefCell;

    use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

    use super::{adler32, too_large, zlib_header};
    use crate::error::{Error, Result};

    /// A zlib stream of `data` at `level` (checked to be 0..=9).
    pub(super) fn compress(data: &[u8], level: u32) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        out.extend_from_slice(&zlib_header(level));
        // Setting up a deflate state costs about a fifth of compressing a 4 KiB body
        // (BENCHMARKS.md), so each thread keeps one per level and resets it. A re-entrant call
        // (impossible today) would get a fresh one instead of panicking.
        DEFLATERS.with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => {
                let deflater = match slot.iter_mut().position(|(l, _)| *l == level) {
                    Some(i) => {
                        slot[i].1.reset();
                        &mut slot[i].1
                    }
                    None => {
                        slot.push((level, Compress::new(Compression::new(level), false)));
                        let last = slot.len() - 1;
                        &mut slot[last].1
                    }
                };
                deflate_into(deflater, data, &mut out)
            }
            Err(_) => deflate_into(
                &mut Compress::new(Compression::new(level), false),
                data,
                &mut out,
            ),
        })?;
        out.extend_from_slice(&adler32(data).to_be_bytes());
        Ok(out)
    }

    thread_local! {
        /// Raw-deflate states by level, reused across calls on this thread.
        static DEFLATERS: RefCell<Vec<(u32, Compress)>> = const { RefCell::new(Vec::new()) };
    }

    /// Runs `deflater` (freshly reset) over all of `data`, appending raw deflate output to `out`.
    fn deflate_into(deflater: &mut Compress, data: &[u8], out: &mut Vec<u8>) -> Result<()> {
        loop {
            let consumed = usize::try_from(deflater.total_in())
                .unwrap_or(data.len())
                .min(data.len());
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(256));
            }
            let status = deflater
                .compress_vec(&data[consumed..], out, FlushCompress::Finish)
                .map_err(|e| Error::Compression(format!("zlib: {e}")))?;
            if status == Status::StreamEnd {
                return Ok(());
            }
        }
    }

    /// Inflates a zlib stream of at most `max_len` output bytes.
    pub(super) fn decompress(data: &[u8], max_len: usize) -> Result<Vec<u8>> {
        let mut inflater = Decompress::new(true);
        // Start small: the announced size of a stream is not known, and input may lie.
        let mut out = Vec::with_capacity(data.len().saturating_mul(4).clamp(64, 1 << 20));
        loop {
            if out.len() == out.capacity() {
                if out.len() > max_len {
                    return Err(too_large(max_len));
                }
                // Room for one byte past the limit, so an oversized stream is detected.
                let room = (max_len.saturating_add(1) - out.len()).min(out.capacity().max(4096));
                out.reserve_exact(room);
            }
            let consumed = usize::try_from(inflater.total_in())
                .map_err(|e| Error::Compression(format!("zlib: {e}")))?;
            let input = data.get(consumed..).unwrap_or_default();
            let before = (inflater.total_in(), out.len());
            let status = inflater
                .decompress_vec(input, &mut out, FlushDecompress::None)
                .map_err(|e| Error::Compression(format!("zlib: {e}")))?;
            if out.len() > max_len {
                return Err(too_large(max_len));
            }
            match status {
                Status::StreamEnd => return Ok(out),
                Status::Ok | Status::BufError => {
                    let stalled = before == (inflater.total_in(), out.len());
                    if stalled && out.len() < out.capacity() {
                        return Err(Error::Compression("zlib: truncated stream".into()));
                    }
                }
            }
        }
    }
}

/// zlib left out (feature `zlib` off).
#[cfg(not(feature = "zlib"))]
mod zlib {
    use super::{not_compiled, CompressionType};
    use crate::error::Result;

    pub(super) fn compress(_data: &[u8], _level: u32) -> Result<Vec<u8>> {
        Err(not_compiled(CompressionType::Zlib))
    }

    pub(super) fn decompress(_data: &[u8], _max_len: usize) -> Result<Vec<u8>> {
        Err(not_compiled(CompressionType::Zlib))
    }
}

/// LZ4 frames through lz4_flex.
#[cfg(feature = "lz4")]
mod lz4 {
    use std::io::Write;

    use lz4_flex::frame::{BlockMode, BlockSize, FrameDecoder, FrameEncoder, FrameInfo};

    use super::{compression_error, read_bounded};
    use crate::error::Result;

    /// An LZ4 frame laid out as lz4-java's `LZ4FrameOutputStream` writes it by default.
    pub(super) fn compress(data: &[u8]) -> Result<Vec<u8>> {
        // Java: LZ4FrameOutputStream(out) = BLOCKSIZE.SIZE_4MB, FLG.Bits.BLOCK_INDEPENDENCE.
        let info = FrameInfo::new()
            .block_size(BlockSize::Max4MB)
            .block_mode(BlockMode::Independent);
        let mut encoder =
            FrameEncoder::with_frame_info(info, Vec::with_capacity(data.len() / 2 + 32));
        encoder.write_all(data).map_err(compression_error)?;
        encoder.finish().map_err(compression_error)
    }

    /// The content of an LZ4 frame, at most `max_len` bytes.
    pub(super) fn decompress(data: &[u8], max_len: usize) -> Result<Vec<u8>> {
        read_bounded(FrameDecoder::new(data), max_len)
    }
}

/// LZ4 left out (feature `lz4` off).
#[cfg(not(feature = "lz4"))]
mod lz4 {
    use super::{not_compiled, CompressionType};
    use crate::error::Result;

    pub(super) fn compress(_data: &[u8]) -> Result<Vec<u8>> {
        Err(not_compiled(CompressionType::Lz4))
    }

    pub(super) fn decompress(_data: &[u8], _max_len: usize) -> Result<Vec<u8>> {
        Err(not_compiled(CompressionType::Lz4))
    }
}

/// zstd frames: the reference C library compresses, ruzstd (pure Rust) decodes.
#[cfg(feature = "zstd")]
mod zstd {
    use std::cell::RefCell;

    use super::read_bounded;
    use crate::error::{Error, Result};

    /// A zstd frame (RFC 8878) of `data` at `level` (checked to be at most 22).
    ///
    /// ```text
    /// 28 b5 2f fd | frame header (content size) | compressed blocks     (no checksum)
    /// ```
    /// Java's `ZstdOutputStream` leaves the content size out; every zstd reader accepts both.
    pub(super) fn compress(data: &[u8], level: u32) -> Result<Vec<u8>> {
        let level = i32::try_from(level).map_err(|e| Error::Compression(format!("zstd: {e}")))?;
        // A zstd context costs about as much to set up as compressing a 4 KiB body, so each
        // thread keeps one and sets the level per call; a re-entrant call (impossible today)
        // gets a fresh one instead of panicking.
        CONTEXT.with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => {
                let compressor = match slot.as_mut() {
                    Some(compressor) => {
                        compressor
                            .set_compression_level(level)
                            .map_err(zstd_error)?;
                        compressor
                    }
                    None => slot.insert(::zstd::bulk::Compressor::new(level).map_err(zstd_error)?),
                };
                compressor.compress(data).map_err(zstd_error)
            }
            Err(_) => ::zstd::bulk::compress(data, level).map_err(zstd_error),
        })
    }

    thread_local! {
        /// A zstd compression context, reused across calls on this thread.
        static CONTEXT: RefCell<Option<::zstd::bulk::Compressor<'static>>> =
            const { RefCell::new(None) };
    }

    /// The content of a zstd frame, at most `max_len` bytes.
    pub(super) fn decompress(data: &[u8], max_len: usize) -> Result<Vec<u8>> {
        let decoder = ruzstd::StreamingDecoder::new(data)
            .map_err(|e| Error::Compression(format!("zstd: {e}")))?;
        read_bounded(decoder, max_len)
    }

    fn zstd_error(e: std::io::Error) -> Error {
        Error::Compression(format!("zstd: {e}"))
    }
}

/// zstd left out (feature `zstd` off).
#[cfg(not(feature = "zstd"))]
mod zstd {
    use super::{not_compiled, CompressionType};
    use crate::error::Result;

    pub(super) fn compress(_data: &[u8], _level: u32) -> Result<Vec<u8>> {
        Err(not_compiled(CompressionType::Zstd))
    }

    pub(super) fn decompress(_data: &[u8], _max_len: usize) -> Result<Vec<u8>> {
        Err(not_compiled(CompressionType::Zstd))
    }
}

/// Reads `reader` to its end, failing once more than `max_len` bytes came out.
#[cfg(any(feature = "lz4", feature = "zstd"))]
fn read_bounded(reader: impl std::io::Read, max_len: usize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let limit = u64::try_from(max_len).unwrap_or(u64::MAX).saturating_add(1);
    std::io::Read::read_to_end(&mut std::io::Read::take(reader, limit), &mut out)
        .map_err(compression_error)?;
    if out.len() > max_len {
        return Err(too_large(max_len));
    }
    Ok(out)
}

/// The header Java's zlib writes: CMF 0x78 (deflate, 32 KiB window), FLEVEL from the level.
#[cfg_attr(not(feature = "zlib"), allow(dead_code))]
fn zlib_header(level: u32) -> [u8; 2] {
    let flevel: u16 = match level {
        0 | 1 => 0,
        2..=5 => 1,
        6 => 2,
        _ => 3,
    };
    let cmf: u16 = 0x78;
    let flg = flevel << 6;
    // FCHECK makes (CMF * 256 + FLG) a multiple of 31.
    let fcheck = (31 - (cmf * 256 + flg) % 31) % 31;
    [0x78, (flg + fcheck) as u8]
}

/// Adler-32 (RFC 1950 §8.2) of `data`.
#[cfg_attr(not(feature = "zlib"), allow(dead_code))]
pub(crate) fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    // 5552 is the longest run whose sums cannot overflow a u32 before the modulo.
    const CHUNK: usize = 5_552;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(CHUNK) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

#[cfg(any(feature = "zlib", feature = "lz4", feature = "zstd"))]
fn too_large(max_len: usize) -> Error {
    Error::Compression(format!(
        "decompressed body exceeds the limit of {max_len} bytes"
    ))
}

#[cfg(any(feature = "lz4", feature = "zstd"))]
fn compression_error(e: impl std::fmt::Display) -> Error {
    Error::Compression(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "zlib")]
    fn zlib_round_trip_at_every_level() {
        let body: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        for level in 0..=9 {
            let packed = compress_zlib(&body, level).expect("compress");
            assert_eq!(decompress_zlib(&packed, body.len()).expect("inflate"), body);
        }
    }

    #[test]
    fn zlib_header_matches_java_per_level() {
        assert_eq!(zlib_header(0), [0x78, 0x01]);
        assert_eq!(zlib_header(1), [0x78, 0x01]);
        assert_eq!(zlib_header(5), [0x78, 0x5e]);
        assert_eq!(zlib_header(6), [0x78, 0x9c]);
        assert_eq!(zlib_header(9), [0x78, 0xda]);
    }

    #[test]
    fn compress_rejects_level_above_nine() {
        assert!(compress_zlib(b"x", 10).is_err());
    }

    #[test]
    #[cfg(feature = "zlib")]
    fn decompress_stops_at_the_limit() {
        let bomb = compress_zlib(&vec![0u8; 1 << 20], 9).expect("compress");
        assert!(decompress_zlib(&bomb, 1000).is_err());
        assert_eq!(
            decompress_zlib(&bomb, 1 << 20).expect("fits").len(),
            1 << 20
        );
    }

    #[test]
    #[cfg(feature = "zlib")]
    fn decompress_rejects_truncated_zlib() {
        let packed = compress_zlib(&[7u8; 5000], 5).expect("compress");
        assert!(decompress_zlib(&packed[..packed.len() - 3], 1 << 20).is_err());
        assert!(decompress_zlib(&[], 1 << 20).is_err());
    }

    #[test]
    #[cfg(feature = "lz4")]
    fn lz4_frame_round_trip_and_limit() {
        use std::io::Write;
        let body = vec![42u8; 50_000];
        let mut enc = lz4_flex::frame::FrameEncoder::new(Vec::new());
        enc.write_all(&body).expect("write");
        let packed = enc.finish().expect("finish");
        let out = decompress(CompressionType::Lz4, &packed, body.len()).expect("inflate");
        assert_eq!(out, body);
        assert!(decompress(CompressionType::Lz4, &packed, body.len() - 1).is_err());
    }

    #[test]
    #[cfg(all(feature = "zlib", feature = "lz4", feature = "zstd"))]
    fn every_kind_round_trips_through_compress_and_decompress() {
        let body: Vec<u8> = (0..300_000u32).map(|i| (i % 97) as u8).collect();
        for kind in [
            CompressionType::Zlib,
            CompressionType::Lz4,
            CompressionType::Zstd,
        ] {
            for data in [&body[..], &[][..], b"x"] {
                let packed = compress(kind, data, DEFAULT_LEVEL).expect("compress");
                let out = decompress(kind, &packed, data.len()).expect("decompress");
                assert_eq!(out, data, "{kind:?}");
            }
        }
    }

    #[test]
    #[cfg(feature = "zstd")]
    fn zstd_compresses_and_another_implementation_reads_it() {
        // JSON-like records: the kind of body a producer compresses.
        let body: Vec<u8> = (0..200u32)
            .flat_map(|i| {
                format!(
                    "{{\"order\":{i},\"state\":\"PAID\",\"user\":\"u{}\"}},",
                    i % 7
                )
                .into_bytes()
            })
            .collect();
        for level in [0, 1, DEFAULT_LEVEL, 22] {
            let packed = compress(CompressionType::Zstd, &body, level).expect("compress");
            assert_eq!(packed[..4], [0x28, 0xb5, 0x2f, 0xfd], "zstd magic");
            assert!(
                packed.len() * 4 < body.len(),
                "level {level}: {} of {} bytes",
                packed.len(),
                body.len()
            );
            // The C library wrote it; ruzstd (pure Rust) decodes it.
            let out = decompress(CompressionType::Zstd, &packed, body.len()).expect("decompress");
            assert_eq!(out, body, "level {level}");
        }
    }

    #[test]
    #[cfg(feature = "zstd")]
    fn zstd_refuses_a_level_above_22_and_a_reused_context_keeps_no_state() {
        assert!(compress(CompressionType::Zstd, b"x", 23).is_err());
        let a = b"a body compressed twice, with another one in between".repeat(50);
        let first = compress(CompressionType::Zstd, &a, 19).expect("a");
        let other = compress(CompressionType::Zstd, &[9u8; 7000], 1).expect("b");
        assert_eq!(
            compress(CompressionType::Zstd, &a, 19).expect("a again"),
            first
        );
        assert_eq!(
            decompress(CompressionType::Zstd, &other, 7000).expect("b"),
            [9u8; 7000]
        );
    }

    #[test]
    #[cfg(feature = "lz4")]
    fn lz4_frame_header_is_lz4_javas() {
        let packed = compress(CompressionType::Lz4, b"hello", 5).expect("compress");
        assert_eq!(packed[..7], [0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x73]);
    }

    #[test]
    fn a_codec_left_out_is_a_typed_error_naming_its_feature() {
        let off: Vec<CompressionType> = [
            CompressionType::Zlib,
            CompressionType::Lz4,
            CompressionType::Zstd,
        ]
        .into_iter()
        .filter(|kind| !kind.is_compiled_in())
        .collect();
        let expected_off = [
            (!cfg!(feature = "zlib")).then_some(CompressionType::Zlib),
            (!cfg!(feature = "lz4")).then_some(CompressionType::Lz4),
            (!cfg!(feature = "zstd")).then_some(CompressionType::Zstd),
        ];
        assert_eq!(off, expected_off.into_iter().flatten().collect::<Vec<_>>());
        for kind in off {
            let name = kind.name();
            for result in [
                compress(kind, b"body", DEFAULT_LEVEL),
                decompress(kind, b"body", 1 << 10),
            ] {
                let err = result.expect_err("the codec is off");
                assert!(
                    matches!(err, Error::CodecNotCompiled { codec } if codec == name),
                    "{err:?}"
                );
                assert_eq!(
                    err.to_string(),
                    format!(
                        "{name} compression is not compiled in: enable the `{name}` feature \
                         of rmq-protocol"
                    )
                );
            }
        }
    }

    #[test]
    fn codec_names_are_the_feature_names() {
        assert_eq!(CompressionType::Zlib.name(), "zlib");
        assert_eq!(CompressionType::Lz4.name(), "lz4");
        assert_eq!(CompressionType::Zstd.name(), "zstd");
    }

    #[test]
    fn compression_type_follows_sys_flag_bits() {
        let of = CompressionType::from_sys_flag;
        assert_eq!(of(0x1).expect("legacy"), CompressionType::Zlib);
        assert_eq!(of(0x301).expect("zlib"), CompressionType::Zlib);
        assert_eq!(of(0x101).expect("lz4"), CompressionType::Lz4);
        assert_eq!(of(0x201).expect("zstd"), CompressionType::Zstd);
        assert!(of(0x401).is_err());
    }

    #[test]
    fn adler32_of_known_strings() {
        assert_eq!(adler32(b""), 1);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    #[cfg(feature = "zlib")]
    fn reused_deflate_state_leaks_nothing_between_bodies_or_levels() {
        let a = b"the same body, compressed again after another one".repeat(100);
        let b = vec![7u8; 10_000];
        let first = compress_zlib(&a, 5).expect("a");
        let other = compress_zlib(&b, 5).expect("b");
        let fast = compress_zlib(&a, 1).expect("a at level 1");
        assert_eq!(
            compress_zlib(&a, 5).expect("a again"),
            first,
            "a reset state is a fresh one"
        );
        assert_eq!(&fast[..2], [0x78, 0x01]);
        for (packed, body) in [(&first, &a), (&other, &b), (&fast, &a)] {
            assert_eq!(&decompress_zlib(packed, body.len()).expect("inflate"), body);
        }
    }
}
