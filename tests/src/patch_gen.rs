//! A generator of adversarial patch *text*: from a string of decision bytes it writes a RON patch that
//! exercises one or two corners of the patch language, and says whether the language must take it.
//!
//! Shared by the property test (`tests/tests/patch_language.rs`), the corpus replay
//! (`tests/tests/fuzz_corpora.rs`) and the cargo-fuzz target `fuzz/fuzz_targets/patch_language.rs`, so a
//! seed means the same patch everywhere. [`crate::patch_check`] checks the invariants on what it writes.
//!
//! Everything is read from the node registry ([`ferrule_nodes::registry::all`]): a new node kind, parameter
//! or choice is covered without editing this file. Each decision reads one byte (two for choices among more
//! than 256); once the bytes run out every decision takes its first option, which is always the plain,
//! valid one, so the empty input is a small valid patch and a short input changes one thing about it.

use ferrule_engine::compile::resolved::ModSource;
use ferrule_engine::compile::validate::{MAX_CONNECTIONS, MAX_MODULATIONS, MAX_NODES};
use ferrule_engine::patch::MAX_EXPOSED;
use ferrule_engine::patch::model::MAX_POLYPHONY;
use ferrule_nodes::{NodeRole, NodeSpec, ParamSpec, Unit, registry};

/// Most macros a patch may declare (`patches/README.md`; the engine keeps the constant private).
pub const MAX_MACROS: usize = 8;

/// Reads decisions from bytes: each [`Choices::below`] takes the next byte (two bytes when choosing among
/// more than 256), and gives 0 once the bytes run out.
pub struct Choices<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Choices<'a> {
    /// Decisions read from `bytes`, from the first.
    pub fn new(bytes: &'a [u8]) -> Choices<'a> {
        Choices { bytes, at: 0 }
    }

    fn byte(&mut self) -> u8 {
        let b = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at = self.at.saturating_add(1);
        b
    }

    /// A number in `0..n` (0 when `n` ≤ 1 or the bytes have run out).
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        let raw = if n <= 256 { self.byte() as usize } else { u16::from_le_bytes([self.byte(), self.byte()]) as usize };
        raw % n
    }

    /// One of `items` (the first once the bytes run out). `items` must not be empty.
    pub fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.below(items.len())]
    }
}

/// What the patch language must do with a generated patch.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// Every part is valid: the patch must compile.
    Compile,
    /// Some part is invalid (the reason says which): the patch must be refused with a diagnostic.
    Refuse(String),
    /// The language reference does not settle it (an unusual number syntax, a cut that may fall in a
    /// comment): either outcome is fine, as long as the other invariants hold.
    Either,
}

impl Expect {
    /// Both parts together: any refusal wins, then any doubt.
    fn and(self, other: Expect) -> Expect {
        match (self, other) {
            (Expect::Refuse(r), _) | (_, Expect::Refuse(r)) => Expect::Refuse(r),
            (Expect::Either, _) | (_, Expect::Either) => Expect::Either,
            _ => Expect::Compile,
        }
    }
}

/// A generated patch: its text, what the language must do with it, and what it exercises.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The patch file's text.
    pub text: String,
    /// Whether it must compile, must be refused, or may do either.
    pub expect: Expect,
    /// What the patch exercises, one phrase per feature ("svf.cutoff = 1e308", "4097 nodes in a chain").
    pub about: Vec<String>,
}

/// One way to write a value, and what the language must do with it.
#[derive(Clone, Debug)]
pub struct Spelling {
    /// The value as written in the file.
    pub text: String,
    /// Whether a patch with only this unusual value must compile.
    pub expect: Expect,
}

fn spelling(text: impl Into<String>, expect: Expect) -> Spelling {
    Spelling { text: text.into(), expect }
}

fn refuse(why: impl Into<String>) -> Expect {
    Expect::Refuse(why.into())
}

/// Whether a number written as `text` is a valid value for a parameter ranging over `min..=max`, by what a
/// user reads in the documentation (the bounds' shortest decimal forms are in range).
fn number_expect(text: &str, min: f32, max: f32) -> Expect {
    // Syntax RON may or may not take; any refusal is fine, any acceptance must still respect the range.
    let dubious = text.starts_with('+') || text.starts_with('.') || text.ends_with('.') || text.contains('_');
    let Ok(v) = text.parse::<f64>() else { return Expect::Either };
    if !v.is_finite() {
        return refuse(format!("{text} is not a finite number"));
    }
    let in32 = (min..=max).contains(&(v as f32));
    let in64 = (min as f64..=max as f64).contains(&v);
    let documented = text == format!("{min}") || text == format!("{max}");
    let inside = if in32 == in64 {
        in32
    } else if documented {
        true
    } else {
        return Expect::Either;
    };
    match (inside, dubious) {
        (false, _) => refuse(format!("{text} is outside {min} to {max}")),
        (true, true) => Expect::Either,
        (true, false) => Expect::Compile,
    }
}

/// The next `f32` above `x` (`f32::next_up`, which needs Rust 1.86; the workspace supports 1.85).
fn next_up(x: f32) -> f32 {
    if x == 0.0 {
        f32::from_bits(1)
    } else if x > 0.0 {
        f32::from_bits(x.to_bits() + 1)
    } else {
        f32::from_bits(x.to_bits() - 1)
    }
}

/// The next `f32` below `x`.
fn next_down(x: f32) -> f32 {
    -next_up(-x)
}

