//! Two-point polynomial band-limited step (PolyBLEP) residual.

/// The PolyBLEP residual to add to a naive waveform that steps up by 2 at phase 0 (subtract it for a step
/// down by 2): `(1 − (1 − t)/dt)²` in the sample before the step, `−(1 − t/dt)²` in the sample after, zero
/// elsewhere.
///
/// `t` is the phase in cycles `[0, 1)`, `inv_dt` the reciprocal of the per-sample increment in cycles
/// (`dt ≤ 0.5`). Clamping replaces the usual branches, so loops over lanes vectorise. Audio thread.
#[inline(always)]
pub(crate) fn poly_blep(t: f32, inv_dt: f32) -> f32 {
    let after = (1.0 - t * inv_dt).max(0.0);
    let before = (1.0 - (1.0 - t) * inv_dt).max(0.0);
    before * before - after * after
}
