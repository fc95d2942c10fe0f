// Token healing for inline completions. A prompt that ends where the text ends puts a token
// boundary at the cursor that real text would not have there. After "  return" the prompt ends in
// a word token; in text the model learnt from, " return" is followed by " b" or ";", and a token
// boundary right after a word with the word going on is what a cut inside a word looks like (FIM
// middles start anywhere), so the model goes on with the word: "returnr = b;". So the prompt is
// backed off by the prefix's last token
// (the whole word when the cut would split one), and the first generated tokens are constrained to
// spell that text again (see isAllowed). Each constrained token is sampled from the model's own
// next-token distribution restricted to the tokens allowed there and renormalised, with the
// request's sampler on top (temperature, top-k, top-p, min-p), so the completion follows the
// model's distribution given the text so far. STAND then decodes on from there as usual, and the
// spelt text is stripped from the front of the result. When the prefix ends in whitespace (a line
// of only indentation, or a space typed after `return` or `=`), the text after it must start with
// code, not more whitespace: a trailing space is the start of the next token, as a partial word is
// (" b" after "return", never " " + "  return").
//
// Engine-level only (TargetModel, SparseDistribution, Random): no node-llama-cpp here.
import type { HealingReadings } from "./healingReadings";
import {
  DraftTree,
  Random,
  sampleToken,
  samplerDistribution,
  type SamplingOptions,
  type SparseDistribution,
  type TargetModel,
  type TargetRequest,
} from "./stand";

/** The text of one token on its own ("" for control tokens). */
export type TokenText = (token: number) => string;

export interface HealingCut {
  /** The prefix without its last token's text: the prompt is built from this. */
  readonly text: string;
  /** What the first generated tokens must spell. */
  readonly constraint: Constraint;
  /** The tokens backed off (what the user typed): the likeliest start when the cut is at a word's end. */
  readonly typed: readonly number[];
}

/**
 * What the next tokens must spell: `remaining` (the backed-off token's text, or what is left of
 * it), then, when `thenCode`, something other than whitespace (the backed-off text ends in
 * whitespace the user typed, so the completion starts with code rather than more whitespace).
 */
export interface Constraint {
  readonly remaining: string;
  readonly thenCode: boolean;
}

/**
 * Where the allowed tokens are too many to ask about one by one (see candidatesFor): the model's
 * 1,024 most likely next tokens, untruncated otherwise. Among so many allowed tokens the ones
 * left out carry next to no probability, and a full-vocabulary distribution would cost a Map of
 * every token (152k for Qwen) at every inline request.
 */
export const BROAD_DISTRIBUTION: SamplingOptions = { temperature: 1, topK: 1024, topP: 1, minP: 0 };

/** Most candidate tokens asked about exactly (the rest of the time, BROAD_DISTRIBUTION is read). */
export const MAX_CANDIDATES = 4096;

/** Tokens by text: the vocabulary's tokens that start with a text, found without reading all of them. */
export interface TokenIndex {
  /** The tokens whose text starts with `prefix`, or undefined when there are more than `limit`. */
  startingWith(prefix: string, limit: number): readonly number[] | undefined;
  /** The tokens whose text is exactly `text`. */
  spelling(text: string): readonly number[];
}

/** What a target reads at one position: the model's untruncated distribution among some tokens only, renormalised, or the sampler's. */
export type Reading = { readonly among: readonly number[] } | { readonly sampling: SamplingOptions };

/**
 * A target that can read each position of a request's draft chain its own way: among some tokens
 * only, at a cost proportional to their number, or through a sampler (LlamaTarget.evaluateReadings).
 */
export interface RestrictingTarget extends TargetModel {
  /** Each request's distributions at its context's end and after each token of its draft chain, read as `readings[i][position]` says. */
  evaluateReadings(
    requests: readonly TargetRequest[],
    readings: readonly (readonly Reading[])[],
    signal?: AbortSignal,
  ): Promise<SparseDistribution[][]>;
}

/**
 * The tokens that may come next under a constraint (isAllowed decides among them), or undefined
 * when more than MAX_CANDIDATES start with what remains (a lone space, say).
 */