/// Every way the generator writes a value of parameter `p`: its bounds and default as documented and as
/// exact binary values, just and far outside both bounds, zero and negatives, huge and tiny magnitudes,
/// NaN and infinity spellings, integers where floats are expected, quoted numbers; for a choice, every
/// option and wrong ones (unquoted, other case, a number, empty, unknown).
pub fn value_spellings(p: &ParamSpec) -> Vec<Spelling> {
    if p.unit == Unit::Choice {
        let mut out: Vec<Spelling> = p.choices.iter().map(|c| spelling(format!("\"{c}\""), Expect::Compile)).collect();
        let first = p.choices[0];
        // The reference asks for quotes, but RON reads a bare word as a string here: either is fine.
        out.push(spelling(first, Expect::Either));
        let upper = first.to_uppercase();
        if upper != first {
            out.push(spelling(format!("\"{upper}\""), refuse("an option name in the wrong case")));
        }
        out.push(spelling("0", refuse("a number for a choice")));
        out.push(spelling("1.5", refuse("a number for a choice")));
        out.push(spelling("\"\"", refuse("an empty option name")));
        out.push(spelling("\"no_such_option\"", refuse("an unknown option")));
        out.push(spelling(format!("\"{first} \""), refuse("an option name with a trailing space")));
        return out;
    }
    let (min, max) = (p.min, p.max);
    let mut texts: Vec<String> = vec![
        format!("{min}"),
        format!("{max}"),
        format!("{}", p.default),
        format!("{:?}", min as f64),
        format!("{:?}", max as f64),
        format!("{}", next_down(min)),
        format!("{}", next_up(max)),
        format!("{}", min - min.abs().max(1.0)),
        format!("{}", max + max.abs().max(1.0)),
    ];
    for integral in [min, max, p.default] {
        if integral.fract() == 0.0 && integral.abs() < 1e15 {
            texts.push(format!("{}", integral as i64));
        }
    }
    texts.extend(
        [
            "0",
            "0.0",
            "-0.0",
            "1",
            "-1",
            "1e38",
            "-1e38",
            "3.4028236e38",
            "1e308",
            "-1e308",
            "1e-45",
            "-1e-45",
            "5e-324",
            "1e400",
            "-1e400",
            "NaN",
            "inf",
            "-inf",
            "+1",
            ".5",
            "1.",
            "1_000",
            "99999999999999999999",
        ]
        .map(String::from),
    );
    let mut out: Vec<Spelling> = texts
        .into_iter()
        .map(|t| {
            let expect = number_expect(&t, min, max);
            spelling(t, expect)
        })
        .collect();
    out.push(spelling(format!("\"{}\"", p.default), refuse("a number in quotes")));
    out.push(spelling("\"NaN\"", refuse("a name for a number")));
    out.push(spelling("0x10", Expect::Either));
    out.push(spelling("true", refuse("a boolean for a number")));
    out.push(spelling("()", refuse("a unit for a number")));
    out
}

/// One node as the generator writes it.
#[derive(Clone, Debug)]
struct NodeText {
    /// The id, unquoted (quoted when written).
    id: String,
    /// The kind, or `None` for a kind that does not exist (the text in `kind_text`).
    spec: Option<&'static NodeSpec>,
    kind_text: String,
    /// Parameter entries as written: key text (quoted) and value text.
    params: Vec<(String, String)>,
}

impl NodeText {
    fn new(id: &str, spec: &'static NodeSpec) -> NodeText {
        NodeText { id: id.into(), spec: Some(spec), kind_text: format!("\"{}\"", spec.kind), params: Vec::new() }
    }
}

/// A patch being generated, as parts of text.
#[derive(Clone, Debug)]
struct Draft {
    /// `version` value text, or `None` to leave the field out.
    version: Option<String>,
    /// Fields of `voice`, as written (`polyphony: 8`).
    voice: Vec<String>,
    nodes: Vec<NodeText>,
    effects: Vec<NodeText>,
    /// Indices into `nodes` of a chain in which each feeds the next (first output to first input).
    chain: Vec<usize>,
    connections: Vec<String>,
    feedback: Vec<String>,
    modulations: Vec<String>,
    macros: Vec<String>,
    params: Vec<String>,
    /// `output` value text, or `None` to leave it out.
    output: Option<String>,
    /// Top-level fields written after the others (a duplicate `version`, an unknown field).
    extra: Vec<String>,
    expect: Expect,
    about: Vec<String>,
}

/// RON string literal for `s`: quotes and backslashes escaped, everything else (control characters, NUL,
/// any Unicode) written as it is.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Voice node kinds with at least one output (sources) and with an input too (processors).
fn voice_kinds() -> (Vec<&'static NodeSpec>, Vec<&'static NodeSpec>) {
    let voice: Vec<&'static NodeSpec> =
        registry::all().iter().filter(|s| s.role != NodeRole::Effect && !s.outputs.is_empty()).collect();
    let through = voice.iter().copied().filter(|s| !s.inputs.is_empty()).collect();
    (voice, through)
}

fn effect_kinds() -> Vec<&'static NodeSpec> {
    registry::all().iter().filter(|s| s.role == NodeRole::Effect).collect()
}

impl Draft {
    /// The plain valid patch every case starts from: a source into a processor, heard from the processor.
    fn base(c: &mut Choices) -> Draft {
        let (voice, through) = voice_kinds();
        let source = *c.pick(&voice);
        let amp = *c.pick(&through);
        Draft {
            version: Some("1".into()),
            voice: Vec::new(),
            nodes: vec![NodeText::new("osc", source), NodeText::new("amp", amp)],
            effects: Vec::new(),
            chain: vec![0, 1],
            connections: vec![format!("(\"osc.{}\", \"amp.{}\")", source.outputs[0].name, amp.inputs[0].name)],
            feedback: Vec::new(),
            modulations: Vec::new(),
            macros: Vec::new(),
            params: Vec::new(),
            output: Some("Mono(\"amp\")".into()),
            extra: Vec::new(),
            expect: Expect::Compile,
            about: vec![format!("{} into {}", source.kind, amp.kind)],
        }
    }

    fn expect(&mut self, expect: Expect) {
        self.expect = std::mem::replace(&mut self.expect, Expect::Compile).and(expect);
    }

    fn about(&mut self, what: impl Into<String>) {
        self.about.push(what.into());
    }

