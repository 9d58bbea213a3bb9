//! Per-note expression values as a sound designer reads and types them, in the engine's own units
//! ([`Expression`]: volume a linear gain, pan 0..1, tuning in semitones, the others 0..1). Format-agnostic:
//! an adapter converts its host's encoding to these units first (VST3's normalised values in
//! [`crate::vst3`]; CLAP already sends them). Main thread; every function here allocates at most the
//! returned string.

use ferrule_engine::Expression;

/// Pan positions closer to the centre than this (a share of the way to one side) read as `C`.
const PAN_CENTRE: f32 = 0.005;

/// The value a new note starts with: unity volume, centre pan, no detune, the rest at 0.
pub fn rest(expression: Expression) -> f32 {
    match expression {
        Expression::Volume => 1.0,
        Expression::Pan => 0.5,
        _ => 0.0,
    }
}

/// The unit shown beside a value: `dB` for volume (shown in decibels though it is held as a gain), `st`
/// (semitones) for tuning, none for the others.
pub fn unit(expression: Expression) -> &'static str {
    match expression {
        Expression::Volume => "dB",
        Expression::Tuning => "st",
        _ => "",
    }
}

/// `value` (in the engine's unit for `expression`) as text: `-6.0 dB` (`-inf dB` for silence), `L 50` /
/// `C` / `R 100` (percent of the way to that side), `+1.00 st`, and `0.40` for the 0..1 expressions.
pub fn format(expression: Expression, value: f32) -> String {
    match expression {
        Expression::Volume if value <= 0.0 => "-inf dB".into(),
        Expression::Volume => format!("{:.1} dB", 20.0 * value.log10()),
        Expression::Pan => {
            let side = (value - 0.5) * 2.0;
            if side.abs() < PAN_CENTRE {
                "C".into()
            } else if side < 0.0 {
                format!("L {:.0}", -side * 100.0)
            } else {
                format!("R {:.0}", side * 100.0)
            }
        }
        Expression::Tuning => format!("{value:+.2} st"),
        _ => format!("{value:.2}"),
    }
}

/// Parses text typed into the host into the engine's unit for `expression`, clamped to its range: what
/// [`format()`] writes, and plain numbers (`-6` dB, `1.5` semitones, `-50` for 50 % left). `None` for text
/// that is not a number (or not finite).
pub fn parse(expression: Expression, text: &str) -> Option<f32> {
    let text = text.trim();
    let value = match expression {
        Expression::Volume => {
            let db = text.trim_end_matches("dB").trim();
            if db == "-inf" { 0.0 } else { 10f32.powf(number(db)? / 20.0) }
        }
        Expression::Pan => {
            let upper = text.to_ascii_uppercase();
            let percent = if upper == "C" {
                0.0
            } else if let Some(left) = upper.strip_prefix('L') {
                -number(left)?
            } else if let Some(right) = upper.strip_prefix('R') {
                number(right)?
            } else {
                number(&upper)?
            };
            0.5 + percent / 200.0
        }
        Expression::Tuning => number(text.trim_end_matches("st"))?,
        _ => number(text)?,
    };
    let (min, max) = expression.range();
    value.is_finite().then(|| value.clamp(min, max))
}

/// A finite number, surrounding blanks ignored.
fn number(text: &str) -> Option<f32> {
    text.trim().parse::<f32>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_in_their_unit() {
        assert_eq!(format(Expression::Volume, 0.5), "-6.0 dB");
        assert_eq!(format(Expression::Volume, 1.0), "0.0 dB");
        assert_eq!(format(Expression::Volume, 0.0), "-inf dB");
        assert_eq!(format(Expression::Pan, 0.25), "L 50");
        assert_eq!(format(Expression::Pan, 0.5), "C");
        assert_eq!(format(Expression::Pan, 1.0), "R 100");
        assert_eq!(format(Expression::Tuning, 1.0), "+1.00 st");
        assert_eq!(format(Expression::Tuning, -2.5), "-2.50 st");
        assert_eq!(format(Expression::Brightness, 0.4), "0.40");
    }

    #[test]
    fn typed_text_parses_back_and_nonsense_does_not() {
        let near = |got: Option<f32>, want: f32| got.is_some_and(|v| (v - want).abs() < 1e-3);
        assert!(near(parse(Expression::Volume, "-6.0 dB"), 0.501));
        assert_eq!(parse(Expression::Volume, "-inf dB"), Some(0.0));
        assert_eq!(parse(Expression::Volume, "+40 dB"), Some(4.0), "clamped to the gain range");
        assert_eq!(parse(Expression::Pan, "L 50"), Some(0.25));
        assert_eq!(parse(Expression::Pan, "r20"), Some(0.6));
        assert_eq!(parse(Expression::Pan, "C"), Some(0.5));
        assert_eq!(parse(Expression::Pan, "-100"), Some(0.0));
        assert_eq!(parse(Expression::Tuning, "+1.00 st"), Some(1.0));
        assert_eq!(parse(Expression::Tuning, "-500"), Some(-120.0));
        assert_eq!(parse(Expression::Vibrato, "0.40"), Some(0.4));
        for bad in ["", "loud", "NaN", "inf", "L", "st"] {
            assert_eq!(parse(Expression::Tuning, bad), None, "{bad:?}");
        }
        assert_eq!(parse(Expression::Volume, "x dB"), None);
        assert_eq!(parse(Expression::Pan, "left"), None);
    }

    #[test]
    fn rest_values_are_inside_each_range() {
        for e in [Expression::Volume, Expression::Pan, Expression::Tuning, Expression::Vibrato, Expression::Pressure] {
            let (min, max) = e.range();
            assert!((min..=max).contains(&rest(e)), "{e:?}");
        }
    }
}
