//! The editor window's state and panels: patch file (top), macro and master knobs (left), meters and
//! keyboard (bottom), the patch's exposed parameters (right, when it has any), the patch graph (centre).

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};

use egui::{Color32, RichText, Sense, Shape, Stroke, Ui, Vec2, WidgetInfo};
use ferrule_engine::PatchSource;
use ferrule_engine::compile::view::PatchGraph;

use crate::graph::{GraphLayout, RouteKind, layout};
use crate::intent::{EditorParam, Intent};
use crate::keyboard::Keyboard;
use crate::knob::knob;
use crate::snapshot::{MASTER_RANGE_DB, Snapshot};

/// Colour of errors.
const ERROR: Color32 = Color32::from_rgb(230, 80, 70);
/// Colour of the oscilloscope's trace.
pub const SCOPE_COLOUR: Color32 = Color32::from_rgb(90, 190, 100);
/// How much time the oscilloscope shows, in seconds.
pub const SCOPE_SPAN_SECONDS: f32 = 0.02;

/// Asks the user for a patch file without blocking the editor's thread: called with the folder to start
/// in, it starts a dialog (on another thread, or asynchronously) and returns where the answer will arrive
/// (`None`: cancelled, or no dialog could be shown).
pub type FilePicker = Box<dyn Fn(Option<PathBuf>) -> Receiver<Option<PathBuf>> + Send>;

/// The editor's state: the latest snapshot, what the user is doing, and the intents not yet collected.
/// Lives on the editor's thread.
pub struct EditorState {
    snapshot: Snapshot,
    intents: Vec<Intent>,
    /// The patch path being typed.
    path_field: String,
    /// The graph of `snapshot.patch_text`, laid out (or why it cannot be drawn).
    graph: Result<(PatchGraph, GraphLayout), String>,
    /// The control being dragged and its position, so the knob follows the mouse even while the
    /// snapshot lags behind.
    dragging: Option<(EditorParam, f64)>,
    keyboard: Keyboard,
    /// The file dialog, where one is available ([`EditorState::set_file_picker`]).
    picker: Option<FilePicker>,
    /// The dialog being shown, and where its answer arrives.
    picking: Option<Receiver<Option<PathBuf>>>,
}

impl Default for EditorState {
    fn default() -> Self {
        EditorState::new(Snapshot::default())
    }
}

impl EditorState {
    /// An editor showing `snapshot`.
    pub fn new(snapshot: Snapshot) -> EditorState {
        let mut state = EditorState {
            snapshot: Snapshot::default(),
            intents: Vec::new(),
            path_field: String::new(),
            graph: Err(String::new()),
            dragging: None,
            keyboard: Keyboard::default(),
            picker: None,
            picking: None,
        };
        state.graph = graph_of(&snapshot);
        state.path_field = snapshot.patch_path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
        state.snapshot = snapshot;
        state
    }

    /// Shows a newer snapshot. The graph is laid out again only when the patch text changed.
    pub fn set_snapshot(&mut self, snapshot: Snapshot) {
        if snapshot.patch_text != self.snapshot.patch_text || snapshot.patch_label != self.snapshot.patch_label {
            self.graph = graph_of(&snapshot);
        }
        if snapshot.patch_path != self.snapshot.patch_path {
            self.path_field = snapshot.patch_path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
        }
        self.snapshot = snapshot;
    }

    /// Offers an "Open…" button that shows `picker`'s file dialog; its answer becomes a
    /// [`Intent::LoadFile`]. Without one (no desktop portal or dialog program), the path field and the
    /// user patch list are the ways to choose a patch.
    pub fn set_file_picker(&mut self, picker: FilePicker) {
        self.picker = Some(picker);
    }

    /// The snapshot being shown.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// The graph's layout, or why the patch cannot be drawn.
    pub fn graph_layout(&self) -> Result<&GraphLayout, &str> {
        self.graph.as_ref().map(|(_, l)| l).map_err(String::as_str)
    }

    /// Takes the intents produced since the last call, oldest first.
    pub fn take_intents(&mut self) -> Vec<Intent> {
        std::mem::take(&mut self.intents)
    }

