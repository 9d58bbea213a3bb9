//! The on-screen keyboard: two octaves from C3, played with the mouse (the key under a held button
//! sounds; the lower on the key, the louder) or the computer keyboard (`A W S E D F T G Y H U J K` play
//! C4 to C5). Emits note intents; remembers which keys it holds so every note-on gets its note-off.

use egui::{Color32, Key, Rect, Sense, Stroke, Ui, WidgetInfo, pos2, vec2};

use crate::intent::Intent;

/// The lowest key shown (C3).
pub const LOWEST_KEY: u8 = 48;
/// How many keys are shown (two octaves and the top C).
pub const KEY_COUNT: u8 = 25;
/// Computer keys and the MIDI keys they play (C4..C5, a piano layout on a QWERTY keyboard).
const COMPUTER_KEYS: [(Key, u8); 13] = [
    (Key::A, 60),
    (Key::W, 61),
    (Key::S, 62),
    (Key::E, 63),
    (Key::D, 64),
    (Key::F, 65),
    (Key::T, 66),
    (Key::G, 67),
    (Key::Y, 68),
    (Key::H, 69),
    (Key::U, 70),
    (Key::J, 71),
    (Key::K, 72),
];
const WHITE_WIDTH: f32 = 24.0;
const WHITE_HEIGHT: f32 = 90.0;

/// The name of MIDI key `key` (`C4` is 60).
pub fn note_name(key: u8) -> String {
    const NAMES: [&str; 12] = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
    format!("{}{}", NAMES[key as usize % 12], key as i32 / 12 - 1)
}

fn is_black(key: u8) -> bool {
    matches!(key % 12, 1 | 3 | 6 | 8 | 10)
}

/// The keyboard's state between frames: which key the mouse holds, which the computer keys hold.
#[derive(Debug, Default)]
pub struct Keyboard {
    mouse_key: Option<u8>,
    computer_keys: Vec<u8>,
}

impl Keyboard {
    /// Draws the keyboard, lighting `sounding` keys, and pushes note intents to `out`.
    pub fn ui(&mut self, ui: &mut Ui, sounding: &[u8], out: &mut Vec<Intent>) {
        let whites = (0..KEY_COUNT).filter(|&k| !is_black(LOWEST_KEY + k)).count() as f32;
        let (area, _) = ui.allocate_exact_size(vec2(whites * WHITE_WIDTH, WHITE_HEIGHT), Sense::hover());
        let mut rects = Vec::with_capacity(KEY_COUNT as usize);
        let mut white_index = 0.0;
        for key in LOWEST_KEY..LOWEST_KEY + KEY_COUNT {
            let rect = if is_black(key) {
                let x = area.left() + white_index * WHITE_WIDTH - WHITE_WIDTH * 0.3;
                Rect::from_min_size(pos2(x, area.top()), vec2(WHITE_WIDTH * 0.6, WHITE_HEIGHT * 0.6))
            } else {
                white_index += 1.0;
                let x = area.left() + (white_index - 1.0) * WHITE_WIDTH;
                Rect::from_min_size(pos2(x, area.top()), vec2(WHITE_WIDTH, WHITE_HEIGHT))
            };
            rects.push((key, rect));
        }
        // Black keys sit on top: interact with (and paint) them last so they win where they overlap.
        rects.sort_by_key(|&(key, _)| is_black(key));
        let mut pressed: Option<(u8, f32)> = None;
        for &(key, rect) in &rects {
            let response = ui.interact(rect, ui.scope_id().with(("key", key)), Sense::click_and_drag());
            response.widget_info(|| WidgetInfo::labeled(egui::Role::Button, true, note_name(key)));
            if response.is_pointer_button_down_on() {
                let y = ui.ctx().pointer_latest_pos().map_or(0.5, |p| (p.y - rect.top()) / rect.height());
                pressed = Some((key, (0.3 + 0.7 * y.clamp(0.0, 1.0)).min(1.0)));
            }
            let down = Some(key) == self.mouse_key || self.computer_keys.contains(&key) || sounding.contains(&key);
            let fill = match (is_black(key), down) {
                (_, true) => Color32::from_rgb(240, 170, 60),
                (true, false) => Color32::from_gray(30),
                (false, false) => Color32::from_gray(235),
            };
            // White keys come first in `rects`, so black keys are painted over them.
            ui.painter().rect_filled(rect, 2.0, fill);
            ui.painter().rect_stroke(rect, 2.0, Stroke::new(1.0, Color32::from_gray(90)), egui::StrokeKind::Inside);
        }
        self.mouse(pressed, out);
        if !ui.ctx().egui_wants_keyboard_input() {
            self.computer(ui, out);
        }
    }

    /// Moves the mouse note to `pressed` (key and velocity), ending the old one.
    fn mouse(&mut self, pressed: Option<(u8, f32)>, out: &mut Vec<Intent>) {
        let key = pressed.map(|(k, _)| k);
        if key == self.mouse_key {
            return;
        }
        if let Some(old) = self.mouse_key.take() {
            out.push(Intent::NoteOff { key: old });
        }
        if let Some((key, velocity)) = pressed {
            out.push(Intent::NoteOn { key, velocity });
            self.mouse_key = Some(key);
        }
    }

    fn computer(&mut self, ui: &Ui, out: &mut Vec<Intent>) {
        let events = ui.input(|i| i.events.clone());
        for event in events {
            let egui::Event::Key { key, pressed, repeat: false, modifiers, .. } = event else { continue };
            if modifiers.command || modifiers.alt {
                continue;
            }
            let Some(&(_, note)) = COMPUTER_KEYS.iter().find(|(k, _)| *k == key) else { continue };
            let held = self.computer_keys.contains(&note);
            if pressed && !held {
                self.computer_keys.push(note);
                out.push(Intent::NoteOn { key: note, velocity: 0.8 });
            } else if !pressed && held {
                self.computer_keys.retain(|&k| k != note);
                out.push(Intent::NoteOff { key: note });
            }
        }
    }

    /// Ends every held note (the window is closing). Pushes note-offs to `out`.
    pub fn release_all(&mut self, out: &mut Vec<Intent>) {
        out.extend(self.mouse_key.take().map(|key| Intent::NoteOff { key }));
        out.extend(self.computer_keys.drain(..).map(|key| Intent::NoteOff { key }));
    }
}
