//! Writing renders as WAV files.

use std::path::Path;

use ferrule_engine::render::Rendered;

/// Writes `audio` as a stereo 32-bit float WAV at `sample_rate` Hz.
pub fn write(path: &Path, audio: &Rendered, sample_rate: u32) -> Result<(), String> {
    let spec =
        hound::WavSpec { channels: 2, sample_rate, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
    let fail = |e: hound::Error| format!("{}: {e}", path.display());
    let mut writer = hound::WavWriter::create(path, spec).map_err(fail)?;
    for (l, r) in audio.left.iter().zip(&audio.right) {
        writer.write_sample(*l).map_err(fail)?;
        writer.write_sample(*r).map_err(fail)?;
    }
    writer.finalize().map_err(fail)
}
