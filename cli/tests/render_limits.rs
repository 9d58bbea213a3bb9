//! `ferrule render` and `ferrule bench` given absurd lengths, times and rates: each is refused before any
//! work with a one-line error and exit status 1, never a panic, an abort or a backtrace.

mod common;

use common::{ferrule, scratch, stderr};

/// Runs `ferrule` and checks the refusal: status 1, exactly `message` on stderr (after `ferrule: error: `),
/// no panic or backtrace, and no output file written.
fn refused(args: &[&str], message: &str) {
    let out = scratch("refused.wav");
    let _ = std::fs::remove_file(&out);
    let mut all = args.to_vec();
    let out_text = out.to_str().unwrap().to_string();
    if args[0] == "render" {
        all.extend(["-o", &out_text]);
    }
    let run = ferrule(&all);
    let said = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{args:?}: {said}");
    assert_eq!(said, format!("ferrule: error: {message}\n"), "{args:?}");
    assert!(!said.contains("panicked") && !said.contains("backtrace"), "{args:?}: {said}");
    assert!(!out.exists(), "{args:?}: nothing is written");
}

const NOTE_FORM: &str = "(write NOTE@START+DURATION[*VELOCITY], e.g. C4@0.5+1*90)";

#[test]
fn notes_past_the_render_cap_are_refused() {
    let d = "patches/default.ron";
    refused(
        &["render", d, "--notes", "C3@0+1e9"],
        &format!("bad note \"C3@0+1e9\": it ends at 1e9 s, after the 3600 s a render may last {NOTE_FORM}"),
    );
    refused(
        &["render", d, "--notes", "C3@1e9+1"],
        &format!("bad note \"C3@1e9+1\": it ends at 1.000000001e9 s, after the 3600 s a render may last {NOTE_FORM}"),
    );
    refused(
        &["render", d, "--notes", "C3@3000+601"],
        &format!("bad note \"C3@3000+601\": it ends at 3601 s, after the 3600 s a render may last {NOTE_FORM}"),
    );
    refused(
        &["render", d, "--notes", "C3@0+inf"],
        &format!("bad note \"C3@0+inf\": duration `inf` is not a number of seconds ≥ 0 {NOTE_FORM}"),
    );
    refused(
        &["render", d, "--notes", "C3@NaN+1"],
        &format!("bad note \"C3@NaN+1\": start `NaN` is not a number of seconds ≥ 0 {NOTE_FORM}"),
    );
    refused(
        &["render", d, "--notes", "C3@0+1*1e9"],
        &format!("bad note \"C3@0+1*1e9\": velocity `1e9` is not 1-127 {NOTE_FORM}"),
    );
}

#[test]
fn lengths_and_rates_out_of_range_are_refused() {
    let d = "patches/default.ron";
    refused(&["render", d, "--seconds", "1e300"], "--seconds 1e300 must be more than 0 and at most 3600");
    refused(&["render", d, "--seconds", "inf"], "--seconds inf must be more than 0 and at most 3600");
    refused(&["render", d, "--seconds", "NaN"], "--seconds NaN must be more than 0 and at most 3600");
    refused(&["render", d, "--seconds", "0"], "--seconds 0 must be more than 0 and at most 3600");
    refused(&["render", d, "--rate", "1e12"], "--rate 1e12 must be a whole number from 8000 to 768000 Hz");
    refused(&["render", d, "--rate", "44100.5"], "--rate 44100.5 must be a whole number from 8000 to 768000 Hz");
    refused(&["render", d, "--block", "1e12"], "--block 1e12 must be a whole number from 1 to 65536 frames");
    refused(&["render", d, "--block", "0"], "--block 0 must be a whole number from 1 to 65536 frames");
}

#[test]
fn a_render_larger_than_a_wav_file_holds_is_refused_before_it_starts() {
    refused(
        &["render", "patches/default.ron", "--seconds", "3600", "--rate", "768000"],
        "3600.00 s at 768000 Hz is 22.1 GB of audio, more than the 4 GiB a WAV file holds (at most 699.0 s at \
         this rate)",
    );
    refused(
        &["render", "patches/default.ron", "--notes", "C3@3000+1", "--rate", "192000"],
        "3003.00 s at 192000 Hz is 4.6 GB of audio, more than the 4 GiB a WAV file holds (at most 2796.0 s at \
         this rate)",
    );
}