    /// Every numeric parameter of every node and effect, as (is effect, index, parameter).
    fn numeric_params(&self) -> Vec<(bool, usize, &'static ParamSpec)> {
        let mut out = Vec::new();
        for (effect, list) in [(false, &self.nodes), (true, &self.effects)] {
            for (i, n) in list.iter().enumerate() {
                if let Some(spec) = n.spec {
                    out.extend(spec.params.iter().filter(|p| p.unit != Unit::Choice).map(|p| (effect, i, p)));
                }
            }
        }
        out
    }

    fn node(&self, effect: bool, i: usize) -> &NodeText {
        if effect { &self.effects[i] } else { &self.nodes[i] }
    }

    /// The text of the patch.
    fn render(&self) -> String {
        let mut t = String::from("(\n");
        if let Some(v) = &self.version {
            t.push_str(&format!("    version: {v},\n"));
        }
        if !self.voice.is_empty() {
            t.push_str(&format!("    voice: ({}),\n", self.voice.join(", ")));
        }
        for (field, list) in [("nodes", &self.nodes), ("effects", &self.effects)] {
            if field == "effects" && list.is_empty() {
                continue;
            }
            t.push_str(&format!("    {field}: {{\n"));
            for n in list {
                let params: Vec<String> = n.params.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                t.push_str(&format!(
                    "        {}: (kind: {}, params: {{ {} }}),\n",
                    quote(&n.id),
                    n.kind_text,
                    params.join(", ")
                ));
            }
            t.push_str("    },\n");
        }
        for (field, list) in [
            ("connections", &self.connections),
            ("feedback", &self.feedback),
            ("modulations", &self.modulations),
            ("macros", &self.macros),
            ("params", &self.params),
        ] {
            if list.is_empty() {
                continue;
            }
            t.push_str(&format!("    {field}: [\n"));
            for entry in list {
                t.push_str(&format!("        {entry},\n"));
            }
            t.push_str("    ],\n");
        }
        if let Some(o) = &self.output {
            t.push_str(&format!("    output: {o},\n"));
        }
        for e in &self.extra {
            t.push_str(&format!("    {e},\n"));
        }
        t.push_str(")\n");
        t
    }
}

/// The features a generated patch exercises; [`generate`]'s first byte picks one (mod this count).
pub const FEATURES: usize = 8;
/// Feature index of parameter values ([`generate`]'s first byte), for seeds built by hand.
pub const FEATURE_PARAMS: u8 = 0;

/// Writes a patch from decision bytes; see the module documentation. The first byte picks the main
/// feature, a later one possibly a second, the last decisions an encoding change (BOM, CRLF, tabs,
/// trailing text, a cut, comments).
pub fn generate(bytes: &[u8]) -> Generated {
    let mut c = Choices::new(bytes);
    let first = c.below(FEATURES);
    let mut d = Draft::base(&mut c);
    feature(first, &mut c, &mut d);
    // A second feature one time in four: another one (the same twice could add up past a limit each part
    // respects, or undo the first), and not a new size or shape, which rewrites the nodes the first
    // feature's parts refer to.
    if c.below(4) == 3 {
        let second = c.below(FEATURES);
        if second != 1 && second != first {
            feature(second, &mut c, &mut d);
        }
    }
    // The size limits, whichever features added the parts.
    if d.nodes.len() + d.effects.len() > MAX_NODES {
        d.expect(refuse(format!("{} nodes and effects", d.nodes.len() + d.effects.len())));
    }
    if d.connections.len() + d.feedback.len() > MAX_CONNECTIONS {
        d.expect(refuse("too many connections"));
    }
    if d.modulations.len() > MAX_MODULATIONS {
        d.expect(refuse("too many routes"));
    }
    let g = Generated { text: d.render(), expect: d.expect.clone(), about: d.about.clone() };
    encoding(&mut c, g)
}

fn feature(which: usize, c: &mut Choices, d: &mut Draft) {
    // Every feature builds on the base's two nodes; only a removed `nodes` section leaves fewer.
    if d.nodes.len() < 2 {
        return;
    }
    match which {
        0 => param_values(c, d),
        1 => sizes(c, d),
        2 => modulations(c, d),
        3 => voice(c, d),
        4 => macros_and_exposed(c, d),
        5 => duplicates(c, d),
        6 => ids(c, d),
        _ => sections(c, d),
    }
}

/// One parameter of one node kind (any kind; effects go on the bus) at one of [`value_spellings`]; the
/// node's other parameters possibly all at their minimum or maximum.
fn param_values(c: &mut Choices, d: &mut Draft) {
    let kinds = registry::all();
    let spec = c.pick(kinds);
    let mut node = NodeText::new(&format!("t{}", d.nodes.len() + d.effects.len()), spec);
    if !spec.params.is_empty() {
        let chosen = c.below(spec.params.len());
        let p = &spec.params[chosen];
        let spellings = value_spellings(p);
        let s = c.pick(&spellings).clone();
        let others = c.below(3);
        for (i, q) in spec.params.iter().enumerate() {
            if i == chosen {
                node.params.push((quote(q.name), s.text.clone()));
            } else if others > 0 && q.unit != Unit::Choice {
                let v = if others == 1 { q.min } else { q.max };
                node.params.push((quote(q.name), format!("{v}")));
            }
        }
        d.expect(s.expect);
        d.about(format!(
            "{}.{} = {}{}",
            spec.kind,
            p.name,
            s.text,
            ["", ", the others at their minimum", ", the others at their maximum"][others]
        ));
    }
    if spec.role == NodeRole::Effect {
        d.effects.push(node);
    } else {
        d.nodes.push(node);
    }
}