    /// Ends held notes and open gestures: call when the window closes.
    pub fn close(&mut self) {
        self.keyboard.release_all(&mut self.intents);
        if let Some((param, _)) = self.dragging.take() {
            self.intents.push(Intent::EndGesture(param));
        }
    }

    /// Draws the whole editor into `ui` (the window's root) and records what the user did.
    pub fn ui(&mut self, ui: &mut Ui) {
        egui::Panel::top("patch").show(ui, |ui| self.patch_panel(ui));
        egui::Panel::left("controls").resizable(false).show(ui, |ui| self.controls_panel(ui));
        egui::Panel::bottom("play").resizable(false).show(ui, |ui| self.play_panel(ui));
        if !self.snapshot.exposed.is_empty() {
            egui::Panel::right("exposed").resizable(false).show(ui, |ui| self.exposed_panel(ui));
        }
        egui::CentralPanel::default().show(ui, |ui| self.graph_panel(ui));
    }

    fn patch_panel(&mut self, ui: &mut Ui) {
        if let Some(peak) = self.snapshot.runaway_db {
            runaway_banner(ui, peak);
        }
        ui.horizontal(|ui| {
            ui.label(RichText::new("Patch").strong());
            let shown = match &self.snapshot.patch_path {
                Some(path) => path.display().to_string(),
                None => self.snapshot.patch_label.clone(),
            };
            ui.monospace(shown);
        });
        ui.horizontal(|ui| match &self.snapshot.reload {
            Some(r) => {
                let colour = if r.ok { Color32::from_rgb(90, 190, 100) } else { ERROR };
                ui.label(format!("Last reload {}:", r.time));
                ui.colored_label(colour, &r.summary);
            }
            None => {
                ui.label("No reload yet");
            }
        });
        for line in &self.snapshot.diagnostics {
            ui.label(RichText::new(line).monospace().color(ERROR));
        }
        ui.horizontal(|ui| {
            let rollback = ui.add_enabled(self.snapshot.can_rollback, egui::Button::new("Back to last good patch"));
            if rollback.clicked() {
                self.intents.push(Intent::Rollback);
            }
            ui.separator();
            self.file_dialog(ui);
            ui.label("Open");
            let field = ui.add(
                egui::TextEdit::singleline(&mut self.path_field).hint_text("/path/to/patch.ron").desired_width(320.0),
            );
            let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button("Load").clicked() || entered) && !self.path_field.trim().is_empty() {
                self.intents.push(Intent::LoadFile(self.path_field.trim().into()));
            }
        });
        if !self.snapshot.user_patches.is_empty() || self.snapshot.user_folder.is_some() {
            let folder = self.snapshot.user_folder.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
            egui::CollapsingHeader::new(format!("User patches ({folder})")).show(ui, |ui| {
                if self.snapshot.user_patches.is_empty() {
                    ui.label("No .ron patches in the folder yet.");
                }
                ui.horizontal_wrapped(|ui| {
                    for path in &self.snapshot.user_patches {
                        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                        if ui.button(name).clicked() {
                            self.intents.push(Intent::LoadFile(path.clone()));
                        }
                    }
                });
            });
        }
    }

    /// The "Open…" button and the dialog it started, if a file picker is set.
    fn file_dialog(&mut self, ui: &mut Ui) {
        if self.picker.is_none() {
            return;
        }
        if let Some(answer) = &self.picking {
            match answer.try_recv() {
                Ok(Some(path)) => {
                    self.path_field = path.display().to_string();
                    self.intents.push(Intent::LoadFile(path));
                    self.picking = None;
                }
                Ok(None) | Err(TryRecvError::Disconnected) => self.picking = None,
                Err(TryRecvError::Empty) => {}
            }
        }
        let open = ui.add_enabled(self.picking.is_none(), egui::Button::new("Open…"));
        if self.picking.is_some() {
            ui.label("Choosing a file…");
        } else if open.clicked()
            && let Some(picker) = &self.picker
        {
            let start = match (&self.snapshot.patch_path, &self.snapshot.user_folder) {
                (Some(path), _) => path.parent().map(PathBuf::from),
                (None, folder) => folder.clone(),
            };
            self.picking = Some(picker(start));
        }
    }

    fn controls_panel(&mut self, ui: &mut Ui) {
        ui.label(RichText::new("Macros").strong());
        let macros = self.snapshot.macros.clone();
        egui::Grid::new("macros").spacing(Vec2::new(4.0, 4.0)).show(ui, |ui| {
            for (i, m) in macros.iter().enumerate() {
                let param = EditorParam::Macro(i);
                let value = self.shown_value(param, m.value);
                let text = format!("{:.0} %", value * 100.0);
                self.knob(ui, param, &m.name, value, &text, m.used, |v| v);
                if i % 2 == 1 {
                    ui.end_row();
                }
            }
        });
        ui.separator();
        let (min, max) = MASTER_RANGE_DB;
        let db = self.shown_value(EditorParam::Master, self.snapshot.master_db);
        let position = (db - min) / (max - min);
        let text = format!("{db:.1} dB");
        self.knob(ui, EditorParam::Master, "Master", position, &text, true, |p| min + p * (max - min));
    }

    /// A knob for each parameter the patch exposes, two a row, scrolling when there are many. Each moves
    /// its host parameter (a position 0..=1) and shows the value in the parameter's unit.
    fn exposed_panel(&mut self, ui: &mut Ui) {
        ui.label(RichText::new("Parameters").strong());
        let exposed = self.snapshot.exposed.clone();
        egui::ScrollArea::vertical().show(ui, |ui| {
            egui::Grid::new("exposed").spacing(Vec2::new(4.0, 4.0)).show(ui, |ui| {
                for (n, e) in exposed.iter().enumerate() {
                    let param = EditorParam::Exposed(n);
                    let position = self.shown_value(param, e.position);
                    let text = e.text(position);
                    self.knob(ui, param, &e.param.name, position, &text, true, |p| p);
                    if n % 2 == 1 {
                        ui.end_row();
                    }
                }
            });
        });
    }

    /// The value a control shows: the dragged one while it is dragged, the snapshot's otherwise.
    fn shown_value(&self, param: EditorParam, snapshot_value: f64) -> f64 {
        match self.dragging {
            Some((p, v)) if p == param => v,
            _ => snapshot_value,
        }
    }

    /// One knob bound to `param`; `to_value` maps the knob position 0..=1 to the parameter's value.
    #[allow(clippy::too_many_arguments)]
    fn knob(
        &mut self,
        ui: &mut Ui,
        param: EditorParam,
        label: &str,
        position: f64,
        text: &str,
        enabled: bool,
        to_value: impl Fn(f64) -> f64,
    ) {
        let k = knob(ui, label, position, text, enabled);
        if k.begin {
            self.intents.push(Intent::BeginGesture(param));
            self.dragging = Some((param, to_value(position)));
        }
        if let Some(p) = k.changed {
            let value = to_value(p);
            self.dragging = Some((param, value));
            self.intents.push(Intent::SetParam(param, value));
        }
        if k.end {
            self.intents.push(Intent::EndGesture(param));
            self.dragging = None;
        }
    }

    fn play_panel(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            let notes: Vec<String> =
                self.snapshot.active_notes.iter().map(|&k| crate::keyboard::note_name(k)).collect();
            ui.label(format!("Voices: {}", self.snapshot.voices));
            ui.monospace(notes.join(" "));
            ui.separator();
            cpu_meter(ui, self.snapshot.cpu_load, self.snapshot.cpu_peak);
            ui.separator();
            let level = self.snapshot.level_db;
            let text = if level.is_finite() { format!("Level {level:.1} dBFS") } else { "Level -inf dBFS".into() };
            let fill = ((level + 60.0) / 60.0).clamp(0.0, 1.0);
            ui.add(egui::ProgressBar::new(fill).desired_width(140.0).text(text));
        });
        ui.horizontal(|ui| {
            let sounding = self.snapshot.active_notes.clone();
            self.keyboard.ui(ui, &sounding, &mut self.intents);
            ui.separator();
            scope(ui, scope_view(&self.snapshot.scope, self.snapshot.scope_rate));
        });
    }

    fn graph_panel(&mut self, ui: &mut Ui) {
        let (graph, layout) = match &self.graph {
            Ok(g) => g,
            Err(e) => {
                ui.colored_label(ERROR, format!("cannot draw the patch: {e}"));
                return;
            }
        };
        egui::ScrollArea::both().show(ui, |ui| draw_graph(ui, graph, layout));
    }
}