export function candidatesFor(constraint: Constraint, index: TokenIndex): number[] | undefined {
  const starting = index.startingWith(constraint.remaining, MAX_CANDIDATES);
  if (!starting) return undefined;
  const shorter = WHITESPACE.test(constraint.remaining) ? index.spelling(constraint.remaining.slice(0, -1)) : [];
  return [...starting, ...shorter];
}

/**
 * The tokens a reading under this constraint asks about (candidatesFor, less the excluded and the
 * ones isAllowed refuses), or undefined when there are too many to ask about one by one.
 */
export function allowedTokens(
  constraint: Constraint,
  index: TokenIndex,
  textOf: TokenText,
  excluded: ReadonlySet<number>,
): number[] | undefined {
  return candidatesFor(constraint, index)?.filter((token) => !excluded.has(token) && isAllowed(textOf(token), constraint));
}

const WORD = /[\p{L}\p{N}_$]/u;
const SPACE = /\s/;
const WHITESPACE = /^\s+$/;

/** Tokens backed off at most: a word is rarely longer. */
const MAX_BACK_OFF = 4;

/**
 * Where to back the prefix off: its last token, and the ones before it while the cut would split
 * a word (" ret" + "ur" is backed off as a whole, so " return" can come back). Nothing when the
 * prefix is empty or ends a line (a newline is a boundary in any tokenization) or the text backed
 * off is not a clean end of the prefix (part of a multi-byte character).
 */
export function healingCut(prefix: string, prefixTokens: readonly number[], textOf: TokenText): HealingCut | undefined {
  // prefixTokens may tokenize only the end of the prefix (its last line): only the last few are read.
  if (prefix.length === 0 || prefix.endsWith("\n") || prefixTokens.length === 0) return undefined;
  const last = prefixTokens.at(-1);
  if (last === undefined) return undefined;
  let start = prefixTokens.length - 1;
  let removed = textOf(last);
  while (start > 0 && prefixTokens.length - start < MAX_BACK_OFF && WORD.test(removed[0] ?? "")) {
    const previous = prefixTokens[start - 1];
    if (previous === undefined) break;
    const before = textOf(previous);
    if (!WORD.test(before.at(-1) ?? "")) break;
    removed = before + removed;
    start--;
  }
  if (removed.length === 0 || removed.includes("\uFFFD") || !prefix.endsWith(removed)) return undefined;
  return {
    text: prefix.slice(0, prefix.length - removed.length),
    // Whitespace at the end (indentation, or the space after "return") goes with the code after it.
    constraint: { remaining: removed, thenCode: SPACE.test(removed.slice(-1)) },
    typed: prefixTokens.slice(start),
  };
}

/**
 * Whether a token with this text may come next. It spells all that remains and maybe more, and
 * when code must follow it, goes on with code. Or, in whitespace only, it spells all but the last
 * character: tokenizers attach one space (or tab) to the word after it, so "  return" is " " +
 * " return". Other parts are not allowed: a model gives " ne" (or " " before "return") the
 * probability of texts that do not go on as the constraint wants, and forcing the rest after it
 * would glue nonsense on.
 */
export function isAllowed(text: string, { remaining, thenCode }: Constraint): boolean {
  if (text.length === 0) return false;
  if (text.startsWith(remaining)) {
    const next = text[remaining.length];
    return !thenCode || (next !== undefined && !SPACE.test(next));
  }
  return text.length === remaining.length - 1 && remaining.startsWith(text) && WHITESPACE.test(remaining);
}

/** The constraint after a token with this text (an allowed one). */
export function advance({ remaining, thenCode }: Constraint, text: string): Constraint {
  return text.length < remaining.length ? { remaining: remaining.slice(text.length), thenCode } : { remaining: "", thenCode: false };
}

export function isSpelt(constraint: Constraint): boolean {
  return constraint.remaining.length === 0;
}

/**
 * The sampler's distribution over the allowed tokens: the model's (untruncated) distribution
 * restricted to them and renormalised, then top-k / top-p / min-p / temperature as `sampling`
 * says. Undefined when no allowed token has any probability.
 */
