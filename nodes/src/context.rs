//! What the engine hands a node for one call: the frames to produce, its wires, its parameter values and the
//! state of the voices in its lane group.

use crate::lanes::{LaneMask, Lanes, MAX_CHUNK};
use crate::spec::{MAX_INPUTS, MAX_OUTPUTS};

/// The voices of one lane group, as the engine sees them for the current call. Audio thread only.
#[derive(Clone, Copy, Debug)]
pub struct VoiceLanes {
    /// Each voice's pitch in semitones on the MIDI scale (69.0 = A4 = 440 Hz), glide and pitch bend included,
    /// at the call's last frame.
    pub pitch: Lanes,
    /// Each voice's note-on velocity, `0.0..=1.0`.
    pub velocity: Lanes,
    /// Lanes whose key is held (gate high). Envelopes release when a lane leaves this set.
    pub gate: LaneMask,
    /// Lanes whose voice starts fresh at the call's first frame: a node resets that lane's state
    /// (oscillator phase, filter memory, envelope level) before producing it.
    pub start: LaneMask,
    /// Lanes that received a note-on at the call's first frame, fresh or retriggered. Envelopes restart
    /// their attack from the level they are at, so a retrigger never jumps.
    pub trigger: LaneMask,
    /// Lanes that hold a voice. Other lanes are computed but never heard; nodes need not special-case them.
    pub active: LaneMask,
    /// Each voice's own pressure (polyphonic aftertouch, MPE or CLAP note pressure), `0.0..=1.0`, smoothed.
    pub pressure: Lanes,
    /// The controllers every voice shares, smoothed.
    pub controls: Controls,
}

/// Controller values shared by every voice, as the engine has smoothed them for the current call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Controls {
    /// Mod wheel (MIDI CC 1), `0.0..=1.0`.
    pub mod_wheel: f32,
    /// Pitch bend, `-1.0..=1.0` (the voice pitch already includes it; this is the raw lever).
    pub bend: f32,
    /// Channel pressure (aftertouch), `0.0..=1.0`.
    pub channel_pressure: f32,
}

impl Controls {
    /// Every controller at rest.
    pub const REST: Controls = Controls { mod_wheel: 0.0, bend: 0.0, channel_pressure: 0.0 };
}

impl VoiceLanes {
    /// A group with no voice in it.
    pub const IDLE: VoiceLanes = VoiceLanes {
        pitch: [60.0; crate::lanes::LANES],
        velocity: [0.0; crate::lanes::LANES],
        gate: LaneMask::NONE,
        start: LaneMask::NONE,
        trigger: LaneMask::NONE,
        active: LaneMask::NONE,
        pressure: [0.0; crate::lanes::LANES],
        controls: Controls::REST,
    };
}

/// The host's musical clock, as the engine sees it at a call's first frame. Audio thread only.
///
/// Tempo-synced nodes (LFOs, delays) read `tempo` and `beats`; free-running "global" nodes read `frame` so
/// that every voice sees the same phase.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transport {
    /// Tempo in quarter-note beats per minute; 120 when the host gives none. Always within `1.0..=1000.0`.
    pub tempo: f64,
    /// Song position in quarter-note beats. Follows the host while its transport plays; otherwise it runs on
    /// at `tempo` from where it was, so synced modulation keeps moving when the host is stopped.
    pub beats: f64,
    /// Whether the host's transport is playing.
    pub playing: bool,
    /// Frames the engine has rendered before this call: a free-running sample clock shared by every voice.
    pub frame: u64,
}

impl Transport {
    /// 120 BPM, position 0, stopped.
    pub const DEFAULT: Transport = Transport { tempo: 120.0, beats: 0.0, playing: false, frame: 0 };

    /// The position `frames` frames after this one at `sample_rate` Hz.
    #[inline]
    pub fn advanced(&self, frames: usize, sample_rate: f32) -> Transport {
        Transport {
            beats: self.beats + frames as f64 * self.tempo / (60.0 * sample_rate as f64),
            frame: self.frame + frames as u64,
            ..*self
        }
    }
}

impl Default for Transport {
    fn default() -> Transport {
        Transport::DEFAULT
    }
}

/// One call of a node over `len` frames (`1..=MAX_CHUNK`) for one lane group. Audio thread only.
pub struct Process<'a> {
    /// Frames to produce, `1..=MAX_CHUNK`.
    pub len: usize,
    /// Sample rate in Hz.
    pub sample_rate: f32,
    /// One entry per declared input port: the wire's `len` frames, or `None` when nothing is connected.
    pub inputs: [Option<&'a [Lanes]>; MAX_INPUTS],
    /// One entry per declared output port, each exactly `len` frames long; the node writes every frame.
    /// Entries past the declared outputs are empty.
    pub outputs: [&'a mut [Lanes]; MAX_OUTPUTS],
    /// One entry per declared parameter: its value for each lane at the call's last frame, in the
    /// parameter's unit, modulation applied and clamped to its range. Nodes ramp towards these across the
    /// call where a step would be audible.
    pub params: &'a [Lanes],
    /// The voices of this lane group.
    pub voice: &'a VoiceLanes,
    /// The host's tempo and position at the call's first frame.
    pub transport: &'a Transport,
    /// Outputs of which only the last frame (`len − 1`) is read, one bit per output port (bit `k`: output
    /// `k`). The engine's compiler sets a bit when modulation routes are an output's only readers (routes read
    /// one value per control period), so that a modulator (an LFO, a filter envelope) need not produce frames
    /// nobody hears. A node may then compute just that frame and leave the others as they are; its state and
    /// that frame must stay what a full call gives, to the bit or within rounding (−120 dB at most: the LFO
    /// moves its phase in closed form), so a route reads the same value either way. `0` asks for every frame;
    /// nodes are free to ignore the hint.
    pub last_only: u8,
}

impl Process<'_> {
    /// Input port `index`, or `None` when unconnected.
    #[inline]
    pub fn input(&self, index: usize) -> Option<&[Lanes]> {
        self.inputs[index]
    }

    /// Whether only the last frame of output `output` is read (see [`Process::last_only`]).
    #[inline]
    pub fn only_last(&self, output: usize) -> bool {
        output < 8 && self.last_only & (1 << output) != 0
    }
}

/// Compile-time check that a chunk of frames fits the scratch the engine sizes for it.
const _: () = assert!(MAX_CHUNK <= 64);
