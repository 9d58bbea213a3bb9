//! A rotary knob: drag up or down to turn it. Reports gesture begin, value changes and gesture end so
//! the host can record automation as one gesture.

use egui::{Color32, Response, Sense, Stroke, Ui, Vec2, WidgetInfo, pos2, vec2};

/// Points of vertical drag that sweep the whole range.
pub const DRAG_RANGE_POINTS: f32 = 200.0;
/// Diameter of the knob, in points.
const DIAMETER: f32 = 40.0;

/// What happened to a knob this frame.
#[derive(Debug)]
pub struct KnobResponse {
    /// The widget's response (hover text etc.).
    pub response: Response,
    /// The user grabbed it this frame.
    pub begin: bool,
    /// The new position 0..=1, if it moved.
    pub changed: Option<f64>,
    /// The user let go this frame.
    pub end: bool,
}

/// Draws a knob at position `value` (0..=1) labelled `label` with `value_text` under it. The accessible
/// label is `label`, the accessible numeric value the position and the accessible text value
/// `value_text`, so tests and screen readers find it by name and read what it shows.
pub fn knob(ui: &mut Ui, label: &str, value: f64, value_text: &str, enabled: bool) -> KnobResponse {
    let size = vec2(DIAMETER + 44.0, DIAMETER + 34.0);
    let sense = if enabled { Sense::drag() } else { Sense::hover() };
    let (rect, response) = ui.allocate_exact_size(size, sense);
    response.widget_info(|| WidgetInfo {
        current_text_value: Some(value_text.to_string()),
        ..WidgetInfo::slider(enabled, value, label)
    });
    let mut changed = None;
    if response.dragged() {
        let delta = -response.drag_delta().y as f64 / DRAG_RANGE_POINTS as f64;
        if delta != 0.0 {
            changed = Some((value + delta).clamp(0.0, 1.0));
        }
    }
    let shown = changed.unwrap_or(value);
    if ui.is_rect_visible(rect) {
        let visuals = ui.style().interact(&response);
        let center = pos2(rect.center().x, rect.top() + DIAMETER / 2.0 + 2.0);
        let radius = DIAMETER / 2.0;
        let painter = ui.painter();
        painter.circle(center, radius, visuals.bg_fill, visuals.fg_stroke);
        // The pointer sweeps 270°, from lower left (0) to lower right (1).
        let angle = (135.0 + 270.0 * shown as f32).to_radians();
        let tip = center + Vec2::angled(angle) * (radius - 4.0);
        let colour = if enabled { Color32::from_rgb(240, 170, 60) } else { Color32::GRAY };
        painter.line_segment([center, tip], Stroke::new(3.0, colour));
        let text_colour = if enabled { ui.visuals().text_color() } else { Color32::GRAY };
        painter.text(
            pos2(rect.center().x, rect.top() + DIAMETER + 4.0),
            egui::Align2::CENTER_TOP,
            label,
            egui::FontId::proportional(11.0),
            text_colour,
        );
        painter.text(
            pos2(rect.center().x, rect.top() + DIAMETER + 18.0),
            egui::Align2::CENTER_TOP,
            value_text,
            egui::FontId::monospace(10.0),
            text_colour,
        );
    }
    KnobResponse { begin: response.drag_started(), changed, end: response.drag_stopped(), response }
}
