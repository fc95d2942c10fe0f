// Opens a fixture model (tools/fixtures) the way the language server opens a model: a ModelSession
// on the CPU. Building a missing fixture takes 5–20 s; later runs find it in the cache.
import { fixtureModel, type FixtureName } from "../../tools/fixtures";
import { ModelSession } from "../../language-server/src/model/session";

export async function openFixture(name: FixtureName): Promise<ModelSession> {
  return ModelSession.open({ path: fixtureModel(name), gpu: false, log: () => undefined });
}