export function constrainedDistribution(
  distribution: SparseDistribution,
  constraint: Constraint,
  textOf: TokenText,
  sampling: SamplingOptions,
  excluded: ReadonlySet<number> = new Set(),
): SparseDistribution | undefined {
  const tokens: number[] = [];
  const logits: number[] = [];
  for (let i = 0; i < distribution.tokens.length; i++) {
    const token = distribution.tokens[i];
    const probability = distribution.probs[i] ?? 0;
    if (token === undefined || !(probability > 0) || excluded.has(token) || !isAllowed(textOf(token), constraint)) continue;
    tokens.push(token);
    logits.push(Math.log(probability));
  }
  if (tokens.length === 0) return undefined;
  const restricted = samplerDistribution(logits, sampling);
  // samplerDistribution numbers the logits it was given: map its indices back to tokens.
  const allowed = Int32Array.from(restricted.tokens, (index) => {
    const token = tokens[index];
    if (token === undefined) throw new RangeError(`the sampler returned index ${index} of ${tokens.length} logits`);
    return token;
  });
  return { tokens: allowed, probs: restricted.probs };
}

export interface HealingRequest {
  /** The backed-off prompt (built from HealingCut.text), the same for every trajectory. */
  readonly prompt: readonly number[];
  readonly constraint: Constraint;
  /**
   * The tokens the prompt backed off (what the user typed). The first call also evaluates them
   * after the prompt: a trajectory that spells them again then has its next distributions already.
   */
  readonly typed?: readonly number[];
  readonly trajectories: number;
  readonly sampling: SamplingOptions;
  readonly seed: number;
  readonly textOf: TokenText;
  /** Never allowed as a constrained token (end of text). */
  readonly excluded?: Iterable<number>;
  /** The vocabulary by text: with a RestrictingTarget, each step reads only the allowed tokens' probabilities. */
  readonly index?: TokenIndex;
  /**
   * The first readings of earlier requests (with an index): one at this prompt that read every
   * token the constraint allows is used instead of a call, and a new one is kept.
   */
  readonly readings?: HealingReadings;
  readonly signal?: AbortSignal;
}

export interface HealedStarts {
  /** The constrained tokens per trajectory. */
  readonly starts: number[][];
  /**
   * Per trajectory, the sampler's next-token distribution after the prompt and its start when the
   * healing calls computed it already (its start is the typed tokens): decoding samples its first
   * token from it instead of calling the target again (DecodeRequest.primed).
   */
  readonly primed: (SparseDistribution | undefined)[];
}

/**
 * Samples each trajectory's first tokens until they meet the constraint (one token, or two when
 * the first was indentation short of its last character).
 * Every step is one batched target call over the trajectories still constrained whose next
 * distribution is not known yet; the first one also evaluates the prompt, which decoding would
 * have done anyway, and, on a RestrictingTarget, the typed tokens after it in the first
 * trajectory's sequence, read as the constraint (and then the sampler) would read them. Returns
 * undefined when some trajectory has no allowed token with probability (then decode from the
 * unhealed prompt instead).
 */
