// The recommended models' hf: URIs resolve to the files they name, with no download: a folder that
// holds a file of the name node-llama-cpp expects is enough, and the Hub is unreachable here.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { RECOMMENDED_MODELS } from "../../common/recommendedModels";
import { resolveModelUri } from "../../language-server/src/model/modelFile";

describe("recommended models", () => {
  test("every machine class has a model, and each URI names its file", () => {
    assert.deepEqual(new Set(RECOMMENDED_MODELS.map((model) => model.machine)), new Set(["laptop-cpu", "gpu-8gb", "gpu-24gb"]));
    for (const model of RECOMMENDED_MODELS) {
      assert.match(model.uri, /^hf:[\w.-]+\/[\w.-]+-GGUF\/[\w.-]+\.gguf$/, model.label);
      assert.equal(model.uri.slice(model.uri.lastIndexOf("/") + 1), model.file, model.label);
      assert.ok(model.sizeGB > 0 && model.verifiedBy.length > 0, model.label);
    }
  });

  test("the README's Models table lists every model with its URI, size and FIM, chat and thinking support", () => {
    const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
    const yesNo = (value: boolean) => (value ? "yes" : "no");
    for (const model of RECOMMENDED_MODELS) {
      const row = readme.split("\n").find((line) => line.includes(`\`${model.uri}\``));
      assert.ok(row, `the README has no row for ${model.uri}`);
      const cells = row.split("|").map((cell) => cell.trim());
      assert.equal(cells[2], model.label);
      assert.equal(cells[4], `${model.sizeGB.toFixed(1)} GB`);
      assert.deepEqual(
        cells.slice(5, 8).map((cell) => cell.replace(/¹$/, "")),
        [yesNo(model.fillInTheMiddle), yesNo(model.chat), yesNo(model.thinking)],
        model.label,
      );
    }
  });

  test("each hf: URI resolves to its file in the download folder without a request to the Hub", async () => {
    const folder = mkdtempSync(join(tmpdir(), "stand-hf-"));
    const endpoint = process.env.HF_ENDPOINT;
    // Any request would fail: nothing listens on the discard port.
    process.env.HF_ENDPOINT = "http://127.0.0.1:9";
    try {
      for (const model of RECOMMENDED_MODELS) {
        const user = model.uri.slice("hf:".length, model.uri.indexOf("/"));
        const expected = join(folder, `hf_${user}_${model.file}`);
        writeFileSync(expected, "GGUF");
        assert.equal(await resolveModelUri(model.uri, folder), expected, model.uri);
      }
    } finally {
      if (endpoint === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = endpoint;
    }
  });
});
