/** A trajectory that moves to another group of context sequences, and the one whose group it takes. */
export interface TrajectoryMove {
  readonly trajectory: number;
  readonly from: number;
  readonly to: number;
  /** The trajectory that had `to` (not in the call): it gets `from`. */
  readonly displaced: number;
}

/**
 * Which group of context sequences (a sequence per tree branch; one for chains) each trajectory
 * of a target uses, kept so that the trajectories of a call sit in consecutive groups.
 *
 * With a KV stream per sequence (node-llama-cpp 3.22 does not unify them), llama.cpp splits a
 * batch into one pass per run of consecutive sequence ids (split_equal, sequential), and each pass
 * reads all the weights again. When some candidates of a solve have finished, the others would
 * leave gaps: on the 0.5b cost twin on a 2-core CPU, 8 sequences of 16 took 244 ms a step side by
 * side and 434 ms every other one, as much as all 16 (`npm run bench:layout`); on a GPU, where a
 * pass costs about what a step costs, each gap would add a step. A window anywhere costs what one
 * at the start costs. A move costs a sequence copy, once per gap. The runs are counted in the
 * batch's order, so the target also starts a call's decodes in slot order (startInSlotOrder):
 * after moves, the call's trajectories in their own order are not in that of their groups.
 */
export class TrajectoryPacking {
  private readonly groupOf: number[];
  private readonly trajectoryIn: number[];

  constructor(readonly trajectories: number) {
    this.groupOf = Array.from({ length: trajectories }, (_, trajectory) => trajectory);
    this.trajectoryIn = [...this.groupOf];
  }

  /** The group a trajectory uses now. */
  group(trajectory: number): number {
    const group = this.groupOf[trajectory];
    if (group === undefined) {
      throw new RangeError(`trajectory ${String(trajectory)} has no context sequence (this target has ${String(this.trajectories)})`);
    }
    return group;
  }

  /**
   * Whether a call's trajectories, in ascending order, each sit in the group of their own number
   * and fill consecutive groups: nothing to move or renumber. A test without allocations for what
   * every step of a decode is until a trajectory finishes; pack() answers every other call.
   */
  holdsInPlace(calls: readonly { readonly trajectory: number }[]): boolean {
    let previous = -1;
    for (const { trajectory } of calls) {
      if (trajectory <= previous || this.groupOf[trajectory] !== trajectory) return false;
      previous = trajectory;
    }
    const first = calls[0]?.trajectory;
    return first === undefined || previous - first + 1 === calls.length;
  }

  /**
   * Moves the trajectories of a call (`live`) into consecutive groups, with as few moves as
   * possible: into the window of groups that holds most of them already. Each move swaps a
   * trajectory with one outside the call. Returns the moves, already made in this map.
   */
  pack(live: Iterable<number>): TrajectoryMove[] {
    const occupied = new Array<boolean>(this.trajectories).fill(false);
    let lowest = Infinity;
    let highest = -Infinity;
    let count = 0;
    for (const trajectory of new Set(live)) {
      const group = this.group(trajectory);
      occupied[group] = true;
      lowest = Math.min(lowest, group);
      highest = Math.max(highest, group);
      count++;
    }
    if (highest - lowest + 1 <= count) return [];
    // The window of `count` groups with most of the call's trajectories in it.
    let inWindow = 0;
    for (let group = 0; group < count; group++) if (occupied[group]) inWindow++;
    let best = { start: 0, inWindow };
    for (let start = 1; start + count <= this.trajectories; start++) {
      if (occupied[start - 1]) inWindow--;
      if (occupied[start + count - 1]) inWindow++;
      if (inWindow > best.inWindow) best = { start, inWindow };
    }
    const end = best.start + count;
    const free = [];
    for (let group = best.start; group < end; group++) if (!occupied[group]) free.push(group);
    const moves: TrajectoryMove[] = [];
    for (let group = 0; group < this.trajectories; group++) {
      if (!occupied[group] || (group >= best.start && group < end)) continue;
      const to = free[moves.length];
      const trajectory = this.trajectoryIn[group];
      const displaced = to === undefined ? undefined : this.trajectoryIn[to];
      if (to === undefined || trajectory === undefined || displaced === undefined) throw new Error("the packing map lost a group");
      this.place(trajectory, to);
      this.place(displaced, group);
      moves.push({ trajectory, from: group, to, displaced });
    }
    return moves;
  }

  private place(trajectory: number, group: number): void {
    this.groupOf[trajectory] = group;
    this.trajectoryIn[group] = trajectory;
  }
}