export async function healedStarts(target: TargetModel, request: HealingRequest): Promise<HealedStarts | undefined> {
  const random = new Random(request.seed);
  const excluded = new Set(request.excluded ?? []);
  const starts: number[][] = Array.from({ length: request.trajectories }, () => []);
  const constraints: Constraint[] = starts.map(() => request.constraint);
  /** Distributions read at a start (by its tokens), as its constraint reads them, or the sampler's once spelt. */
  const known = new Map<string, SparseDistribution>();
  const kept = keptReading(request, excluded);
  if (kept) known.set(keyOf([]), kept);
  // Each step spells at least one more character, so this ends.
  for (let step = 0; step <= request.constraint.remaining.length; step++) {
    const pending = constraints.flatMap((constraint, trajectory) => (isSpelt(constraint) ? [] : [trajectory]));
    if (pending.length === 0) break;
    const unknown = pending.filter((trajectory) => !known.has(keyOf(starts[trajectory] ?? [])));
    if (unknown.length > 0) {
      const requests = unknown.map((trajectory) => {
        const context = [...request.prompt, ...(starts[trajectory] ?? [])];
        return { trajectory, context, draft: new DraftTree(context) };
      });
      const unknownConstraints = unknown.map((trajectory) => constraints[trajectory] ?? request.constraint);
      const read = await nextDistributions(target, requests, unknownConstraints, request, excluded, step === 0);
      for (const [key, distribution] of read) known.set(key, distribution);
    }
    // Trajectories at the same place (all of them at the first step) share one restriction.
    const restricted = new Map<string, SparseDistribution | undefined>();
    for (const trajectory of pending) {
      const start = starts[trajectory];
      const constraint = constraints[trajectory] ?? request.constraint;
      const key = keyOf(start ?? []);
      const distribution = known.get(key);
      if (!start || !distribution) throw new Error(`no distribution for trajectory ${trajectory}`);
      if (!restricted.has(key))
        restricted.set(key, constrainedDistribution(distribution, constraint, request.textOf, request.sampling, excluded));
      const allowed = restricted.get(key);
      if (!allowed) return undefined;
      const token = sampleToken(allowed, random);
      start.push(token);
      constraints[trajectory] = advance(constraint, request.textOf(token));
    }
  }
  if (!constraints.every(isSpelt)) return undefined;
  return { starts, primed: starts.map((start) => known.get(keyOf(start))) };
}

function keyOf(start: readonly number[]): string {
  return start.join(",");
}

/** A reading kept at the prompt's end (an earlier keystroke's) that covers every token this constraint allows. */
function keptReading(request: HealingRequest, excluded: ReadonlySet<number>): SparseDistribution | undefined {
  if (!request.readings || !request.index) return undefined;
  const among = allowedTokens(request.constraint, request.index, request.textOf, excluded);
  return among && among.length > 0 ? request.readings.find(request.prompt, among) : undefined;
}

/**
 * The next-token distributions of some pending trajectories (by their start's key), as much of
 * each as its constraint needs: among the allowed tokens only when the target and the vocabulary
 * index allow it and they are few enough, else the broad top of the distribution. At the first
 * step on a RestrictingTarget the first request also drafts the typed tokens (typedChain), whose
 * readings come back by their keys too.
 */
async function nextDistributions(
  target: TargetModel | RestrictingTarget,
  requests: readonly TargetRequest[],
  constraints: readonly Constraint[],
  request: HealingRequest,
  excluded: ReadonlySet<number>,
  first: boolean,
): Promise<Map<string, SparseDistribution>> {
  const index = request.index;
  const keys = requests.map(({ context }) => keyOf(context.slice(request.prompt.length)));
  const read = new Map<string, SparseDistribution>();
  if (index && "evaluateReadings" in target) {
    const readingOf = (constraint: Constraint): Reading => {
      const among = allowedTokens(constraint, index, request.textOf, excluded);
      return among && among.length > 0 ? { among } : { sampling: BROAD_DISTRIBUTION };
    };
    // Trajectories at one place share its reading (all of them at the first step): its token list is long.
    const byConstraint = new Map<Constraint, Reading>();
    const sharedReading = (constraint: Constraint): Reading => {
      let reading = byConstraint.get(constraint);
      if (!reading) byConstraint.set(constraint, (reading = readingOf(constraint)));
      return reading;
    };
    const readings: (readonly Reading[])[] = constraints.map((constraint) => [sharedReading(constraint)]);
    // A target that pads every sequence to the longest draft evaluates a guess in each at no more
    // tokens; one that does not decodes each drafting sequence apart, so there only one guesses.
    const guesses = target.capabilities.padsToLongestDraft ? requests.length : 1;
    const chains = first ? guessedChains(request, excluded, readingOf, sharedReading(request.constraint), guesses) : [];
    const drafted = requests.map((each, i) => {
      const chain = chains[i];
      if (!chain) return each;
      readings[i] = chain.readings;
      return { ...each, draft: chainDraft(each.context, chain.tokens) };
    });
    const distributions = await target.evaluateReadings(drafted, readings, request.signal);
    distributions.forEach((positions, i) => {
      const [next] = positions;
      if (!next) throw new Error("the target returned no next-token distribution");
      read.set(keys[i] ?? "", next);
      const chain = chains[i];
      positions.forEach((distribution, position) => {
        if (chain && position > 0) read.set(keyOf(chain.tokens.slice(0, position)), distribution);
      });
    });
    // The first reading at the prompt's end, for the word's next keystroke (healingReadings.ts).
    const firstReading = sharedReading(request.constraint);
    const atPromptEnd = read.get(keyOf([]));
    if (first && "among" in firstReading && atPromptEnd) request.readings?.keep(request.prompt, firstReading.among, atPromptEnd);
    return read;
  }
  const distributions = await target.evaluate(requests, BROAD_DISTRIBUTION, { signal: request.signal });
  distributions.forEach(([next], i) => {
    if (!next) throw new Error("the target returned no next-token distribution");
    read.set(keys[i] ?? "", next);
  });
  return read;
}

