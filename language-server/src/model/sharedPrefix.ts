// Evaluating a prompt once for the trajectories that share it. Without this, every trajectory of a
// call evaluates its whole context in its own sequence: an inline request's 3 candidates evaluated
// the same ~384-token window 3 times (3.2× the latency of a small file on a CPU), a solve's N
// trajectories their prompt N times. Here, before a call, the tokens that several trajectories
// need and their sequences do not hold are evaluated in one sequence and copied into the others
// (sequenceCopy.ts), and a sequence that already holds what another needs is copied from.
import type { LlamaContextSequence, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { TargetRequest } from "../stand";
import { commonPrefix } from "./commonPrefix";
import { copySequencePrefix } from "./sequenceCopy";
import { startInSlotOrder } from "./sequenceOrder";

/**
 * A copy is made only where it saves this many token evaluations. Sharing costs a decode of its
 * own (the shared part, before the call's batch), and each copy a copy of the destination's whole
 * KV buffer at the next decode (llama.cpp keeps each sequence in its own stream: every layer's
 * cells for the sequence's context, whatever the prefix's length). On the embedded model a token
 * costs about 0.23 ms of a CPU's prompt evaluation and a copy well under that; with a
 * multi-billion-parameter model a token costs far more than copying its 100–200 MB stream.
 */
export const MIN_SHARED_TOKENS = 32;

/** What a trajectory of the call needs before its own evaluation, and what its sequence has of it. */
export interface PrefixWant {
  readonly trajectory: number;
  /** Its context: the call evaluates the last token itself (for its output), so tokens[0..needs) must be held first. */
  readonly tokens: readonly number[];
  readonly needs: number;
  /** How many of those its sequence holds already. */
  readonly holds: number;
}

/** Make `to` hold the first `length` tokens that `from` holds. */
export interface PrefixCopy {
  readonly from: number;
  readonly to: number;
  readonly length: number;
}

/** Evaluate `tokens` in the trajectory's sequence after its first `start` tokens. */
export interface PrefixLead {
  readonly trajectory: number;
  readonly start: number;
  readonly tokens: readonly number[];
}

/** Done in this order: each step reads only sequences that no earlier step of the plan has yet to write. */
export interface SharingPlan {
  /** Copies from sequences that hold a prefix already (they are never written by the plan before). */
  readonly fromHolders: readonly PrefixCopy[];
  /** One evaluation per group of trajectories that share a prefix, all in one batch. */
  readonly leads: readonly PrefixLead[];
  /** Copies from each group's leader to the rest of the group. */
  readonly spreads: readonly PrefixCopy[];
  /** Token evaluations the plan saves. */
  readonly saved: number;
}

interface Member {
  readonly trajectory: number;
  readonly tokens: readonly number[];
  readonly needs: number;
  /** What its sequence will hold of its needs before the leads. */
  readonly start: number;
}

interface Group {
  readonly leader: Member;
  readonly length: number;
  readonly beneficiaries: readonly Member[];
  readonly saved: number;
}

/**
 * The copies and evaluations that give every want its prefix with the fewest token evaluations,
 * or undefined when no copy would save `minShared` of them. `held[t]` is what trajectory t's
 * sequence holds (every sequence of the target, also those not in the call: they may be copied
 * from). Groups share one prefix each (the best cut of the wants' prefix tree into disjoint
 * groups); a prefix shared again inside a group is evaluated by each of its sub-branches.
 */
export function planSharing(
  wants: readonly PrefixWant[],
  held: readonly (readonly number[])[],
  minShared = MIN_SHARED_TOKENS,
): SharingPlan | undefined {
  const fromHolders: PrefixCopy[] = [];
  const sources = new Set<number>();
  const destinations = new Set<number>();
  let saved = 0;
  const members: Member[] = [];
  for (const want of wants) {
    let start = want.holds;
    // A sequence already copied into cannot be read as it was, nor one read from be overwritten first.
    if (want.needs - start >= minShared && !sources.has(want.trajectory)) {
      let best: PrefixCopy | undefined;
      held.forEach((tokens, from) => {
        if (from === want.trajectory || destinations.has(from)) return;
        const length = commonPrefix(tokens, want.tokens, want.needs);
        if (length >= start + minShared && length > (best?.length ?? 0)) best = { from, to: want.trajectory, length };
      });
      if (best) {
        fromHolders.push(best);
        sources.add(best.from);
        destinations.add(best.to);
        saved += best.length - start;
        start = best.length;
      }
    }
    if (want.needs > start) members.push({ trajectory: want.trajectory, tokens: want.tokens, needs: want.needs, start });
  }
  const groups = groupByPrefix(members, 0, minShared);
  const leads: PrefixLead[] = [];
  const spreads: PrefixCopy[] = [];
  for (const { leader, length, beneficiaries, saved: groupSaved } of groups) {
    if (leader.start < length)
      leads.push({ trajectory: leader.trajectory, start: leader.start, tokens: leader.tokens.slice(leader.start, length) });
    for (const member of beneficiaries) spreads.push({ from: leader.trajectory, to: member.trajectory, length });
    saved += groupSaved;
  }
  // Every copy saves at least minShared evaluations.
  return fromHolders.length > 0 || spreads.length > 0 ? { fromHolders, leads, spreads, saved } : undefined;
}

/**
 * The groups that save the most among members that share their first `depth` tokens: all of them
 * on their longest common prefix, or the best groups of each branch where their tokens part.
 */
function groupByPrefix(members: readonly Member[], depth: number, minShared: number): Group[] {
  const [first] = members;
  if (!first || members.length < 2) return [];
  let length = depth;
  while (members.every((member) => member.needs > length && member.tokens[length] === first.tokens[length])) length++;
  const whole = groupOn(members, length, minShared);
  const branches = new Map<number, Member[]>();
  for (const member of members) {
    const token = member.tokens[length];
    if (member.needs <= length || token === undefined) continue;
    const branch = branches.get(token);
    if (branch) branch.push(member);
    else branches.set(token, [member]);
  }
  const split = [...branches.values()].flatMap((branch) => groupByPrefix(branch, length + 1, minShared));
  const splitSaved = split.reduce((sum, group) => sum + group.saved, 0);
  return whole.beneficiaries.length > 0 && whole.saved >= splitSaved ? [whole] : split;
}

/**
 * The members sharing their first `length` tokens: the one that holds most of them evaluates the
 * rest once, and those it saves at least `minShared` evaluations copy them.
 */
function groupOn(members: readonly Member[], length: number, minShared: number): Group {
  const leader = members.reduce((best, member) => (member.start > best.start ? member : best));
  const beneficiaries = members.filter((member) => member !== leader && length - member.start >= minShared);
  const saved = beneficiaries.reduce((sum, member) => sum + length - member.start, 0);
  return { leader, length, beneficiaries, saved };
}

/**
 * A target's prefix sharing: plans it for each call and carries it out on the target's sequences,
 * keeping `held` (the target's record of what each sequence holds, shared with it) true.
 */
export class PrefixSharing {
  private constructor(
    private readonly sequences: readonly LlamaContextSequence[],
    private readonly held: number[][],
    private readonly minShared: number,
  ) {}

  /**
   * Sharing for these sequences, or undefined where it cannot help: one sequence, or a model whose
   * sequences cannot keep a prefix when their tail is erased (recurrent, hybrid, sliding-window
   * attention without a full cache: node-llama-cpp's needsCheckpoints).
   */
  static for(sequences: readonly LlamaContextSequence[], held: number[][], minShared = MIN_SHARED_TOKENS): PrefixSharing | undefined {
    if (sequences.length < 2 || sequences.some((sequence) => sequence.needsCheckpoints)) return undefined;
    return new PrefixSharing(sequences, held, minShared);
  }

  /** Whether any plan has enough unheld tokens for sharing to be worth a look (checked without an await, every step). */
  mayShare(plans: readonly { readonly outputFrom: number }[]): boolean {
    return plans.some((plan) => plan.outputFrom >= this.minShared);
  }

  /**
   * Gives the call's trajectories the prefixes they share before the call evaluates them. `plans`
   * are the call's plans for `requests` (keep: context tokens held, outputFrom: unheld tokens
   * before the first output). Says whether any sequence changed; then the call plans again. With
   * nothing to share, it returns without a native call after one look at each plan.
   */
  async share(
    requests: readonly TargetRequest[],
    plans: readonly { readonly keep: number; readonly outputFrom: number }[],
    signal?: AbortSignal,
  ): Promise<boolean> {
    if (!this.mayShare(plans)) return false;
    const wants = requests.map((request, i): PrefixWant => {
      const keep = plans[i]?.keep ?? 0;
      return { trajectory: request.trajectory, tokens: request.context, holds: keep, needs: keep + (plans[i]?.outputFrom ?? 0) };
    });
    const plan = planSharing(wants, this.held, this.minShared);
    if (!plan) return false;
    const touched = new Set([...plan.fromHolders, ...plan.spreads].map((copy) => copy.to));
    for (const lead of plan.leads) touched.add(lead.trajectory);
    try {
      await Promise.all(plan.fromHolders.map((copy) => this.copy(copy)));
      signal?.throwIfAborted();
      await startInSlotOrder(
        plan.leads,
        (lead) => lead.trajectory,
        (lead) => this.evaluate(lead),
      );
      signal?.throwIfAborted();
      await Promise.all(plan.spreads.map((copy) => this.copy(copy)));
    } catch (error) {
      // What the sequences hold is theirs to say, as after a failed call.
      for (const trajectory of touched) {
        const sequence = this.sequences[trajectory];
        if (sequence) this.held[trajectory] = [...sequence.contextTokens];
      }
      throw error;
    }
    return true;
  }

  private async copy({ from, to, length }: PrefixCopy): Promise<void> {
    const source = this.sequences[from];
    const target = this.sequences[to];
    if (!source || !target) throw new RangeError(`no sequence for a copy from trajectory ${String(from)} to ${String(to)}`);
    if (await copySequencePrefix(source, target, length)) {
      this.held[to] = (this.held[from] ?? []).slice(0, length);
      return;
    }
    // A copy that did not land leaves the sequence unknown: empty it, and the call evaluates its context itself.
    await target.eraseContextTokenRanges([{ start: 0, end: target.nextTokenIndex }]);
    this.held[to] = [];
  }

  private async evaluate({ trajectory, start, tokens }: PrefixLead): Promise<void> {
    const sequence = this.sequences[trajectory];
    const held = this.held[trajectory];
    if (!sequence || !held) throw new RangeError(`trajectory ${String(trajectory)} has no context sequence`);
    if (held.length > start) {
      await sequence.eraseContextTokenRanges([{ start, end: held.length }]);
      held.length = start;
    }
    await sequence.controlledEvaluate(tokens as Token[]);
    held.push(...tokens);
  }
}
