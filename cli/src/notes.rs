//! The `--notes` spec: `NOTE@START+DURATION[*VELOCITY]`, comma-separated.

use ferrule_engine::EventKind;
use ferrule_engine::render::TimedEvent;

/// One note of a spec.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Note {
    /// MIDI note number.
    pub note: u8,
    /// Start in seconds.
    pub start: f64,
    /// Length in seconds.
    pub duration: f64,
    /// MIDI velocity 1..=127.
    pub velocity: u8,
}

/// Parses a whole spec such as `C3@0+2,E3@0.5+1.5*80`.
pub fn parse_spec(spec: &str) -> Result<Vec<Note>, String> {
    let notes: Vec<Note> =
        spec.split(',').map(str::trim).filter(|s| !s.is_empty()).map(parse_note).collect::<Result<_, _>>()?;
    if notes.is_empty() {
        return Err("--notes is empty; write notes like \"C4@0+1\"".into());
    }
    Ok(notes)
}

/// Parses one `NOTE@START+DURATION[*VELOCITY]`; the note must end by [`crate::render::MAX_SECONDS`].
pub fn parse_note(item: &str) -> Result<Note, String> {
    let bad =
        |why: &str| format!("bad note \"{item}\": {why} (write NOTE@START+DURATION[*VELOCITY], e.g. C4@0.5+1*90)");
    let (note, rest) = item.split_once('@').ok_or_else(|| bad("missing @START"))?;
    let (start, rest) = rest.split_once('+').ok_or_else(|| bad("missing +DURATION"))?;
    let (duration, velocity) = match rest.split_once('*') {
        Some((d, v)) => (d, Some(v)),
        None => (rest, None),
    };
    let note = parse_note_name(note.trim())
        .ok_or_else(|| bad(&format!("`{}` is not a note (0-127, or a name like C4, F#3, Bb2)", note.trim())))?;
    let seconds = |text: &str, what: &str| -> Result<f64, String> {
        match text.trim().parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
            _ => Err(bad(&format!("{what} `{}` is not a number of seconds ≥ 0", text.trim()))),
        }
    };
    let start = seconds(start, "start")?;
    let duration = seconds(duration, "duration")?;
    let max = crate::render::MAX_SECONDS;
    if start + duration > max {
        return Err(bad(&format!(
            "it ends at {} s, after the {max} s a render may last",
            crate::render::shown(start + duration)
        )));
    }
    let velocity = match velocity {
        None => 100,
        Some(v) => match v.trim().parse::<u8>() {
            Ok(v @ 1..=127) => v,
            _ => return Err(bad(&format!("velocity `{}` is not 1-127", v.trim()))),
        },
    };
    Ok(Note { note, start, duration, velocity })
}

/// A MIDI number (`60`) or a note name (`C4` = 60, `F#3`, `Bb2`, `C-1` = 0).
pub fn parse_note_name(text: &str) -> Option<u8> {
    if let Ok(n) = text.parse::<u8>() {
        return (n <= 127).then_some(n);
    }
    let mut chars = text.chars();
    let letter = chars.next()?.to_ascii_uppercase();
    let base: i32 = match letter {
        'C' => 0,
        'D' => 2,
        'E' => 4,
        'F' => 5,
        'G' => 7,
        'A' => 9,
        'B' => 11,
        _ => return None,
    };
    let rest = chars.as_str();
    let (accidental, octave) = match rest.chars().next() {
        Some('#') => (1, &rest[1..]),
        Some('b') => (-1, &rest[1..]),
        _ => (0, rest),
    };
    let octave: i32 = octave.parse().ok()?;
    let n = (octave + 1) * 12 + base + accidental;
    (0..=127).contains(&n).then_some(n as u8)
}

/// Note-on and note-off events for `notes`.
pub fn events(notes: &[Note]) -> Vec<TimedEvent> {
    notes
        .iter()
        .flat_map(|n| {
            [
                TimedEvent {
                    seconds: n.start,
                    kind: EventKind::NoteOn { note: n.note, velocity: n.velocity as f32 / 127.0 },
                },
                TimedEvent { seconds: n.start + n.duration, kind: EventKind::NoteOff { note: n.note } },
            ]
        })
        .collect()
}

/// The built-in demo: a few bars of chords with a melody on top, about six seconds.
pub fn demo() -> Vec<Note> {
    let chords: [([u8; 4], f64); 4] =
        [([48, 55, 60, 64], 0.0), ([45, 52, 57, 60], 1.5), ([41, 48, 53, 57], 3.0), ([43, 50, 55, 59], 4.5)];
    let mut out: Vec<Note> = Vec::new();
    for (notes, start) in chords {
        out.extend(notes.iter().map(|&note| Note { note, start, duration: 1.4, velocity: 80 }));
    }
    let melody = [
        (72, 0.0),
        (74, 0.375),
        (76, 0.75),
        (79, 1.125),
        (76, 1.5),
        (72, 2.25),
        (69, 3.0),
        (72, 3.75),
        (74, 4.5),
        (71, 5.25),
    ];
    out.extend(melody.iter().map(|&(note, start)| Note { note, start, duration: 0.33, velocity: 100 }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_names() {
        assert_eq!(parse_note_name("C4"), Some(60));
        assert_eq!(parse_note_name("c4"), Some(60));
        assert_eq!(parse_note_name("A4"), Some(69));
        assert_eq!(parse_note_name("F#3"), Some(54));
        assert_eq!(parse_note_name("Bb2"), Some(46));
        assert_eq!(parse_note_name("C-1"), Some(0));
        assert_eq!(parse_note_name("G9"), Some(127));
        assert_eq!(parse_note_name("G#9"), None);
        assert_eq!(parse_note_name("127"), Some(127));
        assert_eq!(parse_note_name("128"), None);
        assert_eq!(parse_note_name("H2"), None);
    }

    #[test]
    fn specs() {
        assert_eq!(
            parse_spec("C3@0+2,E3@0.5+1.5*80").unwrap(),
            vec![
                Note { note: 48, start: 0.0, duration: 2.0, velocity: 100 },
                Note { note: 52, start: 0.5, duration: 1.5, velocity: 80 },
            ]
        );
        assert_eq!(
            parse_spec("C3@0").unwrap_err(),
            "bad note \"C3@0\": missing +DURATION (write NOTE@START+DURATION[*VELOCITY], e.g. C4@0.5+1*90)"
        );
        assert!(parse_spec("X3@0+1").unwrap_err().starts_with("bad note \"X3@0+1\": `X3` is not a note"));
        assert!(parse_spec("C3@-1+1").unwrap_err().contains("start `-1` is not a number of seconds"));
        assert!(parse_spec("C3@0+1*0").unwrap_err().contains("velocity `0` is not 1-127"));
        assert!(parse_spec(",").is_err());
        assert_eq!(
            parse_spec("C3@0+1e9").unwrap_err(),
            "bad note \"C3@0+1e9\": it ends at 1e9 s, after the 3600 s a render may last (write \
             NOTE@START+DURATION[*VELOCITY], e.g. C4@0.5+1*90)"
        );
        assert!(parse_spec("C3@3599+1").is_ok(), "a note may end at the cap");
        assert!(parse_spec("C3@3599+1.5").unwrap_err().contains("it ends at 3600.5 s"));
    }
}