/** A draft of these tokens one after another. */
function chainDraft(context: readonly number[], tokens: readonly number[]): DraftTree {
  const draft = new DraftTree(context);
  tokens.reduce((parent, token, depth) => draft.addChild(parent, token, depth + 1), 0);
  return draft;
}

/** A guessed start and how each position after the prompt is read (see guessedChains). */
interface GuessedChain {
  readonly tokens: readonly number[];
  readonly readings: readonly Reading[];
}

/**
 * What the first call drafts after the prompt, one guess per request (none where there is no
 * guess): the typed tokens as far as the constraint allows them, then single tokens that spell all
 * that remains and occur in the prompt, the latest first (a word finished is mostly one written
 * before). Each position is read as the constraint there reads it, and after a complete start
 * as the request's sampler, which is what decoding would read there: a trajectory whose start is
 * a guess then needs no call for its first completion token. (Not the typed tokens again in the
 * sequences left: each read costs a sampler pass over the vocabulary, more on a CPU than the
 * token it would save decoding.)
 */
function guessedChains(
  request: HealingRequest,
  excluded: ReadonlySet<number>,
  readingOf: (constraint: Constraint) => Reading,
  first: Reading,
  count: number,
): GuessedChain[] {
  const chains: GuessedChain[] = [];
  const typed = typedChain(request, excluded, readingOf, first);
  if (typed.tokens.length > 0) chains.push(typed);
  const spellsAll = (token: number): boolean => {
    const text = request.textOf(token);
    return !excluded.has(token) && isAllowed(text, request.constraint) && isSpelt(advance(request.constraint, text));
  };
  const guessed = new Set(chains.map((chain) => keyOf(chain.tokens)));
  for (let i = request.prompt.length - 1; i >= 0 && chains.length < count; i--) {
    const token = request.prompt[i];
    if (token === undefined || guessed.has(keyOf([token])) || !spellsAll(token)) continue;
    guessed.add(keyOf([token]));
    chains.push({ tokens: [token], readings: [first, { sampling: request.sampling }] });
  }
  return chains;
}

/** The typed tokens as far as the constraint allows them, each position read as guessedChains says. */
function typedChain(
  request: HealingRequest,
  excluded: ReadonlySet<number>,
  readingOf: (constraint: Constraint) => Reading,
  first: Reading,
): GuessedChain {
  const tokens: number[] = [];
  const readings: Reading[] = [first];
  let constraint = request.constraint;
  for (const token of request.typed ?? []) {
    const text = request.textOf(token);
    if (excluded.has(token) || !isAllowed(text, constraint)) break;
    tokens.push(token);
    constraint = advance(constraint, text);
    if (isSpelt(constraint)) {
      readings.push({ sampling: request.sampling });
      break;
    }
    readings.push(readingOf(constraint));
  }
  return { tokens, readings };
}

/** The completion's text without the healed part (which the document already has). */
export function stripRemoved(text: string, removed: string): string {
  return text.startsWith(removed) ? text.slice(removed.length) : text;
}