/// Parses the snapshot's patch for drawing.
fn graph_of(snapshot: &Snapshot) -> Result<(PatchGraph, GraphLayout), String> {
    if snapshot.patch_text.is_empty() {
        return Err("no patch".into());
    }
    let source = PatchSource { path: snapshot.patch_label.clone(), text: snapshot.patch_text.clone() };
    let graph = ferrule_engine::graph_view(&source).map_err(|d| d.to_string())?;
    let placed = layout(&graph);
    Ok((graph, placed))
}

/// Paints the laid-out graph: boxes (hover shows parameters), solid audio wires, dashed modulation
/// routes coloured by source with their depth.
fn draw_graph(ui: &mut Ui, graph: &PatchGraph, layout: &GraphLayout) {
    let (area, _) = ui.allocate_exact_size(layout.size, Sense::hover());
    let at = |p: egui::Pos2| p + area.min.to_vec2();
    let painter = ui.painter().clone();
    let text = ui.visuals().text_color();
    let font = egui::FontId::proportional(10.0);
    for wire in layout.wires.iter().chain(&layout.output_wires) {
        let points = [at(wire.start), at(wire.end)];
        let stroke = Stroke::new(2.0, Color32::from_gray(170));
        if wire.feedback {
            painter.extend(Shape::dotted_line(&points, Color32::from_gray(170), 6.0, 1.5));
        } else {
            painter.line_segment(points, stroke);
        }
    }
    for route in &layout.routes {
        let colour = match route.kind {
            RouteKind::Node => Color32::from_rgb(90, 130, 230),
            RouteKind::Control => Color32::from_rgb(160, 110, 220),
            RouteKind::Macro => Color32::from_rgb(230, 130, 60),
        };
        let (start, end) = (at(route.start), at(route.end));
        // Bend the route below the boxes so it does not hide the audio wires.
        let low = start.y.max(end.y) + 14.0;
        let path = [start, egui::pos2(start.x, low), egui::pos2(end.x, low), end];
        painter.extend(Shape::dashed_line(&path, Stroke::new(1.5, colour), 6.0, 4.0));
        painter.text(egui::pos2(end.x, low), egui::Align2::CENTER_TOP, &route.label, font.clone(), colour);
    }
    for tag in &layout.tags {
        let rect = tag.rect.translate(area.min.to_vec2());
        painter.rect_stroke(rect, 8.0, Stroke::new(1.0, Color32::from_gray(120)), egui::StrokeKind::Inside);
        painter.text(rect.center(), egui::Align2::CENTER_CENTER, &tag.label, font.clone(), text);
    }
    let output = layout.output.translate(area.min.to_vec2());
    painter.rect_stroke(output, 18.0, Stroke::new(2.0, Color32::from_gray(200)), egui::StrokeKind::Inside);
    painter.text(output.center(), egui::Align2::CENTER_CENTER, "output", font.clone(), text);
    for node in &layout.nodes {
        let rect = node.rect.translate(area.min.to_vec2());
        let response = ui.interact(rect, ui.scope_id().with(("node", node.index)), Sense::hover());
        response.widget_info(|| WidgetInfo::labeled(egui::Role::Group, true, &node.label));
        let fill =
            if response.hovered() { ui.visuals().widgets.hovered.bg_fill } else { ui.visuals().extreme_bg_color };
        painter.rect_filled(rect, 4.0, fill);
        painter.rect_stroke(rect, 4.0, Stroke::new(1.0, Color32::from_gray(150)), egui::StrokeKind::Inside);
        painter.text(
            rect.center_top() + egui::vec2(0.0, 3.0),
            egui::Align2::CENTER_TOP,
            &node.label,
            egui::FontId::proportional(12.0),
            text,
        );
        painter.text(
            rect.center_bottom() - egui::vec2(0.0, 3.0),
            egui::Align2::CENTER_BOTTOM,
            node.kind,
            font.clone(),
            Color32::GRAY,
        );
        let params = &graph.nodes[node.index].params;
        response.on_hover_ui(|ui| {
            ui.label(RichText::new(format!("{} ({})", node.label, node.kind)).strong());
            egui::Grid::new("params").show(ui, |ui| {
                for &(name, value, unit) in params {
                    ui.label(name);
                    ui.monospace(format!("{value} {unit}"));
                    ui.end_row();
                }
            });
        });
    }
}

