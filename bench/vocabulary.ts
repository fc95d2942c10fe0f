// `npm run bench:vocabulary`: what a 152k vocabulary costs around the model, on the cost fixture
// (Qwen3-0.6B's shape and tokenizer, random Q8_0 weights; tools/fixtures builds it on first use).
// 1. Typing: words typed one character at a time; at every keystroke, the time until each of 3
//    candidates has its first completion token with token healing and without it (paired,
//    interleaved): p50 of the increase over all keystrokes, and apart for a word's first keystroke
//    (which reads the model for its start) and the ones after it (which reuse that reading:
//    healingReadings.ts). Healing changes nothing after that token.
// 2. Whole inline completions at a word's first keystroke, nothing kept: p50 of each and of the
//    paired increase (noisy: each decodes its own tokens).
// 3. The healing call of a request whose starts are primed (each is the typed token or a guess, see
//    tokenHealing.ts): it replaces the unhealed decode's first call, so what it costs over that call
//    is what healing adds to such a request. Both with 3 candidates, paired, interleaved.
// 4. One healing step as it reads the model: among the allowed tokens (evaluateAmong, what the
//    server does) against the whole vocabulary's distribution filtered in JavaScript (what it did
//    before), interleaved, with a plain decode step of the same prompt for scale.
// Options (--help): --repetitions N (default 7), --threads N (default 1: two threads spin against
// each other on a busy two-core machine), --max-tokens N per completion (default 8).
import { parseArgs } from "node:util";
import { restartWithModelProcessEnv } from "../common/modelProcess";
import { defaultSettings } from "../common/protocol";
import { completeInline } from "../language-server/src/inlineCompletion";
import { ModelSession } from "../language-server/src/model/session";
import { median } from "../language-server/src/model/benchmarkSummary";
import { DraftTree } from "../language-server/src/stand";
import { samplingFrom } from "../language-server/src/decoding";
import type { HealingReadings } from "../language-server/src/healingReadings";
import {
  allowedTokens,
  constrainedDistribution,
  healedStarts,
  healingCut,
  type Constraint,
  type HealingRequest,
} from "../language-server/src/tokenHealing";
import { fixtureModel } from "../tools/fixtures";
import { numberOf } from "./optionNumbers";

const HELP = `Usage: npm run bench:vocabulary -- [options]
  --repetitions N   interleaved repetitions of every measurement (default: 7)
  --threads N       evaluation threads (default: 1)
  --max-tokens N    tokens per inline completion (default: 8)`;

const { values } = parseArgs({
  options: {
    repetitions: { type: "string", default: "7" },
    threads: { type: "string", default: "1" },
    "max-tokens": { type: "string", default: "8" },
    help: { type: "boolean", default: false },
  },
});

function count(name: "repetitions" | "threads" | "max-tokens"): number {
  return numberOf(values[name], name, { whole: true, least: 1 });
}

const PREFIX =
  'import { readFile } from "node:fs/promises";\n\nexport async function loadConfig(path: string) {\n  const text = await readFile(path, "utf8");\n';
/** Cursor positions whose last word healing backs off. */
const CURSORS = ["  ret", "  return JSON.pa", "  const value = text.tr"];
/** Words typed one character at a time after their line so far. */
const TYPED_WORDS = [
  { line: "  ", word: "return" },
  { line: "  return JSON.", word: "parse" },
  { line: "  const value = text.", word: "trim" },
];
const SUFFIX = "\n}\n";
/** The product's sampler at T = 0.7, for the calls timed apart from completeInline. */
const SAMPLING = samplingFrom(defaultSettings, 0.7);

function spread(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `${median(values).toFixed(1)} ms [${(sorted[0] ?? 0).toFixed(1)}–${(sorted[sorted.length - 1] ?? 0).toFixed(1)}]`;
}

