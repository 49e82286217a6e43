//! Building blocks of the synthetic glucose curve: a hash and smooth bumps.

use std::f64::consts::PI;

/// splitmix64: a tiny, well-mixed deterministic hash.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Uniform in [0, 1) from a hash.
pub(crate) fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Raised-cosine bump: rises to `amp` over `rise` minutes, falls over `fall`.
pub(crate) fn bump(u: f64, amp: f64, rise: f64, fall: f64) -> f64 {
    if u <= 0.0 || u >= rise + fall {
        0.0
    } else if u < rise {
        amp * (1.0 - (PI * u / rise).cos()) / 2.0
    } else {
        amp * (1.0 + (PI * (u - rise) / fall).cos()) / 2.0
    }
}

/// Integral of a trapezoidal slope: ramps 0 → `p` over `a` minutes, holds `p`
/// for `h`, ramps back to 0 over `a`. Total change `p * (a + h)`.
fn ramp(x: f64, p: f64, a: f64, h: f64) -> f64 {
    if x <= 0.0 {
        0.0
    } else if x < a {
        p * x * x / (2.0 * a)
    } else if x < a + h {
        p * a / 2.0 + p * (x - a)
    } else if x < 2.0 * a + h {
        let y = x - a - h;
        p * a / 2.0 + p * h + p * y - p * y * y / (2.0 * a)
    } else {
        p * (a + h)
    }
}

/// A steep excursion whose slope profile is trapezoidal, so the 15-minute
/// slope dwells long enough in every trend band to be sampled every 5 min:
/// rise at `rise_p` mg/dL/min, hold `top` minutes, fall at `fall_p` (held
/// `fall_h` minutes); ramps take `RAMP` minutes.
pub(crate) fn excursion(u: f64, rise_p: f64, top: f64, fall_p: f64, fall_h: f64) -> f64 {
    const RAMP: f64 = 30.0;
    let amp = fall_p * (RAMP + fall_h);
    let rise_h = (amp / rise_p - RAMP).max(0.0);
    let rise_len = 2.0 * RAMP + rise_h;
    if u < rise_len {
        ramp(u, rise_p, RAMP, rise_h)
    } else if u < rise_len + top {
        amp
    } else {
        amp - ramp(u - rise_len - top, fall_p, RAMP, fall_h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_and_excursion_are_continuous_and_return_to_zero() {
        assert_eq!(ramp(0.0, 4.0, 30.0, 10.0), 0.0);
        assert!((ramp(70.0, 4.0, 30.0, 10.0) - 160.0).abs() < 1e-9);
        for i in 0..400 {
            let u = f64::from(i);
            let step = (excursion(u + 0.01, 4.0, 10.0, 3.8, 12.0)
                - excursion(u, 4.0, 10.0, 3.8, 12.0))
            .abs();
            assert!(step < 0.05, "jump at {u}");
        }
        assert!(excursion(400.0, 4.0, 10.0, 3.8, 12.0).abs() < 1e-9);
        assert_eq!(bump(-1.0, 50.0, 30.0, 60.0), 0.0);
        assert!((bump(30.0, 50.0, 30.0, 60.0) - 50.0).abs() < 1e-9);
        assert_ne!(splitmix64(1), splitmix64(2));
        assert!((0.0..1.0).contains(&unit(u64::MAX)));
    }
}