#[test]
fn swap_times_past_the_end_are_refused() {
    let d = "patches/default.ron";
    refused(
        &["render", d, "--swap-at", "1e9:patches/default.ron"],
        "bad --swap-at \"1e9:patches/default.ron\": 1e9 s is after the 3600 s a render may last (write \
         SECONDS:PATCH, e.g. 1.5:other.ron)",
    );
    refused(
        &["render", d, "--notes", "C3@0+1", "--swap-at", "5:patches/default.ron"],
        "--swap-at 5 s is not before the end of the render (3.00 s)",
    );
}

/// A one-track MIDI file: middle C from tick 0 for `ticks` ticks at 480 ticks per beat and 120 BPM.
fn midi_note(ticks: u32) -> Vec<u8> {
    use midly::num::{u4, u7, u15, u28};
    use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};
    let note = |delta: u32, vel: u8| TrackEvent {
        delta: u28::new(delta),
        kind: TrackEventKind::Midi {
            channel: u4::new(0),
            message: MidiMessage::NoteOn { key: u7::new(60), vel: u7::new(vel) },
        },
    };
    let end = TrackEvent { delta: u28::new(0), kind: TrackEventKind::Meta(MetaMessage::EndOfTrack) };
    let smf = Smf {
        header: Header::new(Format::SingleTrack, Timing::Metrical(u15::new(480))),
        tracks: vec![vec![note(0, 100), note(ticks, 0), end]],
    };
    let mut bytes = Vec::new();
    smf.write_std(&mut bytes).unwrap();
    bytes
}

#[test]
fn a_midi_file_longer_than_the_cap_or_too_large_is_refused() {
    // The largest delta a MIDI file can hold: 2^28 - 1 ticks, 279,620 s at 120 BPM and 480 ticks a beat.
    let long = scratch("long.mid");
    std::fs::write(&long, midi_note((1 << 28) - 1)).unwrap();
    let path = long.to_str().unwrap();
    refused(
        &["render", "patches/default.ron", "--midi", path],
        &format!(
            "{path}: the last note ends at 279620 s, after the 3600 s a render may last; give --seconds to render \
             its start"
        ),
    );
    let huge = scratch("huge.mid");
    let mut bytes = midi_note(480);
    bytes.resize(5 << 20, 0);
    std::fs::write(&huge, bytes).unwrap();
    let path = huge.to_str().unwrap();
    refused(
        &["render", "patches/default.ron", "--midi", path],
        &format!("{path}: larger than the 4 MB a MIDI file may be"),
    );
}

#[test]
fn the_start_of_a_long_midi_file_renders_with_seconds() {
    let long = scratch("long-start.mid");
    std::fs::write(&long, midi_note((1 << 28) - 1)).unwrap();
    let out = scratch("long-start.wav");
    let run = ferrule(&[
        "render",
        "patches/default.ron",
        "-o",
        out.to_str().unwrap(),
        "--midi",
        long.to_str().unwrap(),
        "--seconds",
        "0.5",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let (_, samples) = common::read_wav(&out);
    assert_eq!(samples.len(), 2 * 24_000);
    assert!(samples.iter().any(|x| x.abs() > 0.05), "the held note is heard");
}

#[test]
fn bench_arguments_out_of_range_are_refused() {
    let r = "patches/ref-voice.ron";
    refused(&["bench", r, "--voices", "1e9"], "--voices 1e9 must be a whole number from 1 to 128");
    refused(&["bench", r, "--voices", "0"], "--voices 0 must be a whole number from 1 to 128");
    refused(&["bench", r, "--rate", "1e300"], "--rate 1e300 must be a whole number from 8000 to 768000 Hz");
    refused(&["bench", r, "--seconds", "1e300"], "--seconds 1e300 must be more than 0 and at most 600");
    // 600 s in blocks of 1 frame at 768 kHz is 460,800,000 blocks: their timings alone would take 3.7 GB.
    refused(
        &["bench", r, "--seconds", "600", "--block", "1", "--rate", "768000"],
        "--seconds 600 in blocks of 1 frames at 768000 Hz is 460800000 blocks to time, more than the 1048576 a run \
         keeps: time fewer seconds or larger blocks",
    );
}
