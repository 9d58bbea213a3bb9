//! The plugin's saved state: versioned, and carrying the patch source itself so a project reopens with the
//! same sound even if the patch file moved or changed.
//!
//! Layout: the 8 bytes `FERRULE\0`, a little-endian `u32` version, then the state as RON text.

use serde::{Deserialize, Serialize};

use super::params::{EXPOSED_COUNT, MACRO_COUNT};

const MAGIC: &[u8; 8] = b"FERRULE\0";
/// The state version this build writes; it reads this and older ones. Version 2 added the exposed
/// parameters' positions (a version 1 state restores them at the patch's defaults).
pub const STATE_VERSION: u32 = 2;

/// Everything a project stores about one Ferrule instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedState {
    /// The patch file the user chose, if any (shown, and watched for changes; not needed to reload).
    pub patch_path: Option<String>,
    /// The patch's source text at save time: what is played on reload.
    pub patch_source: String,
    /// Macro control positions, 0..=1.
    pub macros: [f32; MACRO_COUNT],
    /// Master volume in dB.
    pub master_db: f32,
    /// Exposed parameters' control positions 0..=1, by slot (at most [`EXPOSED_COUNT`]; missing slots
    /// start at the patch's defaults). Absent before version 2.
    #[serde(default)]
    pub exposed: Vec<f32>,
}

/// Why a saved state was refused. The plugin keeps playing what it had.
#[derive(Clone, Debug, PartialEq)]
pub enum StateError {
    /// The host handed over no bytes.
    Empty,
    /// The bytes are not a Ferrule state.
    NotFerrule,
    /// Saved by a newer Ferrule.
    FutureVersion(u32),
    /// Damaged or inconsistent.
    Corrupt(String),
    /// The embedded patch no longer compiles (the diagnostics follow).
    Patch(String),
}

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateError::Empty => write!(f, "the saved state is empty"),
            StateError::NotFerrule => write!(f, "the saved state is not a Ferrule state"),
            StateError::FutureVersion(v) => {
                write!(
                    f,
                    "the state was saved by a newer Ferrule (state version {v}; this build reads up to {STATE_VERSION})"
                )
            }
            StateError::Corrupt(why) => write!(f, "the saved state is damaged: {why}"),
            StateError::Patch(diagnostics) => write!(f, "the saved patch does not compile:\n{diagnostics}"),
        }
    }
}

impl std::error::Error for StateError {}

/// Serialises `state`.
pub fn encode(state: &SavedState) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&STATE_VERSION.to_le_bytes());
    out.extend_from_slice(ron::to_string(state).expect("plain data always serialises").as_bytes());
    out
}

/// Reads a state written by [`encode`] (this version or older), checking every value.
pub fn decode(bytes: &[u8]) -> Result<SavedState, StateError> {
    if bytes.is_empty() {
        return Err(StateError::Empty);
    }
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(StateError::NotFerrule);
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version > STATE_VERSION {
        return Err(StateError::FutureVersion(version));
    }
    let text = std::str::from_utf8(&bytes[12..]).map_err(|_| StateError::Corrupt("not UTF-8 text".into()))?;
    let state: SavedState = ron::from_str(text).map_err(|e| StateError::Corrupt(e.to_string()))?;
    if state.exposed.len() > EXPOSED_COUNT {
        return Err(StateError::Corrupt(format!(
            "{} exposed parameters (at most {EXPOSED_COUNT})",
            state.exposed.len()
        )));
    }
    if !state.macros.iter().chain(&state.exposed).all(|m| (0.0..=1.0).contains(m)) || !state.master_db.is_finite() {
        return Err(StateError::Corrupt("a parameter value is out of range".into()));
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> SavedState {
        SavedState {
            patch_path: Some("/patches/bass.ron".into()),
            patch_source: "(version: 1) // \"quoted\"\n".into(),
            macros: [0.0, 0.25, 0.5, 0.75, 1.0, 0.1, 0.2, 0.3],
            master_db: -3.5,
            exposed: vec![0.5, 0.125],
        }
    }

    #[test]
    fn reads_a_version_1_state_with_exposed_parameters_at_their_defaults() {
        let v1 = SavedState { exposed: Vec::new(), ..state() };
        let text = ron::to_string(&v1).unwrap().replace(",exposed:[]", "");
        assert!(!text.contains("exposed"), "{text}");
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&bytes), Ok(v1));
    }

    #[test]
    fn refuses_exposed_positions_out_of_range_or_too_many() {
        assert!(matches!(decode(&encode(&SavedState { exposed: vec![1.5], ..state() })), Err(StateError::Corrupt(_))));
        assert!(matches!(
            decode(&encode(&SavedState { exposed: vec![0.5; EXPOSED_COUNT + 1], ..state() })),
            Err(StateError::Corrupt(_))
        ));
    }

    #[test]
    fn round_trips() {
        assert_eq!(decode(&encode(&state())), Ok(state()));
    }

    #[test]
    fn refuses_empty_truncated_foreign_future_and_random_bytes() {
        let good = encode(&state());
        assert_eq!(decode(&[]), Err(StateError::Empty));
        assert_eq!(decode(b"VST3 something else"), Err(StateError::NotFerrule));
        assert!(matches!(decode(&good[..good.len() - 5]), Err(StateError::Corrupt(_))));
        let mut future = good.clone();
        future[8] = 9;
        assert_eq!(decode(&future), Err(StateError::FutureVersion(9)));
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in [1usize, 11, 12, 13, 100, 4096] {
            let random: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            assert!(decode(&random).is_err());
        }
    }
}
