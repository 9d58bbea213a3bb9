"""Renders a MIDI phrase through Ferrule's VST3 bundle in pedalboard, a JUCE-based host.

Run by plugin/tests/pedalboard_host.rs inside the venv it makes under target/; the Rust test measures the
audio this writes, with the same helpers as every other Ferrule test.

    python pedalboard_render.py BUNDLE PRESET|- PHRASE RATE OUT [PARAMETER=VALUE ...]

BUNDLE is Ferrule.vst3, PRESET a .vstpreset to load first (or - for the default patch), PHRASE one of
the phrases below, RATE the sample rate in Hz, then parameters to set (pedalboard's names, values in the
parameter's own unit). OUT receives the left channel as little-endian float32; a JSON line on stdout
says what the host saw.
"""

import json
import sys

import numpy as np
import pedalboard

A4, C4, E4, G4 = 69, 60, 64, 67


def on(key, seconds, velocity=100):
    return ([0x90, key, velocity], seconds)


def off(key, seconds):
    return ([0x80, key, 0], seconds)


# Each phrase: (MIDI messages with times in seconds, duration in seconds).
PHRASES = {
    # A4 from 0.25 s to 1.75 s.
    "a4": ([on(A4, 0.25), off(A4, 1.75)], 2.0),
    # A4 held; the pitch wheel goes fully up at 1.0 s (a MIDI message JUCE must route through IMidiMapping).
    "bend": ([on(A4, 0.0), ([0xE0, 0x7F, 0x7F], 1.0), off(A4, 1.9)], 2.0),
    # A chord, a short melody with the mod wheel coming in, and the release.
    "phrase": (
        [on(C4, 0.0), on(E4, 0.0), on(G4, 0.0), off(C4, 1.0), off(E4, 1.0), off(G4, 1.0)]
        + [([0xB0, 1, v], 1.0 + v / 127.0) for v in range(0, 128, 16)]
        + [m for i, key in enumerate([72, 71, 67, 69]) for m in (on(key, 1.0 + 0.5 * i), off(key, 1.45 + 0.5 * i))],
        4.0,
    ),
}


def main():
    bundle, preset, phrase, rate, out = sys.argv[1:6]
    plugin = pedalboard.load_plugin(bundle)
    if preset != "-":
        plugin.load_preset(preset)
    for setting in sys.argv[6:]:
        name, value = setting.split("=")
        setattr(plugin, name, float(value))
    messages, duration = PHRASES[phrase]
    audio = plugin(messages, duration=duration, sample_rate=float(rate), num_channels=2)
    np.asarray(audio[0], dtype="<f4").tofile(out)
    print(
        json.dumps(
            {
                "name": plugin.name,
                "is_instrument": plugin.is_instrument,
                "latency": plugin.reported_latency_samples,
                "parameters": list(plugin.parameters.keys()),
                "channels": int(audio.shape[0]),
                "frames": int(audio.shape[1]),
            }
        )
    )


if __name__ == "__main__":
    main()
