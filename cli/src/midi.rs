//! Reading Standard MIDI Files into timed engine events, honouring the tempo map.

use ferrule_engine::EventKind;
use ferrule_engine::render::TimedEvent;
use midly::{MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};

/// Tempo until the first set-tempo event: 120 BPM, in microseconds per beat.
const DEFAULT_TEMPO: f64 = 500_000.0;

/// Reads `bytes` as a MIDI file: every track merged, times in seconds.
pub fn events(bytes: &[u8]) -> Result<Vec<TimedEvent>, String> {
    let smf = Smf::parse(bytes).map_err(|e| format!("not a readable MIDI file ({e})"))?;
    // (tick, track, order within track, event) for a stable merge.
    let mut merged = Vec::new();
    for (t, track) in smf.tracks.iter().enumerate() {
        let mut tick: u64 = 0;
        for (i, event) in track.iter().enumerate() {
            tick += event.delta.as_int() as u64;
            merged.push((tick, t, i, event.kind));
        }
    }
    merged.sort_by_key(|&(tick, track, i, _)| (tick, track, i));

    let seconds_per_tick_at = |tempo: f64| -> f64 {
        match smf.header.timing {
            Timing::Metrical(tpb) => tempo / 1e6 / tpb.as_int().max(1) as f64,
            Timing::Timecode(fps, sub) => 1.0 / (fps.as_f32() as f64 * sub.max(1) as f64),
        }
    };
    let mut tempo = DEFAULT_TEMPO;
    let mut seconds = 0.0;
    let mut last_tick = 0;
    let mut out = Vec::new();
    for (tick, _, _, kind) in merged {
        seconds += (tick - last_tick) as f64 * seconds_per_tick_at(tempo);
        last_tick = tick;
        let kind = match kind {
            TrackEventKind::Meta(MetaMessage::Tempo(t)) => {
                tempo = t.as_int().max(1) as f64;
                continue;
            }
            TrackEventKind::Midi { message, .. } => match kind_of(message) {
                Some(kind) => kind,
                None => continue,
            },
            _ => continue,
        };
        out.push(TimedEvent { seconds, kind });
    }
    Ok(out)
}

/// What a MIDI channel message means to the engine (any channel); `None` for messages it ignores
/// (program change). Shared by MIDI files and live MIDI input.
pub fn kind_of(message: MidiMessage) -> Option<EventKind> {
    Some(match message {
        MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
            EventKind::NoteOn { note: key.as_int(), velocity: vel.as_int() as f32 / 127.0 }
        }
        MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => EventKind::NoteOff { note: key.as_int() },
        MidiMessage::Aftertouch { key, vel } => {
            EventKind::PolyPressure { note: key.as_int(), value: vel.as_int() as f32 / 127.0 }
        }
        MidiMessage::Controller { controller, value } => {
            EventKind::ControlChange { cc: controller.as_int(), value: value.as_int() as f32 / 127.0 }
        }
        MidiMessage::ChannelAftertouch { vel } => EventKind::ChannelPressure { value: vel.as_int() as f32 / 127.0 },
        MidiMessage::PitchBend { bend } => EventKind::PitchBend { value: bend.as_f32().clamp(-1.0, 1.0) },
        MidiMessage::ProgramChange { .. } => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use midly::num::{u4, u7, u15, u24, u28};
    use midly::{Format, Header, TrackEvent};

    fn event(delta: u32, kind: TrackEventKind<'static>) -> TrackEvent<'static> {
        TrackEvent { delta: u28::new(delta), kind }
    }

    fn note(on: bool, key: u8) -> TrackEventKind<'static> {
        let (key, vel) = (u7::new(key), u7::new(if on { 100 } else { 0 }));
        TrackEventKind::Midi { channel: u4::new(0), message: MidiMessage::NoteOn { key, vel } }
    }

    #[test]
    fn tempo_changes_move_later_events() {
        // 480 ticks per beat. Beat 1 at 120 BPM (0.5 s), then 60 BPM: the next beat takes 1 s.
        let tempo_track = vec![
            event(0, TrackEventKind::Meta(MetaMessage::Tempo(u24::new(500_000)))),
            event(480, TrackEventKind::Meta(MetaMessage::Tempo(u24::new(1_000_000)))),
            event(0, TrackEventKind::Meta(MetaMessage::EndOfTrack)),
        ];
        let notes = vec![
            event(0, note(true, 60)),
            event(480, note(false, 60)),
            event(480, note(true, 64)),
            event(240, note(false, 64)),
        ];
        let smf = Smf {
            header: Header::new(Format::Parallel, Timing::Metrical(u15::new(480))),
            tracks: vec![tempo_track, notes],
        };
        let mut bytes = Vec::new();
        smf.write_std(&mut bytes).unwrap();
        let got: Vec<(f64, EventKind)> = events(&bytes).unwrap().into_iter().map(|e| (e.seconds, e.kind)).collect();
        assert_eq!(
            got,
            vec![
                (0.0, EventKind::NoteOn { note: 60, velocity: 100.0 / 127.0 }),
                (0.5, EventKind::NoteOff { note: 60 }),
                (1.5, EventKind::NoteOn { note: 64, velocity: 100.0 / 127.0 }),
                (2.0, EventKind::NoteOff { note: 64 }),
            ]
        );
    }

    #[test]
    fn garbage_is_a_clear_error() {
        assert!(events(b"not midi at all").unwrap_err().starts_with("not a readable MIDI file"));
    }
}
