//! Carrying node state across a swap, so held notes keep sounding when a patch is reloaded.
//!
//! Nodes are matched by (id, kind) with a merge over both schedules' key tables, which the compiler sorted,
//! so matching costs O(n) and allocates nothing. Matched nodes swap their per-voice state into the new
//! schedule (the old schedule takes the fresh state away with it, to be dropped elsewhere), and their
//! parameters glide from the old value to the new through the parameter smoothers. Unmatched new nodes
//! start fresh for the voices already playing.

use crate::schedule::Schedule;

/// How node state crosses a swap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Carry {
    /// The old schedule stops at once: matched nodes' state moves into the new one.
    Move,
    /// The old schedule keeps playing through a crossfade: matched nodes' state is copied, so both go on
    /// from the same point. `Processor::copy_from` copies into memory the new node already has.
    Copy,
}

/// Carries state from `old` into `new`. Audio thread; no allocation.
pub(crate) fn carry_over(old: &mut Schedule, new: &mut Schedule, carry: Carry) {
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
                    move_node(old, new, old.node_keys[b].1 as usize, new.node_keys[a].1 as usize, carry);
                }
            }
            i = i_end;
            j = j_end;
        }
    }
    new.fresh_nodes = new.nodes.iter().any(|n| n.fresh);
    carry_effects(old, new);
}

/// Moves each effect's state (delay lines, reverb tail) into the new schedule's effect of the same id and
/// kind, and glides its parameters. Effects play only in the newest schedule, so their state always moves,
/// crossfade or not. A patch has a handful of effects: the pairwise search costs nothing.
fn carry_effects(old: &mut Schedule, new: &mut Schedule) {
    for to in 0..new.effects.len() {
        let Some(from) = old.effects.iter().position(|e| e.id == new.effects[to].id && e.kind == new.effects[to].kind)
        else {
            continue;
        };
        std::mem::swap(&mut old.effect_processors[from], &mut new.effect_processors[to]);
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
