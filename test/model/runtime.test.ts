import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRuntime, threadsForModel } from "../../language-server/src/model/runtime";

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
