import assert from "node:assert/strict";
import { test } from "node:test";
import { configureCudaGraphs, loadRuntime, parseGpuChoice, threadsForModel } from "../../language-server/src/model/runtime";

test("the Vulkan backend loads where it can; elsewhere the runtime falls back to the CPU and says why", async () => {
  const runtime = await loadRuntime("vulkan");
  try {
    if (runtime.backend === "vulkan") {
      assert.equal(runtime.fallbackReason, undefined);
      assert.ok(runtime.devices.length > 0);
    } else {
      assert.equal(runtime.backend, "cpu");
      assert.match(runtime.fallbackReason ?? "", /vulkan backend could not be loaded .*using the CPU/);
      assert.deepEqual(runtime.devices, []);
    }
  } finally {
    await runtime.llama.dispose();
  }
});

test("threads: one for small models on a CPU, every math core for large ones", () => {
  assert.equal(threadsForModel(14e6, 2, false), 1);
  assert.equal(threadsForModel(4e9, 8, false), 8);
  assert.equal(threadsForModel(4e9, 8, true), 4);
  assert.equal(threadsForModel(4e9, 0, false), 1);
});

test("CUDA graphs: off unless STAND_CUDA_GRAPHS=1 asks for them, and a GGML_CUDA_DISABLE_GRAPHS already set wins", () => {
  const plain: NodeJS.ProcessEnv = {};
  assert.equal(configureCudaGraphs(plain), false);
  assert.equal(plain.GGML_CUDA_DISABLE_GRAPHS, "1", "llama.cpp turns graphs off when the variable is set");

  const asked: NodeJS.ProcessEnv = { STAND_CUDA_GRAPHS: "1" };
  assert.equal(configureCudaGraphs(asked), true);
  assert.equal(asked.GGML_CUDA_DISABLE_GRAPHS, undefined);

  const both: NodeJS.ProcessEnv = { STAND_CUDA_GRAPHS: "1", GGML_CUDA_DISABLE_GRAPHS: "" };
  assert.equal(configureCudaGraphs(both), false, "llama.cpp disables graphs on the variable's presence, whatever its value");
  assert.equal(configureCudaGraphs({ STAND_CUDA_GRAPHS: "yes" }), false);
});

test("the runtime reports CUDA graphs off on a backend other than CUDA, and leaves llama.cpp's variable set for one", async () => {
  const runtime = await loadRuntime(false);
  try {
    assert.equal(runtime.cudaGraphs, false);
    if (process.env.STAND_CUDA_GRAPHS !== "1") assert.notEqual(process.env.GGML_CUDA_DISABLE_GRAPHS, undefined);
  } finally {
    await runtime.llama.dispose();
  }
});

test("--gpu: each backend's name, false for the CPU; anything else is refused with the choices", () => {
  assert.equal(parseGpuChoice("false"), false);
  for (const choice of ["auto", "cuda", "vulkan", "metal"] as const) assert.equal(parseGpuChoice(choice), choice);
  assert.throws(() => parseGpuChoice("CUDA"), /--gpu takes auto, cuda, vulkan, metal, false, not "CUDA"/);
  assert.throws(() => parseGpuChoice(""), /--gpu takes/);
});
