import { resolveModelUri } from "./language-server/src/model/modelFile";
import { mkdtempSync } from "node:fs"; import { tmpdir } from "node:os"; import { join } from "node:path";
process.env.HF_ENDPOINT = "http://127.0.0.1:9";
(async () => { const f = mkdtempSync(join(tmpdir(), "x")); let t = performance.now();
 try { await resolveModelUri("hf:Qwen/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf", f); } catch (e) { console.log(String(e).slice(0, 200)); }
 console.log(performance.now() - t); })();
