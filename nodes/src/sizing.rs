//! What a node's buffers are sized for, and what they cost, decided before anything is allocated.
//!
//! A node kind that owns memory whose size depends on its settings (a delay line as long as the longest time
//! it can be asked for) is built from a [`Sizing`]: the sample rate and, for each parameter, the largest
//! value it can reach once modulation and host automation are counted. The engine's compiler works those
//! reaches out from the patch and asks [`crate::Processor::heap_bytes`] how much memory a node will own before
//! it builds any, so a patch that would need too much is refused with an error instead of exhausting memory.

/// The sample rate and the largest value each parameter of one node can reach. Off the audio thread.
#[derive(Clone, Copy, Debug)]
pub struct Sizing<'a> {
    /// Sample rate in Hz.
    pub sample_rate: f32,
    /// For each parameter in declaration order, the largest value it can reach, in its unit (for a choice,
    /// which cannot be modulated, its fixed option index). Missing entries mean the parameter's declared
    /// maximum.
    pub max: &'a [f32],
}

impl<'a> Sizing<'a> {
    /// Sized for every value the parameters allow (each at its declared maximum) at `sample_rate` Hz.
    pub fn full(sample_rate: f32) -> Sizing<'static> {
        Sizing { sample_rate, max: &[] }
    }

    /// The largest value parameter `index` can reach, limited to `min..=max` (the declared range); the
    /// declared maximum when not given or not finite.
    pub fn max_of(&self, index: usize, min: f32, max: f32) -> f32 {
        match self.max.get(index) {
            Some(&v) if v.is_finite() => v.clamp(min, max),
            _ => max,
        }
    }

    /// The sample rate, at least 1 Hz.
    pub fn rate(&self) -> f32 {
        self.sample_rate.max(1.0)
    }
}
