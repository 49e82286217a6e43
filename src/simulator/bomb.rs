//! Compression bombs: small bodies that decode to many MiB of zero bytes.
//!
//! Each encoding compresses one MiB of zeros once; a bomb of `n` MiB lays `n` copies of that
//! unit end to end, which is a valid stream because the unit is self-contained (a deflate
//! full flush ends byte-aligned and forgets the history; zstd decodes a run of frames as one
//! stream). Each bomb is built once and kept: injecting it again costs nothing.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use actix_web::web::Bytes;
use flate2::{Compress, Compression, Crc, FlushCompress};

use super::faults::BombEncoding;

const MIB: usize = 1024 * 1024;

/// The body of a bomb that decodes to `decoded_mb` MiB of zeros.
pub fn bomb_body(encoding: BombEncoding, decoded_mb: u32) -> Bytes {
    static BUILT: OnceLock<Mutex<HashMap<(BombEncoding, u32), Bytes>>> = OnceLock::new();
    let mut built = BUILT
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    built
        .entry((encoding, decoded_mb))
        .or_insert_with(|| match encoding {
            BombEncoding::Gzip => gzip(decoded_mb),
            BombEncoding::Zstd => zstd(decoded_mb),
        })
        .clone()
}

/// One MiB of zeros as raw deflate ending in a full flush, the final (empty) block, and the
/// CRC-32 of the MiB.
struct DeflateUnit {
    unit: Vec<u8>,
    end: Vec<u8>,
    crc: Crc,
}

fn deflate_unit() -> &'static DeflateUnit {
    static UNIT: OnceLock<DeflateUnit> = OnceLock::new();
    UNIT.get_or_init(|| {
        let zeros = vec![0u8; MIB];
        let mut deflate = Compress::new(Compression::best(), false);
        let mut unit = Vec::with_capacity(64 * 1024);
        // The flush is complete once a call leaves output space unused.
        loop {
            let consumed = usize::try_from(deflate.total_in()).unwrap_or(MIB);
            deflate
                .compress_vec(&zeros[consumed..], &mut unit, FlushCompress::Full)
                .expect("invariant: deflating zeros into a growing buffer cannot fail");
            if deflate.total_in() == MIB as u64 && unit.len() < unit.capacity() {
                break;
            }
            unit.reserve(64 * 1024);
        }
        let mut end = Vec::with_capacity(64);
        deflate
            .compress_vec(&[], &mut end, FlushCompress::Finish)
            .expect("invariant: ending a deflate stream cannot fail");
        let mut crc = Crc::new();
        crc.update(&zeros);
        DeflateUnit { unit, end, crc }
    })
}

/// One gzip member: header, `mib` units, the final block, CRC-32 and size (mod 2^32).
fn gzip(mib: u32) -> Bytes {
    let DeflateUnit { unit, end, crc } = deflate_unit();
    let copies = mib as usize;
    let mut body = Vec::with_capacity(10 + unit.len() * copies + end.len() + 8);
    // Magic, deflate, no flags, no mtime, no extra flags, unknown OS.
    body.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    let mut total = Crc::new();
    for _ in 0..copies {
        body.extend_from_slice(unit);
        total.combine(crc);
    }
    body.extend_from_slice(end);
    body.extend_from_slice(&total.sum().to_le_bytes());
    let size = (u64::from(mib) * MIB as u64) as u32;
    body.extend_from_slice(&size.to_le_bytes());
    Bytes::from(body)
}

/// `mib` zstd frames of one MiB each.
fn zstd(mib: u32) -> Bytes {
    static UNIT: OnceLock<Vec<u8>> = OnceLock::new();
    let unit = UNIT.get_or_init(|| {
        zstd::bulk::compress(&vec![0u8; MIB], 3)
            .expect("invariant: compressing zeros in memory cannot fail")
    });
    Bytes::from(unit.repeat(mib as usize))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// Reads `decoded` to its end and checks that it is exactly `mib` MiB of zeros.
    fn assert_zeros(mut decoded: impl Read, mib: u32) {
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        loop {
            let n = decoded.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            assert!(buf[..n].iter().all(|b| *b == 0));
            total += n as u64;
        }
        assert_eq!(total, u64::from(mib) * MIB as u64);
    }

    #[test]
    fn gzip_bombs_are_one_valid_member_of_zeros_about_a_thousandth_of_their_size() {
        for mib in [1, 3] {
            let body = bomb_body(BombEncoding::Gzip, mib);
            // `GzDecoder` checks the CRC-32 and the size at the end of the member.
            assert_zeros(flate2::read::GzDecoder::new(&body[..]), mib);
            assert!(body.len() < mib as usize * 1100, "{} bytes", body.len());
        }
    }

    #[test]
    fn zstd_bombs_are_frames_of_zeros_about_a_twenty_thousandth_of_their_size() {
        for mib in [1, 3] {
            let body = bomb_body(BombEncoding::Zstd, mib);
            assert_zeros(zstd::stream::read::Decoder::new(&body[..]).unwrap(), mib);
            assert!(body.len() < mib as usize * 100, "{} bytes", body.len());
        }
    }

    #[test]
    fn a_bomb_is_built_once() {
        let first = bomb_body(BombEncoding::Zstd, 2);
        let second = bomb_body(BombEncoding::Zstd, 2);
        assert_eq!(first.as_ptr(), second.as_ptr());
    }
}
