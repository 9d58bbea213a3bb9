//! The resource budget this plugin compiles patches with: the engine's defaults, or what the environment
//! variables `FERRULE_MEMORY_LIMIT` (MiB) and `FERRULE_CPU_LIMIT` (percent of one core) ask for, read once
//! per process. A patch over the budget is refused like a broken one: the old patch keeps playing and the
//! error names the patch's largest consumers.

use std::sync::OnceLock;

use ferrule_engine::compile::Budget;

/// The variable that raises (or lowers) the memory limit, in MiB (1 to 1,048,576).
pub const MEMORY_VARIABLE: &str = "FERRULE_MEMORY_LIMIT";
/// The variable that raises (or lowers) the CPU limit, in percent of one core (1 to 100,000).
pub const CPU_VARIABLE: &str = "FERRULE_CPU_LIMIT";

/// The budget for every compile in this process. Any thread but audio (the first call reads the
/// environment).
pub fn budget() -> Budget {
    static BUDGET: OnceLock<Budget> = OnceLock::new();
    *BUDGET.get_or_init(|| {
        from_values(std::env::var(MEMORY_VARIABLE).ok().as_deref(), std::env::var(CPU_VARIABLE).ok().as_deref())
    })
}

/// The budget the two variables' values ask for; a value that is missing, not a number or out of range
/// keeps that limit's default.
fn from_values(memory_mib: Option<&str>, cpu_percent: Option<&str>) -> Budget {
    let mut budget = Budget::DEFAULT;
    if let Some(mib) = memory_mib.and_then(|v| v.trim().parse::<u64>().ok()).filter(|m| (1..=1 << 20).contains(m))
        && let Ok(bytes) = usize::try_from(mib << 20)
    {
        budget.memory = bytes;
    }
    if let Some(percent) =
        cpu_percent.and_then(|v| v.trim().parse::<f64>().ok()).filter(|p| p.is_finite() && (1.0..=1e5).contains(p))
    {
        budget.load = (percent / 100.0) as f32;
    }
    budget
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variables_raise_the_limits_and_nonsense_keeps_the_defaults() {
        let b = from_values(Some("1024"), Some("400"));
        assert_eq!((b.memory, b.load), (1 << 30, 4.0));
        for junk in [None, Some(""), Some("lots"), Some("0"), Some("-5"), Some("1e99"), Some("NaN")] {
            assert_eq!(from_values(junk, junk), Budget::DEFAULT, "{junk:?}");
        }
    }
}
