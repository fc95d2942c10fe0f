// `npm run bench:healing`: how often token healing's start is one that its call drafted (the typed
// token, or a word of the prompt that finishes it: see tokenHealing.ts), on the embedded model.
// Such a candidate takes its first completion token from the healing call; any other costs one
// more model call. Per cursor: candidates primed, and requests whose every candidate was.
// Options (--help): --seeds N requests per cursor (default 20).
import { join } from "node:path";
import { parseArgs } from "node:util";
import { restartWithModelProcessEnv } from "../common/modelProcess";
import { EMBEDDED_MODEL_FILE } from "../common/product";
import { defaultSettings } from "../common/protocol";
import { samplingFrom } from "../language-server/src/decoding";
import { ModelSession } from "../language-server/src/model/session";
import { healedStarts, healingCut } from "../language-server/src/tokenHealing";
import { numberOf } from "./optionNumbers";

const HELP = `Usage: npm run bench:healing -- [options]
  --seeds N   requests per cursor, each with its own seed (default: 20)`;

const { values } = parseArgs({ options: { seeds: { type: "string", default: "20" }, help: { type: "boolean", default: false } } });

const LOAD =
  'import { readFile } from "node:fs/promises";\nexport async function load(path) {\n  const text = await readFile(path, "utf8");\n';
/** Documents with the cursor at their end: word ends, then inside words, then inside words written before. */
const CURSORS: readonly (readonly [string, string])[] = [
  ["function add(a, b) {\n  return", "\n}\n"],
  ["class Stack {\n  pop() {\n    return", "\n  }\n}\n"],
  ["function f(xs) {\n  for (const x of xs) {\n    console", "\n  }\n}\n"],
  ["function f(xs) {\n  if (xs.length", "\n}\n"],
  ["function add(a, b) {\n  retur", "\n}\n"],
  [`${LOAD}  return JSON.pa`, "\n}\n"],
  [`${LOAD}  const value = text.tr`, "\n}\n"],
  ["function f(a, b) {\n  if (a) {\n    return a;\n  }\n  retur", "\n}\n"],
  ["function f(values) {\n  const total = values.length;\n  if (values.le", "\n}\n"],
];

async function main(): Promise<void> {
  if (values.help) {
    console.log(HELP);
    return;
  }
  restartWithModelProcessEnv();
  const seeds = numberOf(values.seeds, "seeds", { whole: true, least: 1 });
  const candidates = defaultSettings.inlineCandidates;
  const session = await ModelSession.open({
    path: join(__dirname, "..", EMBEDDED_MODEL_FILE),
    gpu: false,
    threads: 1,
    log: () => undefined,
  });
  try {
    const target = await session.inlineTargetFor(candidates);
    // completeInline's sampling with several candidates (temperature at least 0.3).
    const sampling = samplingFrom(defaultSettings, Math.max(defaultSettings.temperature, 0.3));
    const textOf = (token: number) => session.tokenText(token);
    console.log(`embedded model, ${candidates} candidates, ${seeds} requests per cursor: candidates primed, requests all primed`);
    for (const [prefix, suffix] of CURSORS) {
      const lineSoFar = prefix.slice(prefix.lastIndexOf("\n") + 1);
      const cut = healingCut(prefix, await session.tokenize({ text: lineSoFar, kind: "code" }), textOf);
      if (!cut) throw new Error(`nothing to heal at ${JSON.stringify(lineSoFar)}`);
      const prompt = await session.tokenize({ text: cut.text, kind: "code", suffix });
      let primed = 0;
      let allPrimed = 0;
      let healed = 0;
      for (let seed = 0; seed < seeds; seed++) {
        const result = await healedStarts(target, {
          prompt,
          constraint: cut.constraint,
          typed: cut.typed,
          trajectories: candidates,
          sampling,
          seed,
          textOf,
          excluded: session.stopTokens,
          index: session.vocabulary,
        });
        if (!result) continue;
        healed++;
        const count = result.primed.filter((distribution) => distribution !== undefined).length;
        primed += count;
        if (count === candidates) allPrimed++;
      }
      const line = JSON.stringify(lineSoFar).padEnd(28);
      console.log(`  ${line} ${primed}/${healed * candidates} candidates, ${allPrimed}/${healed} requests`);
    }
  } finally {
    await session.dispose();
  }
}

void main();
