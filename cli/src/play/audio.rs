//! Live audio out through `cpal`: the output callback owns the engine and plays it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{Device, FromSample, SampleFormat, SizedSample, Stream, StreamConfig};
use ferrule_engine::{Engine, Event, EventKind};
use rtrb::Consumer;

/// The largest block the engine is asked for; a larger device buffer is played in pieces of this size.
pub const MAX_BLOCK: usize = 1024;
/// Events taken from the input rings per callback; more wait for the next one.
const MAX_EVENTS: usize = 512;

/// The output device chosen and its settings.
pub struct Output {
    device: Device,
    config: StreamConfig,
    format: SampleFormat,
    /// The device's name, for messages.
    pub name: String,
}

impl Output {
    /// The device's sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.config.sample_rate
    }
}

/// Finds the output device: the one named `wanted` (its name or id), else the default. The error says
/// clearly that there is no usable audio device, and lists the ones there are.
pub fn find(wanted: Option<&str>) -> Result<Output, String> {
    let host = cpal::default_host();
    let device = match wanted {
        None => host.default_output_device().ok_or_else(|| {
            "no audio output device found: `ferrule play` needs a sound card or sound server \
             (`ferrule render` writes a WAV file instead)"
                .to_string()
        })?,
        Some(wanted) => {
            let devices: Vec<Device> = host.output_devices().map(|d| d.collect()).unwrap_or_default();
            let id = |d: &Device| d.id().map(|i| i.to_string()).unwrap_or_default();
            match devices.iter().find(|d| d.to_string() == wanted || id(d) == wanted) {
                Some(d) => d.clone(),
                None => {
                    let names: Vec<String> = devices.iter().map(|d| format!("`{}` ({d})", id(d))).collect();
                    let available = if names.is_empty() { "none".into() } else { names.join(", ") };
                    return Err(format!("no audio output device named `{wanted}` (available: {available})"));
                }
            }
        }
    };
    let name = device.to_string();
    let supported = device
        .default_output_config()
        .map_err(|e| format!("no usable audio output device: `{name}` cannot play ({e})"))?;
    Ok(Output { device, config: supported.config(), format: supported.sample_format(), name })
}

/// What the output callback owns: the engine, the input rings and preallocated scratch.
struct Player {
    engine: Engine,
    inputs: Vec<Consumer<EventKind>>,
    events: Vec<Event>,
    left: Vec<f32>,
    right: Vec<f32>,
    channels: usize,
}

impl Player {
    /// Fills one interleaved device buffer. Audio thread: the event list and scratch were allocated with
    /// room to spare, so nothing here allocates, locks or blocks.
    fn fill<T: SizedSample + FromSample<f32>>(&mut self, data: &mut [T]) {
        self.events.clear();
        for input in self.inputs.iter_mut() {
            while self.events.len() < MAX_EVENTS {
                match input.pop() {
                    Ok(kind) => self.events.push(Event { time: 0, kind }),
                    Err(_) => break,
                }
            }
        }
        let channels = self.channels.max(1);
        let mut first = true;
        for chunk in data.chunks_mut(MAX_BLOCK * channels) {
            let n = chunk.len() / channels;
            let (left, right) = (&mut self.left[..n], &mut self.right[..n]);
            self.engine.process(if first { &self.events } else { &[] }, left, right);
            first = false;
            for (i, frame) in chunk.chunks_mut(channels).enumerate() {
                match frame {
                    [mono] => *mono = T::from_sample(0.5 * (left[i] + right[i])),
                    [l, r, rest @ ..] => {
                        *l = T::from_sample(left[i]);
                        *r = T::from_sample(right[i]);
                        rest.fill(T::from_sample(0.0));
                    }
                    [] => {}
                }
            }
        }
    }
}

/// Starts playing `engine` on `output`, taking note events from `inputs` at each callback. Stream errors
/// are counted in `errors` (the main loop reports them). Main thread.
pub fn start(
    output: &Output,
    engine: Engine,
    inputs: Vec<Consumer<EventKind>>,
    errors: Arc<AtomicUsize>,
) -> Result<Stream, String> {
    let player = Player {
        engine,
        inputs,
        events: Vec::with_capacity(MAX_EVENTS),
        left: vec![0.0; MAX_BLOCK],
        right: vec![0.0; MAX_BLOCK],
        channels: output.config.channels as usize,
    };
    let stream = match output.format {
        SampleFormat::F32 => build::<f32>(output, player, errors),
        SampleFormat::I16 => build::<i16>(output, player, errors),
        SampleFormat::U16 => build::<u16>(output, player, errors),
        SampleFormat::I32 => build::<i32>(output, player, errors),
        SampleFormat::F64 => build::<f64>(output, player, errors),
        other => {
            return Err(format!("audio device `{}` wants {other} samples, which Ferrule cannot send", output.name));
        }
    }?;
    stream.play().map_err(|e| format!("audio device `{}` would not start: {e}", output.name))?;
    Ok(stream)
}

fn build<T: SizedSample + FromSample<f32>>(
    output: &Output,
    mut player: Player,
    errors: Arc<AtomicUsize>,
) -> Result<Stream, String> {
    output
        .device
        .build_output_stream(
            output.config,
            move |data: &mut [T], _| player.fill(data),
            move |_| {
                errors.fetch_add(1, Ordering::Relaxed);
            },
            None,
        )
        .map_err(|e| format!("cannot open audio device `{}`: {e}", output.name))
}