/// Many nodes (up to and past [`MAX_NODES`]) in a long chain, wide fan-in (many routes into one
/// parameter, or many wires into one input), fan-out, or a loop with and without a feedback wire.
fn sizes(c: &mut Choices, d: &mut Draft) {
    let (_, through) = voice_kinds();
    let counts = [3, 16, 100, 255, 1000, MAX_NODES - 1, MAX_NODES, MAX_NODES + 1, 5000];
    let count = *c.pick(&counts);
    let (step, offset) = (c.below(through.len()).max(1), c.below(through.len()));
    let shape = c.below(6);
    // Node i has kind `through[(offset + i × step) % len]`: one kind throughout or a mixture.
    d.nodes.truncate(1);
    d.connections.clear();
    d.chain = vec![0];
    let total = count;
    for i in 1..total {
        d.nodes.push(NodeText::new(&format!("n{i}"), through[(offset + i * step) % through.len()]));
    }
    let names = ["chain", "modulation fan-in", "wire fan-in", "fan-out", "loop", "loop through feedback"];
    d.about(format!("{total} nodes, {}", names[shape]));
    if total >= BUDGETED {
        // Within the language's limits, but the compile-time resource budget (issue 14) may refuse it.
        d.expect(Expect::Either);
    }
    let first_out = |n: &NodeText| n.spec.map_or("out", |s| s.outputs[0].name);
    let first_in = |n: &NodeText| n.spec.map_or("in", |s| s.inputs.first().map_or("in", |p| p.name));
    let wire = |from: &NodeText, to: &NodeText| {
        format!("(\"{}.{}\", \"{}.{}\")", from.id, first_out(from), to.id, first_in(to))
    };
    match shape {
        // A chain, optionally closed into a loop (shape 4 and 5).
        0 | 4 | 5 => {
            for i in 1..total {
                d.connections.push(wire(&d.nodes[i - 1], &d.nodes[i]));
                d.chain.push(i);
            }
            if shape >= 4 {
                // The first node may be a source without inputs: close the loop at the second.
                let back = wire(&d.nodes[total - 1], &d.nodes[1]);
                // The second node's first input is taken by the chain: use another input, else a route.
                let second = d.nodes[1].spec.expect("generated kinds exist");
                if second.inputs.len() > 1 {
                    let back = back.replacen(
                        &format!("\"{}.{}\")", d.nodes[1].id, second.inputs[0].name),
                        &format!("\"{}.{}\")", d.nodes[1].id, second.inputs[1].name),
                        1,
                    );
                    if shape == 4 { d.connections.push(back) } else { d.feedback.push(back) }
                } else if let Some(p) = second.params.iter().find(|p| p.unit != Unit::Choice) {
                    let fb = if shape == 5 { ", feedback: true" } else { "" };
                    d.modulations.push(format!(
                        "(from: \"{}\", to: \"{}.{}\", depth: 0.5{fb})",
                        d.nodes[total - 1].id,
                        d.nodes[1].id,
                        p.name
                    ));
                } else {
                    return;
                }
                if shape == 4 {
                    d.expect(refuse("a loop without a feedback wire"));
                }
            }
        }
        // Every node moves one parameter of the last.
        1 => {
            let last = &d.nodes[total - 1];
            let Some(p) = last.spec.and_then(|s| s.params.iter().find(|p| p.unit != Unit::Choice)) else { return };
            for i in 0..total - 1 {
                d.modulations
                    .push(format!("(from: \"{}\", to: \"{}.{}\", depth: 0.01)", d.nodes[i].id, last.id, p.name));
            }
            d.chain = vec![total - 1];
        }
        // Every node wired into the same input of the last: an input takes one wire.
        2 => {
            for i in 0..total - 1 {
                d.connections.push(wire(&d.nodes[i], &d.nodes[total - 1]));
            }
            d.expect(refuse("many wires into one input"));
        }
        // The first node feeds every other.
        _ => {
            for i in 1..total {
                d.connections.push(wire(&d.nodes[0], &d.nodes[i]));
            }
        }
    }
    d.output = Some(format!("Mono(\"{}\")", d.nodes[total - 1].id));
}

/// From this many nodes or routes, a patch within the language's limits may still be refused by the
/// compile-time resource budget (memory and cost per sample) being added for issue 14; below it, a valid
/// patch must compile.
pub const BUDGETED: usize = 1000;

/// Spellings of a modulation depth: ordinary, at the accepted magnitude, far past any use, and not numbers.
fn depth_spellings() -> Vec<Spelling> {
    let mut out: Vec<Spelling> = ["1.0", "0", "-1", "0.5", "3"].map(|t| spelling(t, Expect::Compile)).to_vec();
    // The upper limit of a depth is being tightened (issue 14): large but finite depths may go either way.
    out.extend(["-12.0", "4000.0", "1e6", "-1e6", "1000000.1"].map(|t| spelling(t, Expect::Either)));
    out.extend(
        ["1e38", "1e308", "-1e308", "NaN", "inf", "-inf", "1e400"].map(|t| spelling(t, refuse("an unusable depth"))),
    );
    out.push(spelling("\"1\"", refuse("a depth in quotes")));
    out
}

/// Modulation sources: every built-in name (from the engine's own list, `cc1 … cc127` expanded to its ends
/// and just past them), and node outputs; each with whether a voice's route may use it.
fn source_names() -> Vec<(String, Expect)> {
    let mut out: Vec<(String, Expect)> =
        ModSource::BUILTIN.iter().map(|(s, _)| (s.to_string(), Expect::Compile)).collect();
    out.extend(
        [("cc1", true), ("cc127", true), ("cc0", false), ("cc128", false), ("cc001", true), ("cc256", false)]
            .map(|(s, ok)| (s.to_string(), if ok { Expect::Compile } else { refuse(format!("no controller {s}")) })),
    );
    out.extend(
        [
            ("CC1", "a controller in capitals"),
            ("Velocity", "a source in capitals"),
            ("", "an empty source"),
            ("nobody", "an unknown source"),
        ]
        .map(|(s, why)| (s.to_string(), refuse(why))),
    );
    out
}

