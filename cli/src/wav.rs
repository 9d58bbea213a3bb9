//! Writing renders as WAV files, streamed a block at a time.

use std::path::Path;

use ferrule_engine::render::Renderer;

/// Plays `renderer` to its end into a stereo 32-bit float WAV at `sample_rate` Hz, writing each block as
/// it comes (memory stays the same whatever the length), and returns the peak sample magnitude (0 for
/// silence). The caller has checked that the length fits a WAV file (4 GiB of data).
pub fn stream(path: &Path, sample_rate: u32, renderer: &mut Renderer) -> Result<f32, String> {
    let spec =
        hound::WavSpec { channels: 2, sample_rate, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
    let fail = |e: hound::Error| format!("{}: {e}", path.display());
    let mut writer = hound::WavWriter::create(path, spec).map_err(fail)?;
    let mut peak = 0.0f32;
    while let Some((left, right)) = renderer.next_block() {
        for (l, r) in left.iter().zip(right) {
            writer.write_sample(*l).map_err(fail)?;
            writer.write_sample(*r).map_err(fail)?;
            peak = peak.max(l.abs()).max(r.abs());
        }
    }
    writer.finalize().map_err(fail)?;
    Ok(peak)
}
