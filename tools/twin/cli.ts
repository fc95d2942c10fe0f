// `npm run model:twin -- --shape NAME --out FILE`: a GGUF that computes exactly what the embedded
// model computes, at the size of a real model, so that a step costs what that model's step costs
// (see twinPlan.ts for how). For benchmarks of the regime real models are in; not for use.
// `--shape source --type q8_0` keeps the source's own shape: that is how the build quantises the
// embedded model.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { EMBEDDED_MODEL_SOURCE_FILE } from "../../common/product";
import { readHeader } from "./gguf";
import { SHAPES, shapeNamed } from "./shapes";
import { planTwin, sourceShape, type MatrixType } from "./twinPlan";
import { writeTwin } from "./writeTwin";

const HELP = `Usage: npm run model:twin -- --shape NAME --out FILE [options]
  --shape NAME     ${Object.keys(SHAPES).join(", ")}, or source (the source's own shape: a copy in --type)
  --out FILE       the twin GGUF to write (replaced only once complete)
  --type TYPE      f16 (default) or q8_0: the matrices' type (norms stay F32)
  --source FILE    the F16 or F32 model to twin (default: the embedded model's F16 source, ${EMBEDDED_MODEL_SOURCE_FILE})
  --sparse         leave the zeros as holes in the file (fast, little disk; reads the same)`;

const { values } = parseArgs({
  options: {
    shape: { type: "string" },
    out: { type: "string" },
    type: { type: "string", default: "f16" },
    source: { type: "string", default: EMBEDDED_MODEL_SOURCE_FILE },
    sparse: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

function main(): void {
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (values.shape === undefined || values.out === undefined) throw new Error(`--shape and --out are required\n${HELP}`);
  const matrixType = ({ f16: "F16", q8_0: "Q8_0" } as const satisfies Record<string, MatrixType>)[values.type.toLowerCase()];
  if (matrixType === undefined) throw new Error(`--type is f16 or q8_0, not "${values.type}"`);
  const started = performance.now();
  const sourcePath = resolve(values.source);
  const source = readHeader(sourcePath);
  const shape = values.shape === "source" ? sourceShape(source) : shapeNamed(values.shape);
  const plan = planTwin(source, shape, { matrixType, shapeName: values.shape });
  const out = resolve(values.out);
  const bytes = writeTwin(sourcePath, source, plan, out, { sparse: values.sparse });
  const weights = plan.tensors.reduce((sum, tensor) => sum + tensor.info.dims.reduce((a, b) => a * b, 1), 0);
  const { embedding, layers, heads, kvHeads, headDim, feedForward } = plan.target;
  console.log(
    `${out}: ${values.shape === "source" ? "a copy at the shape" : `${values.shape} twin`} of ${values.source} (width ${embedding}, ${layers} layers, ${heads}:${kvHeads} heads of ${headDim}, ` +
      `feed-forward ${feedForward}), ${(weights / 1e9).toFixed(2)} B weights, ${matrixType}, ${(bytes / 1e9).toFixed(2)} GB` +
      `${values.sparse ? ` (${((statSync(out).blocks * 512) / 1e9).toFixed(2)} GB on disk)` : ""} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

try {
  main();
} catch (error) {
  console.error(`model:twin: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
