//! Live MIDI input: every MIDI input port on the machine, each feeding its own ring to the audio thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ferrule_engine::EventKind;
use midir::{MidiInput, MidiInputConnection};
use midly::live::LiveEvent;
use rtrb::{Consumer, RingBuffer};

/// Events one port can queue between two audio callbacks.
const RING: usize = 1024;

/// The open MIDI ports. Dropping it closes them.
pub struct MidiInputs {
    /// Open connections (kept alive).
    _connections: Vec<MidiInputConnection<()>>,
    /// The names of the ports opened.
    pub names: Vec<String>,
}

/// Opens every MIDI input port. Returns the ports, one ring consumer per port for the audio thread, and a
/// warning when MIDI is unavailable (no ALSA sequencer) or a port would not open. Events that find a
/// port's ring full are counted in `dropped`. Main thread.
pub fn open_all(dropped: Arc<AtomicUsize>) -> (MidiInputs, Vec<Consumer<EventKind>>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut inputs = MidiInputs { _connections: Vec::new(), names: Vec::new() };
    let mut consumers = Vec::new();
    let probe = match MidiInput::new("ferrule") {
        Ok(p) => p,
        Err(e) => {
            warnings.push(format!("MIDI input unavailable ({e}); the computer keyboard still plays"));
            return (inputs, consumers, warnings);
        }
    };
    for port in probe.ports() {
        let name = probe.port_name(&port).unwrap_or_else(|_| "unnamed port".into());
        let input = match MidiInput::new("ferrule") {
            Ok(i) => i,
            Err(e) => {
                warnings.push(format!("MIDI port {name}: {e}"));
                continue;
            }
        };
        let (mut producer, consumer) = RingBuffer::new(RING);
        let dropped = dropped.clone();
        let callback = move |_stamp: u64, bytes: &[u8], _: &mut ()| {
            if let Ok(LiveEvent::Midi { message, .. }) = LiveEvent::parse(bytes)
                && let Some(kind) = crate::midi::kind_of(message)
                && producer.push(kind).is_err()
            {
                dropped.fetch_add(1, Ordering::Relaxed);
            }
        };
        match input.connect(&port, "ferrule-in", callback, ()) {
            Ok(connection) => {
                inputs._connections.push(connection);
                inputs.names.push(name);
                consumers.push(consumer);
            }
            Err(e) => warnings.push(format!("MIDI port {name}: {e}")),
        }
    }
    (inputs, consumers, warnings)
}