/// The red banner shown while the engine keeps a runaway patch muted (`peak_db`: its level when the
/// guard tripped).
fn runaway_banner(ui: &mut Ui, peak_db: f32) {
    egui::Frame::new().fill(Color32::from_rgb(150, 30, 30)).inner_margin(6.0).corner_radius(4.0).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(RichText::new("Muted: the patch ran away").strong().size(16.0).color(Color32::WHITE));
        ui.label(
            RichText::new(format!(
                "Its output stayed above +10.9 dBFS (peak {peak_db:+.1} dBFS), so Ferrule faded it out to protect \
                 your ears and speakers. The next good patch restores the sound: save a fix, open another \
                 patch, or go back to the last good one."
            ))
            .color(Color32::WHITE),
        );
    });
}

/// The CPU meter: a bar of the smoothed load and its text, red when a block took longer than it lasts.
fn cpu_meter(ui: &mut Ui, load: f32, peak: f32) {
    let text = format!("CPU {:.0} % (peak {:.0} %)", load * 100.0, peak * 100.0);
    let over = load > 1.0 || peak > 1.0;
    let mut bar = egui::ProgressBar::new(load.clamp(0.0, 1.0)).desired_width(160.0).text(text);
    if over {
        bar = bar.fill(ERROR);
    }
    ui.add(bar);
}

