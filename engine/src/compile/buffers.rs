//! Wire buffers assigned by liveness ("buffer colouring", as scsynth's `DoBufferColoring`).
//!
//! Walking the schedule in order, each step takes buffers for its outputs from a free stack, then returns
//! the buffers of inputs it was the last reader of. A patch of fifty nodes typically needs a handful of
//! buffers, so the whole voice's working set stays in L1 cache. Outputs are taken before inputs are released,
//! so a node never reads and writes the same buffer (which Rust's borrow rules would forbid anyway).

use crate::schedule::BufferId;

/// One step of the schedule, by the wires it reads and writes (wire ids are dense, `0..wire_count`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Step {
    /// Wires read, once per reading (a wire read twice counts twice).
    pub reads: Vec<usize>,
    /// Wires written.
    pub writes: Vec<usize>,
}

/// Assigns a buffer to every wire. `pinned` wires are never released (read after the last step).
/// Returns the buffer of each wire and how many buffers there are.
pub(crate) fn colour(steps: &[Step], wire_count: usize, pinned: &[usize]) -> (Vec<BufferId>, usize) {
    let mut readers = vec![0usize; wire_count];
    for step in steps {
        for &w in &step.reads {
            readers[w] += 1;
        }
    }
    for &w in pinned {
        readers[w] = usize::MAX;
    }
    let mut buffer_of = vec![BufferId::MAX; wire_count];
    let mut free: Vec<BufferId> = Vec::new();
    let mut count = 0usize;
    for step in steps {
        for &w in &step.writes {
            buffer_of[w] = free.pop().unwrap_or_else(|| {
                count += 1;
                (count - 1) as BufferId
            });
        }
        for &w in &step.reads {
            if readers[w] != usize::MAX {
                readers[w] -= 1;
                if readers[w] == 0 {
                    free.push(buffer_of[w]);
                }
            }
        }
        for &w in &step.writes {
            if readers[w] == 0 {
                free.push(buffer_of[w]);
            }
        }
    }
    (buffer_of, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(reads: &[usize], writes: &[usize]) -> Step {
        Step { reads: reads.to_vec(), writes: writes.to_vec() }
    }

    #[test]
    fn a_chain_of_ten_nodes_needs_two_buffers() {
        // w0 -> w1 -> ... -> w9, w9 is the output.
        let mut steps = vec![step(&[], &[0])];
        for i in 1..10 {
            steps.push(step(&[i - 1], &[i]));
        }
        let (buffers, count) = colour(&steps, 10, &[9]);
        assert_eq!(count, 2);
        for i in 1..10 {
            assert_ne!(buffers[i], buffers[i - 1], "a node never reads and writes one buffer");
        }
    }

    #[test]
    fn a_wire_stays_reserved_until_its_last_reader() {
        // w0 is read by steps 2 and 3; w1, w2 are scratch in between.
        let steps = vec![step(&[], &[0]), step(&[], &[1]), step(&[0, 1], &[2]), step(&[0, 2], &[3])];
        let (buffers, _) = colour(&steps, 4, &[3]);
        assert_ne!(buffers[1], buffers[0]);
        assert_ne!(buffers[2], buffers[0]);
        assert_ne!(buffers[3], buffers[0]);
        assert_ne!(buffers[3], buffers[2]);
    }

    #[test]
    fn unread_outputs_are_released_after_their_step() {
        let steps = vec![step(&[], &[0, 1]), step(&[0], &[2])];
        let (buffers, count) = colour(&steps, 3, &[2]);
        assert_eq!(count, 2);
        assert_eq!(buffers[2], buffers[1], "the unread output's buffer is reused");
    }
}