async function time(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/** The times of one measurement with healing and one without, the one that `healingFirst` says run first. */
async function paired(
  healingFirst: boolean,
  withHealing: () => Promise<number>,
  without: () => Promise<number>,
): Promise<[number, number]> {
  if (healingFirst) {
    const healed = await withHealing();
    return [healed, await without()];
  }
  const unhealed = await without();
  return [await withHealing(), unhealed];
}

async function main(): Promise<void> {
  if (values.help) {
    console.log(HELP);
    return;
  }
  // As the language server runs the model: several sequences' drafts then share one decode.
  restartWithModelProcessEnv();
  const repetitions = count("repetitions");
  const settings = { ...defaultSettings, inlineCandidates: 3, inlineMaxTokens: count("max-tokens") };
  const session = await ModelSession.open({
    path: fixtureModel("qwen3-cost"),
    gpu: false,
    threads: count("threads"),
    log: () => undefined,
  });
  try {
    const signal = new AbortController().signal;
    const inlineTarget = await session.inlineTargetFor(settings.inlineCandidates);
    const textOf = (token: number) => session.tokenText(token);
    /** The tokens healing may read first under a constraint, as the server lists them. */
    const allowedAt = (constraint: Constraint): number[] =>
      allowedTokens(constraint, session.vocabulary, textOf, new Set(session.stopTokens)) ?? [];
    /** Every candidate's decoding of these prompts, in one call with nothing drafted (a decode's first call). */
    const firstCallOf = (prompts: readonly (readonly number[])[]) =>
      inlineTarget.evaluate(
        prompts.map((context, trajectory) => ({ trajectory, context, draft: new DraftTree(context) })),
        SAMPLING,
      );
    /** Where healing backs a prefix off, and the prompts with it and without it, as completeInline builds them. */
    const placeOf = async (prefix: string) => {
      const lineSoFar = prefix.slice(prefix.lastIndexOf("\n") + 1);
      const cut = healingCut(prefix, await session.tokenize({ text: lineSoFar, kind: "code" }), textOf);
      if (!cut) throw new Error(`nothing to heal in ${JSON.stringify(lineSoFar)}`);
      const healingPrompt = await session.tokenize({ text: cut.text, kind: "code", suffix: SUFFIX });
      const unhealedPrompt = await session.tokenize({ text: prefix, kind: "code", suffix: SUFFIX });
      /** The healing request the server makes there. */
      const healing = (seed: number, readings?: HealingReadings): HealingRequest => ({
        prompt: healingPrompt,
        constraint: cut.constraint,
        typed: cut.typed,
        trajectories: settings.inlineCandidates,
        sampling: SAMPLING,
        seed,
        textOf,
        excluded: session.stopTokens,
        index: session.vocabulary,
        readings,
      });
      return { cut, healingPrompt, unhealedPrompt, healing };
    };
    // One completion at each cursor first (the model's caches), with healing and without.
    for (const cursor of CURSORS) {
      for (const heal of [true, false]) await completeInline(session, { prefix: PREFIX + cursor, suffix: SUFFIX, heal }, settings, signal);
    }

    // Typing: at each keystroke, the time until every candidate has its first completion token,
    // which is all healing changes (each later step decodes one token per candidate either way):
    // with healing, healedStarts as the server calls it (the readings kept at this session's places)
    // and then, unless every start was primed, decoding's first call on the prompt and its start;
    // without, decoding's first call on the whole prompt. Paired, the order alternating.
    const typingIncrease: number[] = [];
    const firstKeystrokeIncrease: number[] = [];
    const laterKeystrokeIncrease: number[] = [];
    let keystrokes = 0;
    let keystrokesWithoutCall = 0;
    for (let repetition = 0; repetition < repetitions; repetition++) {
      for (const { line, word } of TYPED_WORDS) {
        // A word typed for the first time: nothing kept from the repetition before.
        session.healingReadings.clear();
        for (let typed = 1; typed <= word.length; typed++) {
          const { healingPrompt, unhealedPrompt, healing } = await placeOf(PREFIX + line + word.slice(0, typed));
          const healingCalls = { count: 0 };
          const target = new Proxy(inlineTarget, {
            get(object, property, receiver) {
              if (property === "evaluate" || property === "evaluateReadings") healingCalls.count++;
              return Reflect.get(object, property, receiver) as unknown;
            },
          });
          const withHealing = () =>
            time(async () => {
              const healed = await healedStarts(target, healing(repetition * 100 + typed, session.healingReadings));
              if (!healed) throw new Error(`no healed start typing ${word}`);
              if (healed.primed.some((distribution) => distribution === undefined))
                await firstCallOf(healed.starts.map((start) => [...healingPrompt, ...start]));
            });
          const without = () => time(() => firstCallOf(Array.from({ length: settings.inlineCandidates }, () => unhealedPrompt)));
          const [healed, unhealed] = await paired((repetition + typed) % 2 === 0, withHealing, without);
          const increase = healed - unhealed;
          typingIncrease.push(increase);
          (typed === 1 ? firstKeystrokeIncrease : laterKeystrokeIncrease).push(increase);
          keystrokes++;
          if (healingCalls.count === 0) keystrokesWithoutCall++;
        }
      }
    }

    // Whole requests at a word's first keystroke, nothing kept there: each decodes its own tokens
    // (and the n-gram table drafts differently for each), so their spread is the completions' own.
    const healed: number[] = [];
    const unhealed: number[] = [];
    const increase: number[] = [];
    for (let repetition = 0; repetition < repetitions; repetition++) {
      for (const cursor of CURSORS) {
        const run = (heal: boolean) => {
          if (heal) session.healingReadings.clear();
          return time(() => completeInline(session, { prefix: PREFIX + cursor, suffix: SUFFIX, heal }, settings, signal));
        };
        const [withHealing, without] = await paired(
          repetition % 2 === 0,
          () => run(true),
          () => run(false),
        );
        healed.push(withHealing);
        unhealed.push(without);
        increase.push(withHealing - without);
      }
    }

    // The healing call (typed and guessed starts drafted) against the unhealed decode's first call.
    const healingCalls: number[] = [];
    const plainHealingCalls: number[] = [];
    const firstCalls: number[] = [];
    const callIncrease: number[] = [];
    let primed = 0;
    let starts = 0;
    for (let repetition = 0; repetition < repetitions; repetition++) {
      for (const cursor of CURSORS) {
        const { cut, healingPrompt, unhealedPrompt, healing: healingRequest } = await placeOf(PREFIX + cursor);
        const heal = () => healedStarts(inlineTarget, healingRequest(repetition));
        const firstCall = () => firstCallOf(Array.from({ length: settings.inlineCandidates }, () => unhealedPrompt));
        // What the healing call was before it drafted any start: the allowed tokens' reading alone.
        const plainHealing = async () => {
          const among = allowedAt(cut.constraint);
          const requests = Array.from({ length: settings.inlineCandidates }, (_, trajectory) => ({
            trajectory,
            context: healingPrompt,
            draft: new DraftTree(healingPrompt),
          }));
          await inlineTarget.evaluateAmong(
            requests,
            requests.map(() => among),
          );
        };
        // Each fills the cache with its prompt first, so that the timed call evaluates only its end.
        await plainHealing();
        const plain = await time(plainHealing);
        await heal();
        const healing = await time(async () => {
          const healed = await heal();
          primed += healed?.primed.filter((distribution) => distribution !== undefined).length ?? 0;
          starts += healed?.starts.length ?? 0;
        });
        await firstCall();
        const first = await time(firstCall);
        healingCalls.push(healing);
        plainHealingCalls.push(plain);
        firstCalls.push(first);
        callIncrease.push(healing - first);
      }
    }

    // One healing step, read two ways, and a plain step, on the cut of the first cursor.
    const target = await session.inlineTargetFor(1);
    const { cut, healingPrompt: prompt } = await placeOf(PREFIX + (CURSORS[0] ?? ""));
    const among = allowedAt(cut.constraint);
    const request = () => [{ trajectory: 0, context: prompt, draft: new DraftTree(prompt) }];
    const amongStep: number[] = [];
    const fullStep: number[] = [];
    const plainStep: number[] = [];
    // Warm-up (the first call with a token bias sets up its sampler), then interleaved measurements.
    await target.evaluateAmong(request(), [among]);
    for (let repetition = 0; repetition < repetitions; repetition++) {
      // Each measurement evaluates the prompt's last token again (the rest stays in the cache).
      amongStep.push(await time(() => target.evaluateAmong(request(), [among])));
      fullStep.push(
        await time(async () => {
          const [distributions] = await target.evaluate(request(), { temperature: 1, topK: 0, topP: 1, minP: 0 });
          const next = distributions?.[0];
          if (next) constrainedDistribution(next, cut.constraint, textOf, SAMPLING);
        }),
      );
      plainStep.push(await time(() => target.evaluate(request(), SAMPLING)));
    }

    console.log(
      `cost fixture: Qwen3-0.6B shape, ${session.vocabulary.size} tokens, ${session.threads} thread(s), ${repetitions} repetitions`,
    );
    const typedWords = TYPED_WORDS.map(({ word }) => word).join(", ");
    console.log(
      `typing ${typedWords} one character at a time (3 candidates): increase from healing in the time to every candidate's first token, paired, median [min–max]:`,
    );
    console.log(`  every keystroke        ${spread(typingIncrease)} over ${typingIncrease.length}`);
    console.log(`  a word's first         ${spread(firstKeystrokeIncrease)} over ${firstKeystrokeIncrease.length}`);
    console.log(`  the ones after it      ${spread(laterKeystrokeIncrease)} over ${laterKeystrokeIncrease.length}`);
    console.log(`  keystrokes whose healing called no model: ${keystrokesWithoutCall} of ${keystrokes}`);
    console.log(
      `whole inline completions at a word's first keystroke, nothing kept (3 candidates, ${settings.inlineMaxTokens} tokens; the spread is the completions' own), median [min–max] over ${healed.length}:`,
    );
    console.log(`  with token healing     ${spread(healed)}`);
    console.log(`  without token healing  ${spread(unhealed)}`);
    console.log(`  increase from healing  ${spread(increase)} (paired, same request)`);
    console.log(`the healing call against the unhealed first call (3 candidates), median [min–max] over ${healingCalls.length}:`);
    console.log(`  healing call, typed and guessed starts drafted  ${spread(healingCalls)}`);
    console.log(`  healing call, nothing drafted (as before)       ${spread(plainHealingCalls)}`);
    console.log(`  unhealed decode's first call                    ${spread(firstCalls)}`);
    console.log(`  increase (what healing adds when every start is primed)  ${spread(callIncrease)} (paired)`);
    console.log(`  starts primed here: ${primed} of ${starts} (random weights: the typed token is rarely the sampled start)`);
    console.log(`one healing step (${among.length} allowed tokens), median [min–max]:`);
    console.log(`  among the allowed tokens (evaluateAmong)         ${spread(amongStep)}`);
    console.log(`  whole-vocabulary distribution, filtered in JS    ${spread(fullStep)}`);
    console.log(`  plain decode step (top-k 40), for scale          ${spread(plainStep)}`);
  } finally {
    await session.dispose();
  }
}

void main();