/// The stretch of `samples` (at `rate` points per second) the oscilloscope shows: the last
/// [`SCOPE_SPAN_SECONDS`] that start at a rising zero crossing, so a steady note stands still. Without a
/// crossing (silence, a very low note) the newest span; with an unknown rate, everything.
pub fn scope_view(samples: &[f32], rate: f32) -> &[f32] {
    let span = (rate * SCOPE_SPAN_SECONDS) as usize;
    if span < 2 || span > samples.len() {
        return samples;
    }
    let last_start = samples.len() - span;
    let trigger = (1..=last_start).rev().find(|&i| samples[i - 1] < 0.0 && samples[i] >= 0.0).unwrap_or(last_start);
    &samples[trigger..trigger + span]
}

/// The oscilloscope: `samples` (±1) as a line across a fixed box.
fn scope(ui: &mut Ui, samples: &[f32]) {
    let (rect, response) = ui.allocate_exact_size(Vec2::new(220.0, 90.0), Sense::hover());
    response.widget_info(|| WidgetInfo::labeled(egui::Role::Image, true, "Oscilloscope"));
    let painter = ui.painter();
    painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
    painter.line_segment(
        [rect.left_center(), rect.right_center()],
        Stroke::new(1.0, ui.visuals().widgets.noninteractive.bg_stroke.color),
    );
    if samples.len() < 2 {
        return;
    }
    let step = rect.width() / (samples.len() - 1) as f32;
    let points: Vec<egui::Pos2> = samples
        .iter()
        .enumerate()
        .map(|(i, s)| {
            egui::pos2(rect.left() + i as f32 * step, rect.center().y - s.clamp(-1.0, 1.0) * rect.height() / 2.0)
        })
        .collect();
    painter.add(Shape::line(points, Stroke::new(1.5, SCOPE_COLOUR)));
}
