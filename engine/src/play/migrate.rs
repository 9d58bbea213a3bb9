//! Carrying node state across a swap, so held notes keep sounding when a patch is reloaded.
//!
//! Nodes are matched by (id, kind) with a merge over both schedules' key tables, which the compiler sorted,
//! so matching costs O(n) and allocates nothing. Matched nodes swap their per-voice state into the new
//! schedule (the old schedule takes the fresh state away with it, to be dropped elsewhere) or, when the old
//! schedule plays on through a crossfade, copy it in place; their parameters glide from the old value to
//! the new through the parameter smoothers. Unmatched new nodes start fresh for the voices already playing.
//! Effects are matched the same way, by id and kind; [`same_effects`] tells the engine whether the chain
//! only changed its values (glide) or its make-up (crossfade the two chains).

use crate::schedule::{EffectEntry, Schedule};

/// How node state crosses a swap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Carry {
    /// The old schedule stops at once: matched nodes' state moves into the new one.
    Move,
    /// The old schedule keeps playing through a crossfade: matched nodes' state is copied, so both go on
    /// from the same point. `Processor::copy_from` copies into memory the new node already has (effects
    /// included: their delay lines copy in place, see `clone_in_place` in `ferrule_nodes`).
    Copy,
}

/// Carries voice node state from `old` into `new` as `voices` says, and effect state as `effects` says.
/// Audio thread; no allocation.
pub(crate) fn carry_over(old: &mut Schedule, new: &mut Schedule, voices: Carry, effects: Carry) {
    for node in new.nodes.iter_mut() {
        node.fresh = true;
    }
    let (mut i, mut j) = (0, 0);
    while i < new.node_keys.len() && j < old.node_keys.len() {
        let key = new.node_keys[i].0;
        let old_key = old.node_keys[j].0;
        if key < old_key {
            i += 1;
        } else if key > old_key {
            j += 1;
        } else {
            // Every pair within the run of equal keys (more than one only on a hash collision).
            let i_end = i + new.node_keys[i..].iter().take_while(|k| k.0 == key).count();
            let j_end = j + old.node_keys[j..].iter().take_while(|k| k.0 == key).count();
            for a in i..i_end {
                for b in j..j_end {
                    move_node(old, new, old.node_keys[b].1 as usize, new.node_keys[a].1 as usize, voices);
                }
            }
            i = i_end;
            j = j_end;
        }
    }
    new.fresh_nodes = new.nodes.iter().any(|n| n.fresh);
    carry_effects(old, new, effects);
}

/// Whether `new`'s effects chain is `old`'s with at most other parameter values: the same effects (id and
/// kind) in the same order, each able to take its predecessor's state, with the same routes into their
/// parameters, at the same sample rate. Then a swap moves each effect's state across and glides its
/// parameters; otherwise the two chains crossfade. Audio thread; compares strings in place, allocates
/// nothing; bounded by the patch's effect and route counts.
pub(crate) fn same_effects(old: &Schedule, new: &Schedule) -> bool {
    if old.effects.len() != new.effects.len() || old.sample_rate != new.sample_rate {
        return false;
    }
    let same_routes = |a: &EffectEntry, b: &EffectEntry| {
        let (pa, pb) = (
            &old.params[a.params.start as usize..a.params.end as usize],
            &new.params[b.params.start as usize..b.params.end as usize],
        );
        pa.len() == pb.len()
            && pa.iter().zip(pb).all(|(x, y)| {
                let (ra, rb) = (
                    &old.routes[x.routes.start as usize..x.routes.end as usize],
                    &new.routes[y.routes.start as usize..y.routes.end as usize],
                );
                ra.len() == rb.len()
                    && ra.iter().zip(rb).all(|(u, v)| u.source == v.source && u.depth.to_bits() == v.depth.to_bits())
            })
    };
    old.effects
        .iter()
        .zip(&new.effects)
        .zip(old.effect_processors.iter().zip(&new.effect_processors))
        .all(|((a, b), (from, to))| a.id == b.id && a.kind == b.kind && to.can_take_state_of(from) && same_routes(a, b))
}

/// Carries each effect's state (delay lines, reverb tail) into the new schedule's effect of the same id and
/// kind when that one can take it ([`ferrule_nodes::Processor::can_take_state_of`]), and glides its
/// parameters. [`Carry::Move`] when the old chain stops now; [`Carry::Copy`] when it plays on through a
/// crossfade, so both chains go on from the same tail. A patch has a handful of effects: the pairwise
/// search costs nothing.
fn carry_effects(old: &mut Schedule, new: &mut Schedule, carry: Carry) {
    if old.sample_rate != new.sample_rate {
        // Delay lines are sized for their rate: nothing carries, and a copy could not be done in place.
        return;
    }
    for to in 0..new.effects.len() {
        let Some(from) = (0..old.effects.len()).position(|i| {
            old.effects[i].id == new.effects[to].id
                && old.effects[i].kind == new.effects[to].kind
                && new.effect_processors[to].can_take_state_of(&old.effect_processors[i])
        }) else {
            continue;
        };
        match carry {
            Carry::Move => std::mem::swap(&mut old.effect_processors[from], &mut new.effect_processors[to]),
            Carry::Copy => {
                new.effect_processors[to].copy_from(&old.effect_processors[from]);
            }
        }
        let (old_params, new_params) = (old.effects[from].params.clone(), new.effects[to].params.clone());
        glide_params(old, new, old_params, new_params);
    }
}
/// Starts each parameter of `new_params` from the current value of the matching one in `old_params`, gliding
/// to its own target through its smoother.
fn glide_params(
    old: &Schedule,
    new: &mut Schedule,
    old_params: std::ops::Range<u32>,
    new_params: std::ops::Range<u32>,
) {
    for (o, n) in (old_params.start..old_params.end).zip(new_params.start..new_params.end) {
        let current = old.params[o as usize].current;
        let slot = &mut new.params[n as usize];
        slot.current = current;
        slot.step = (slot.target - current) / slot.smoothing_samples;
    }
}

/// Carries node `from` of `old` into node `to` of `new` if they are the same node (id and kind).
fn move_node(old: &mut Schedule, new: &mut Schedule, from: usize, to: usize, carry: Carry) {
    let (before, after) = (&old.nodes[from], &new.nodes[to]);
    if before.kind != after.kind || before.id != after.id || !after.fresh {
        return;
    }
    let (old_nodes, new_nodes) = (old.nodes.len(), new.nodes.len());
    for group in 0..old.groups.min(new.groups) {
        let (a, b) = (&mut old.processors[group * old_nodes + from], &mut new.processors[group * new_nodes + to]);
        if !b.can_take_state_of(a) {
            continue;
        }
        match carry {
            Carry::Move => std::mem::swap(a, b),
            Carry::Copy => {
                b.copy_from(a);
            }
        }
    }
    let (old_params, new_params) = (before.params.clone(), after.params.clone());
    glide_params(old, new, old_params, new_params);
    new.nodes[to].fresh = false;
}
