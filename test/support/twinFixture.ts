// Shared by the cost-twin tests: the prompts, the embedded model's greedy reference, twins made
// into a temporary folder, and the comparison of a twin with the reference.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import { loadRuntime, type Runtime } from "../../language-server/src/model/runtime";
import { EMBEDDED_MODEL_SOURCE_FILE } from "../../common/product";
import { readHeader } from "../../tools/twin/gguf";
import type { ModelShape } from "../../tools/twin/shapes";
import { planTwin, type MatrixType } from "../../tools/twin/twinPlan";
import { writeTwin } from "../../tools/twin/writeTwin";
import { agreement, greedyContinuations, greedyReference, type Agreement, type Reference } from "./modelAgreement";

/** What twins are made of and compared with: the embedded model's F16 source (the shipped file is its Q8_0 copy). */
export const EMBEDDED_MODEL_SOURCE = join(__dirname, "..", "..", EMBEDDED_MODEL_SOURCE_FILE);
/** Code prompts whose greedy continuations have no near tie (top-2 logit gap ≥ 0.05 at every position). */
const PROMPTS = [
  'import { readFile } from "node:fs/promises";\n\nexport async function readJson<T>(path: string): Promise<T> {\n',
  "export interface User {\n  id: string;\n  name: string;\n}\n\nexport function isUser(value: unknown): value is User {\n",
  "export function clamp(value: number, min: number, max: number): number {\n",
  "function isPalindrome(text) {\n  const cleaned = text.toLowerCase();\n",
  "describe('add', () => {\n  it('adds two numbers', () => {\n",
];
const CONTINUATION = 40;
/**
 * Logit differences between the embedded model and an F16 twin: both round weights and
 * activations to F16 in the same places, but sums run in other orders and over zeros, and a longer
 * head's K is stored scaled (rope attn_factor) in the F16 cache. Seen: at most 0.008 (tiny), 0.005 (0.5b).
 */
export const F16_TOLERANCE = 0.02;

export class TwinFixture {
  private readonly folder = mkdtempSync(join(tmpdir(), "stand-twin-"));
  private constructor(
    readonly runtime: Runtime,
    readonly embedded: LlamaModel,
    readonly reference: Reference,
  ) {}

  static async create(): Promise<TwinFixture> {
    const runtime = await loadRuntime(false);
    const embedded = await runtime.llama.loadModel({ modelPath: EMBEDDED_MODEL_SOURCE });
    return new TwinFixture(runtime, embedded, await greedyReference(embedded, PROMPTS, CONTINUATION));
  }

  /** The reference's smallest top-2 logit gap: a near tie may flip within tolerance. */
  smallestTopGap(): number {
    return Math.min(...this.reference.logits.flat().map((position) => -(position.relative[1] ?? -Infinity)));
  }

  makeTwin(shapeName: string, shape: ModelShape, matrixType: MatrixType, sparse = false): string {
    const header = readHeader(EMBEDDED_MODEL_SOURCE);
    const out = join(this.folder, `${shapeName}-${matrixType}${sparse ? "-sparse" : ""}.gguf`);
    writeTwin(EMBEDDED_MODEL_SOURCE, header, planTwin(header, shape, { matrixType, shapeName }), out, { sparse });
    return out;
  }

  /** Loads the model at `path` and compares it with `reference` (default: the embedded model's). */
  async compare(t: TestContext, path: string, options: { greedy: boolean; reference?: Reference }): Promise<Agreement> {
    const reference = options.reference ?? this.reference;
    const model = await this.runtime.llama.loadModel({ modelPath: path });
    try {
      const measured = await agreement(model, reference);
      t.diagnostic(
        `max logit difference ${measured.maxLogitDifference.toFixed(4)} over ${measured.positions} positions, ` +
          `${measured.argmaxDisagreements} argmax disagreements`,
      );
      if (options.greedy)
        assert.deepEqual(
          await greedyContinuations(model, reference.prompts, CONTINUATION),
          reference.continuations,
          "greedy continuations",
        );
      return measured;
    } finally {
      await model.dispose();
    }
  }

  /** The greedy reference of the model at `path`, on the same prompts. */
  async referenceOf(path: string): Promise<Reference> {
    const model = await this.runtime.llama.loadModel({ modelPath: path });
    try {
      return await greedyReference(model, PROMPTS, CONTINUATION);
    } finally {
      await model.dispose();
    }
  }

  async dispose(): Promise<void> {
    await this.embedded.dispose();
    await this.runtime.llama.dispose();
    rmSync(this.folder, { recursive: true, force: true });
  }
}