/// Routes from every kind of source (built-in names and node outputs, forwards, backwards and to itself,
/// with and without `feedback: true`) into parameters of every node, at extreme depths; sometimes
/// thousands of them.
fn modulations(c: &mut Choices, d: &mut Draft) {
    let count = *c.pick(&[1usize, 2, 3, 8, 100, MAX_MODULATIONS, MAX_MODULATIONS + 1]);
    let targets: Vec<(bool, usize, &'static ParamSpec)> = d.numeric_params();
    if targets.is_empty() {
        return;
    }
    let sources = source_names();
    let depths = depth_spellings();
    let mut about = Vec::new();
    if count >= BUDGETED {
        // Within the language's limits, but the compile-time resource budget (issue 14) may refuse it.
        d.expect(Expect::Either);
    }
    for r in 0..count {
        let (effect, node, p) = *c.pick(&targets);
        let to = d.node(effect, node).id.clone();
        let depth = c.pick(&depths).clone();
        let kind = c.below(3);
        let feedback = c.below(2) == 1;
        let (from, expect) = if kind == 0 {
            let (s, e) = c.pick(&sources).clone();
            let shared = matches!(s.as_str(), "modwheel" | "bend" | "pressure") || s.starts_with("cc");
            let e =
                if effect && !shared && e == Expect::Compile { refuse("a per-voice source on an effect") } else { e };
            (s, e)
        } else {
            // A node output: which node, and which of its outputs (or none named, or one that does not exist).
            let from = c.below(d.nodes.len());
            let n = &d.nodes[from];
            let Some(spec) = n.spec else { continue };
            let port = c.below(spec.outputs.len() + 2);
            let (text, mut e) = if port < spec.outputs.len() {
                (format!("{}.{}", n.id, spec.outputs[port].name), Expect::Compile)
            } else if port == spec.outputs.len() {
                (n.id.clone(), Expect::Compile)
            } else {
                (format!("{}.no_such_port", n.id), refuse("an unknown output"))
            };
            if effect {
                e = e.and(refuse("a node output on an effect"));
            } else if !feedback && from >= node {
                // Every wire and route the generator writes runs from a lower node index to a higher one
                // (except loops it means to close), so a route forwards in that order closes no loop. One
                // backwards closes a loop when its target feeds its source: surely along the chain, or
                // when it is its own source; elsewhere it may or may not.
                let pos = |i: usize| d.chain.iter().position(|&x| x == i);
                let looped = from == node || matches!((pos(node), pos(from)), (Some(t), Some(f)) if t <= f);
                e = e.and(if looped { refuse("a route that closes a loop") } else { Expect::Either });
            }
            (text, e)
        };
        let fb = if feedback { ", feedback: true" } else { "" };
        d.modulations.push(format!("(from: {}, to: \"{to}.{}\", depth: {}{fb})", quote(&from), p.name, depth.text));
        d.expect(expect.and(depth.expect.clone()));
        if r < 3 {
            about.push(format!("{from} → {to}.{} by {}{fb}", p.name, depth.text));
        }
    }
    d.about(format!("{count} routes: {}", about.join("; ")));
}

/// Voice settings at and past their limits, with the wrong types and spellings.
fn voice(c: &mut Choices, d: &mut Draft) {
    let max = MAX_POLYPHONY;
    let fields: Vec<(&str, Vec<(String, Expect)>)> = vec![
        (
            "polyphony",
            vec![
                ("8".into(), Expect::Compile),
                ("1".into(), Expect::Compile),
                (format!("{max}"), Expect::Compile),
                ("0".into(), refuse("no voices")),
                (format!("{}", max + 1), refuse("too many voices")),
                ("-1".into(), refuse("negative polyphony")),
                ("8.5".into(), refuse("fractional polyphony")),
                ("8.0".into(), Expect::Either),
                ("1e9".into(), refuse("huge polyphony")),
                ("4294967296".into(), refuse("polyphony past u32")),
                ("99999999999999999999999".into(), refuse("polyphony past u64")),
                ("\"8\"".into(), refuse("polyphony in quotes")),
                ("NaN".into(), refuse("NaN polyphony")),
            ],
        ),
        (
            "mode",
            vec![
                ("Poly".into(), Expect::Compile),
                ("Mono".into(), Expect::Compile),
                ("Legato".into(), Expect::Compile),
                ("\"Mono\"".into(), refuse("a quoted mode")),
                ("mono".into(), refuse("a mode in lower case")),
                ("Portamento".into(), refuse("an unknown mode")),
                ("1".into(), refuse("a number for a mode")),
            ],
        ),
        (
            "glide",
            vec![
                ("0.0".into(), Expect::Compile),
                ("10.0".into(), Expect::Compile),
                ("10".into(), Expect::Compile),
                ("0.000001".into(), Expect::Compile),
                ("1e-45".into(), Expect::Compile),
                ("10.000001".into(), refuse("glide past 10 s")),
                ("-0.0".into(), Expect::Either),
                ("-1".into(), refuse("negative glide")),
                ("NaN".into(), refuse("NaN glide")),
                ("inf".into(), refuse("infinite glide")),
                ("1e308".into(), refuse("huge glide")),
            ],
        ),
        (
            "bend_range",
            vec![
                ("2.0".into(), Expect::Compile),
                ("0".into(), Expect::Compile),
                ("48".into(), Expect::Compile),
                ("48.0001".into(), refuse("bend past 48")),
                ("-1".into(), refuse("negative bend")),
                ("NaN".into(), refuse("NaN bend")),
                ("-inf".into(), refuse("infinite bend")),
            ],
        ),
        (
            "steal",
            vec![
                ("ReleasedThenOldest".into(), Expect::Compile),
                ("Oldest".into(), Expect::Compile),
                ("Lowest".into(), Expect::Compile),
                ("Highest".into(), Expect::Compile),
                ("Never".into(), Expect::Compile),
                ("\"Oldest\"".into(), refuse("a quoted policy")),
                ("Newest".into(), refuse("an unknown policy")),
            ],
        ),
        (
            "amp_envelope",
            vec![
                // Named but never heard: refused at its name (a voice would never end by it).
                ("\"env\"".into(), Expect::Either),
                ("None".into(), Expect::Compile),
                ("Some(\"env\")".into(), Expect::Either),
                ("\"osc\"".into(), Expect::Compile),
                ("\"ghost\"".into(), refuse("no such node")),
                ("env".into(), refuse("an unquoted id")),
            ],
        ),
    ];
    let count = 1 + c.below(3);
    for _ in 0..count {
        let (name, values) = c.pick(&fields);
        let (value, mut expect) = c.pick(values).clone();
        if *name == "amp_envelope" && value.contains("env") && !d.nodes.iter().any(|n| n.id == "env") {
            // An envelope for it to name (the first envelope kind), unheard: an amp envelope nothing hears
            // would keep every voice alive for its whole length, so it is refused at its name.
            if let Some(spec) = registry::all().iter().find(|s| s.role == NodeRole::Envelope) {
                d.nodes.push(NodeText::new("env", spec));
                expect = expect.and(refuse("an amp_envelope that is never heard"));
            }
        }
        // The source node, whatever an earlier feature renamed it to.
        let value = if value == "\"osc\"" { quote(&d.nodes[0].id) } else { value };
        if *name == "amp_envelope"
            && value == quote(&d.nodes[0].id)
            && d.nodes[0].spec.is_some_and(|s| s.role != NodeRole::Envelope)
        {
            expect = expect.and(refuse("amp_envelope names a node that is no envelope"));
        }
        if d.voice.iter().any(|f| f.starts_with(&format!("{name}:"))) {
            expect = refuse(format!("`{name}` twice in `voice`"));
        }
        d.voice.push(format!("{name}: {value}"));
        d.expect(expect);
        d.about(format!("voice {name}: {value}"));
    }
}

/// Names for macros and exposed parameters: ordinary, empty, blank, long, Unicode, with control characters.
fn names() -> Vec<(String, Expect)> {
    vec![
        ("Cutoff".into(), Expect::Compile),
        ("".into(), refuse("an empty name")),
        ("   ".into(), refuse("a blank name")),
        ("Höhe 音 🎹".into(), Expect::Compile),
        ("x".repeat(500), Expect::Either),
        ("a\u{7}b".into(), Expect::Either),
        ("\u{0}".into(), Expect::Either),
        ("\u{1b}[31mred".into(), Expect::Either),
    ]
}

/// Macros and exposed parameters up to and past their counts, with ranges inverted, outside the target's,
/// not numbers; duplicate names and targets.
fn macros_and_exposed(c: &mut Choices, d: &mut Draft) {
    let targets = d.numeric_params();
    if targets.is_empty() {
        return;
    }
    let names = names();
    let depths = depth_spellings();
    let macro_count = *c.pick(&[1usize, 0, MAX_MACROS, MAX_MACROS + 1, 100]);
    let ranges: [(&str, &str, &str, Expect); 9] = [
        ("0.0", "1.0", "0.0", Expect::Compile),
        ("-2.0", "2.0", "0.5", Expect::Compile),
        // Moves its targets by up to 1e308 times their depth: a depth limit may refuse it.
        ("-1e308", "1e308", "0", Expect::Either),
        ("1.0", "0.0", "0.0", refuse("min above max")),
        ("0.0", "0.0", "0.0", refuse("min equal to max")),
        ("0.0", "1.0", "2.0", refuse("default outside")),
        ("NaN", "1.0", "0.0", refuse("NaN min")),
        ("0.0", "inf", "0.0", refuse("infinite max")),
        ("0", "1", "1", Expect::Compile),
    ];
    let mut used: Vec<String> = Vec::new();
    for i in 0..macro_count {
        let (name, mut e) = c.pick(&names).clone();
        let name = if e == Expect::Compile && c.below(2) == 0 { format!("{name} {i}") } else { name };
        if used.contains(&name) {
            e = e.and(refuse("a macro name twice"));
        }
        used.push(name.clone());
        let (min, max, default, range_e) = c.pick(&ranges).clone();
        let mut entries = Vec::new();
        for _ in 0..c.below(3) {
            let (effect, node, p) = *c.pick(&targets);
            let depth = c.pick(&depths).clone();
            entries.push(format!("(to: \"{}.{}\", depth: {})", d.node(effect, node).id, p.name, depth.text));
            e = e.and(depth.expect);
        }
        d.macros.push(format!(
            "(name: {}, min: {min}, max: {max}, default: {default}, targets: [{}])",
            quote(&name),
            entries.join(", ")
        ));
        d.expect(e.and(range_e));
    }
    if macro_count > MAX_MACROS {
        d.expect(refuse("too many macros"));
    }
    let exposed_count = *c.pick(&[0usize, 1, 2, MAX_EXPOSED, MAX_EXPOSED + 1, 40]);
    let mut used_names: Vec<String> = Vec::new();
    let mut used_targets: Vec<String> = Vec::new();
    for i in 0..exposed_count {
        let (name, mut e) = c.pick(&names).clone();
        let name = if e == Expect::Compile { format!("{name} {i}") } else { name };
        if used_names.contains(&name) {
            e = e.and(refuse("an exposed name twice"));
        }
        used_names.push(name.clone());
        // Targets in turn from a chosen start, so a long list repeats one only when it runs out of them.
        let (effect, node, p) = targets[(i + c.below(2)) % targets.len()];
        let n = d.node(effect, node);
        let to = format!("{}.{}", n.id, p.name);
        if used_targets.contains(&to) {
            e = e.and(refuse("a parameter exposed twice"));
        }
        used_targets.push(to.clone());
        // The node's value in the file must lie within the exposed range: only ranges that hold every value
        // of the parameter are expected to compile (a value set by another feature may be anywhere in it).
        let bounds: [(Option<String>, Option<String>, Expect); 7] = [
            (None, None, Expect::Compile),
            (Some(format!("{}", p.min)), Some(format!("{}", p.max)), Expect::Compile),
            (Some(format!("{}", p.max)), Some(format!("{}", p.min)), refuse("min above max")),
            (Some(format!("{}", next_down(p.min))), None, refuse("min outside the parameter's range")),
            (None, Some(format!("{}", p.max + p.max.abs().max(1.0))), refuse("max outside the parameter's range")),
            (Some("NaN".into()), None, refuse("NaN min")),
            (Some(format!("{}", p.default)), Some(format!("{}", p.default)), refuse("min equal to max")),
        ];
        let (min, max, range_e) = c.pick(&bounds).clone();
        let mut fields = vec![format!("name: {}", quote(&name)), format!("to: \"{to}\"")];
        fields.extend(min.map(|m| format!("min: {m}")));
        fields.extend(max.map(|m| format!("max: {m}")));
        d.params.push(format!("({})", fields.join(", ")));
        d.expect(e.and(range_e));
    }
    if exposed_count > MAX_EXPOSED {
        d.expect(refuse("too many exposed parameters"));
    }
    d.about(format!("{macro_count} macros, {exposed_count} exposed parameters"));
}

/// A duplicate in one place: node ids, effect ids, an id in both maps, parameter keys, `voice` fields,
/// top-level fields, macro names, exposed names and targets, two wires into one input.
fn duplicates(c: &mut Choices, d: &mut Draft) {
    let which = c.below(10);
    let names = [
        "a node id twice",
        "an effect id twice",
        "an id among both nodes and effects",
        "a parameter key twice",
        "a voice field twice",
        "`version` twice",
        "a macro name twice",
        "an exposed name twice",
        "a parameter exposed twice",
        "one input wired twice",
    ];
    let effects = effect_kinds();
    match which {
        0 => {
            let mut copy = d.nodes[0].clone();
            copy.params.clear();
            d.nodes.push(copy);
        }
        1 | 2 => {
            let fx = *c.pick(&effects);
            // The source node's id, whatever an earlier feature renamed it to.
            let id = if which == 1 { "fx".to_string() } else { d.nodes[0].id.clone() };
            d.effects.push(NodeText::new(&id, fx));
            if which == 1 {
                d.effects.push(NodeText::new("fx", fx));
            }
        }
        3 => {
            let Some(spec) = d.nodes[1].spec else { return };
            let Some(p) = spec.params.iter().find(|p| p.unit != Unit::Choice) else { return };
            let same = c.below(2) == 0;
            d.nodes[1].params.push((quote(p.name), format!("{}", p.min)));
            d.nodes[1].params.push((quote(p.name), format!("{}", if same { p.min } else { p.max })));
        }
        4 => d.voice.extend(["polyphony: 2".to_string(), "polyphony: 3".to_string()]),
        5 => {
            // Only a second `version` is a duplicate (an earlier feature may have removed the first).
            if d.version.is_none() {
                return;
            }
            d.extra.push("version: 1".into());
        }
        6 => {
            for _ in 0..2 {
                d.macros.push("(name: \"Same\", targets: [])".into());
            }
        }
        7 | 8 => {
            let targets = d.numeric_params();
            if targets.len() < 2 {
                return;
            }
            for (i, t) in targets.iter().take(2).enumerate() {
                let (effect, node, p) = if which == 8 { targets[0] } else { *t };
                let name = if which == 7 { "Same".to_string() } else { format!("P{i}") };
                d.params.push(format!("(name: \"{name}\", to: \"{}.{}\")", d.node(effect, node).id, p.name));
            }
        }
        _ => {
            let (from, to) = (&d.nodes[0], &d.nodes[1]);
            let (Some(fs), Some(ts)) = (from.spec, to.spec) else { return };
            let wire = format!("(\"{}.{}\", \"{}.{}\")", from.id, fs.outputs[0].name, to.id, ts.inputs[0].name);
            if c.below(2) == 0 { d.connections.push(wire) } else { d.feedback.push(wire) }
        }
    }
    d.expect(refuse(names[which]));
    d.about(names[which]);
}

/// The source node's id replaced everywhere by an unusual one: long ASCII ids (valid), and Unicode,
/// control characters, NUL, escapes, dots, reserved names, an empty id (all invalid).
fn ids(c: &mut Choices, d: &mut Draft) {
    let ids: Vec<(String, Expect)> = vec![
        ("osc-1_B".into(), Expect::Compile),
        ("a".repeat(64), Expect::Compile),
        ("a".repeat(1000), Expect::Compile),
        ("a".repeat(100_000), Expect::Compile),
        ("cc".into(), Expect::Compile),
        ("".into(), refuse("an empty id")),
        ("ösc".into(), refuse("a non-ASCII id")),
        ("音".into(), refuse("a non-ASCII id")),
        ("🎹".into(), refuse("an emoji id")),
        ("a b".into(), refuse("a space in an id")),
        ("a.b".into(), refuse("a dot in an id")),
        ("\u{0}".into(), refuse("a NUL id")),
        ("a\u{0}b".into(), refuse("a NUL in an id")),
        ("\u{7}".into(), refuse("a BEL id")),
        ("\u{1b}[31mred".into(), refuse("an ANSI escape in an id")),
        ("\u{202e}cso".into(), refuse("a right-to-left override in an id")),
        ("a\rb".into(), refuse("a carriage return in an id")),
        ("a\nb".into(), refuse("a newline in an id")),
        ("a\tb".into(), refuse("a tab in an id")),
        ("\u{feff}osc".into(), refuse("a BOM in an id")),
        (format!("ö{}", "a".repeat(100_000)), refuse("a long non-ASCII id")),
        ("velocity".into(), refuse("a source name as id")),
        ("cc5".into(), refuse("a controller name as id")),
        ("\\u{41}".into(), Expect::Either),
    ];
    let (id, expect) = c.pick(&ids).clone();
    // `\u{41}` stays a RON escape: written without escaping its backslash.
    let written = if id.starts_with('\\') { format!("\"{id}\"") } else { quote(&id) };
    let old = quote("osc");
    // Every node and effect with the source's id (a duplicate written earlier keeps repeating it).
    let before = d.nodes[0].id.clone();
    for n in d.nodes.iter_mut().chain(d.effects.iter_mut()).filter(|n| n.id == before) {
        n.id = id.clone();
    }
    let (port, whole) = (format!("{}.", &written[..written.len() - 1]), written.clone());
    let rename = |text: &String| text.replace("\"osc.", &port).replace("\"osc\"", &whole);
    for list in [&mut d.connections, &mut d.feedback, &mut d.modulations, &mut d.macros, &mut d.params, &mut d.voice] {
        *list = list.iter().map(rename).collect();
    }
    d.expect(expect);
    let shown: String = id.chars().take(24).flat_map(char::escape_debug).collect();
    d.about(format!("id \"{shown}\" ({} bytes) for {old}", id.len()));
}

/// Top-level structure: `version` values, missing sections, unknown fields, a future version with an
/// unknown field.
fn sections(c: &mut Choices, d: &mut Draft) {
    let cases: [(&str, Expect); 16] = [
        ("version: 1", Expect::Compile),
        ("version: 0", refuse("version 0")),
        ("version: 2", refuse("version 2")),
        ("version: 999", refuse("version 999")),
        ("version: -1", refuse("version -1")),
        ("version: 1.0", Expect::Either),
        ("version: \"1\"", refuse("a quoted version")),
        ("version: 4294967297", refuse("a version past u32")),
        ("version: 999 and an unknown field", refuse("a future file")),
        ("no version", refuse("no version")),
        ("no output", refuse("no output")),
        ("no nodes", refuse("no nodes")),
        ("empty nodes", refuse("no nodes to hear")),
        ("an unknown field", refuse("an unknown field")),
        ("an unknown node kind", refuse("an unknown kind")),
        ("an effect in the voice", refuse("an effect among the voice's nodes")),
    ];
    let (what, expect) = c.pick(&cases).clone();
    // A duplicate `version` written earlier would make any version change a different case.
    if d.extra.iter().any(|e| e.starts_with("version:")) {
        return;
    }
    match what {
        w if w.starts_with("version: 999 ") => {
            d.version = Some("999".into());
            d.extra.push("future_section: [1, 2, 3]".into());
        }
        w if w.starts_with("version: ") => d.version = Some(w["version: ".len()..].into()),
        "no version" => d.version = None,
        "no output" => d.output = None,
        "no nodes" | "empty nodes" => {
            d.nodes.clear();
            d.connections.clear();
            if what == "no nodes" {
                d.extra.push("effects: {}".into());
            }
        }
        "an unknown field" => d.extra.push("nodez: {}".into()),
        "an unknown node kind" => d.nodes[1].kind_text = "\"sawtooth\"".into(),
        _ => {
            let Some(&fx) = effect_kinds().first() else { return };
            d.nodes.push(NodeText::new("fx", fx));
        }
    }
    d.expect(expect);
    d.about(what);
}

/// Changes to the text as bytes: a byte-order mark, CRLF line ends, tab indentation, no line breaks,
/// comments, text after the patch, or a cut anywhere. Decided by the last bytes of the input.
fn encoding(c: &mut Choices, g: Generated) -> Generated {
    match c.below(8) {
        0 => g,
        1 => with_text(g, |t| format!("\u{feff}{t}"), Expect::Compile, "a UTF-8 byte-order mark"),
        2 => with_text(g, |t| t.replace('\n', "\r\n"), Expect::Compile, "CRLF line ends"),
        3 => with_text(g, |t| t.replace("    ", "\t"), Expect::Compile, "tab indentation"),
        4 => with_text(g, |t| t.replace(",\n", ", /* ¶ */ ").replace('\n', " "), Expect::Compile, "one line, comments"),
        5 => {
            let tails: [(&str, Expect); 7] = [
                ("// the end\n", Expect::Compile),
                ("\n\n\n", Expect::Compile),
                ("x", refuse("text after the patch")),
                (")", refuse("a bracket after the patch")),
                ("\u{0}", refuse("a NUL after the patch")),
                ("/* unterminated", refuse("an unterminated comment")),
                ("(version: 1)", refuse("a second patch")),
            ];
            let (tail, expect) = c.pick(&tails).clone();
            let about = format!("{tail:?} after the patch");
            with_text(g, |t| format!("{t}{tail}"), expect, &about)
        }
        _ => {
            let cut = c.below(g.text.len().max(1));
            truncate(&g, cut)
        }
    }
}

fn with_text(g: Generated, f: impl FnOnce(&str) -> String, expect: Expect, about: &str) -> Generated {
    let mut about_all = g.about;
    about_all.push(about.to_string());
    Generated { text: f(&g.text), expect: g.expect.and(expect), about: about_all }
}

/// `g` cut after `cut` bytes (moved back to a character boundary), as a half-saved file: refused when the
/// cut falls before the patch's closing bracket; otherwise what `g` was.
pub fn truncate(g: &Generated, cut: usize) -> Generated {
    let mut cut = cut.min(g.text.len());
    while !g.text.is_char_boundary(cut) {
        cut -= 1;
    }
    let close = g.text.rfind(')').unwrap_or(0);
    let expect = if cut <= close { refuse("a cut file") } else { g.expect.clone() };
    let mut about = g.about.clone();
    about.push(format!("cut after {cut} of {} bytes", g.text.len()));
    Generated { text: g.text[..cut].to_string(), expect, about }
}

/// Decision bytes that make [`generate`] write kind `kind` (an index into the registry) with parameter
/// `param` at spelling `spelling` of [`value_spellings`] (the other parameters left at their defaults),
/// after the plain base patch: what the exhaustive test walks through. Indices must be below 256.
pub fn param_seed(kind: usize, param: usize, spelling: usize) -> Vec<u8> {
    // Feature, base source kind, base processor kind, node kind, parameter, spelling, others at default;
    // then no second feature and no encoding change (the zeros that follow).
    vec![FEATURE_PARAMS, 0, 0, kind as u8, param as u8, spelling as u8, 0]
}
