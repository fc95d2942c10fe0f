// The STAND engine: pure TypeScript, no editor and no model runtime (README.md gives one step,
// draft → verify → learn → plan). It talks to a model through TargetModel only.
export {
  Decoder,
  type DecodeRequest,
  type DecodeResult,
  type DecoderOptions,
  type FinishReason,
  type StepUpdate,
  type TrajectoryResult,
} from "./decoder";
export {
  argmaxToken,
  overlap,
  pointMass,
  probabilityOf,
  residual,
  sampleToken,
  withoutToken,
  type SparseDistribution,
} from "./distribution";
export { AcceptanceEstimator, reachOf } from "./acceptanceEstimator";
export { BUDGET_TUNING, type Tuning } from "./budgetTuning";
export { CallCostModel, type CallCost } from "./callCostModel";
export { DraftBudget, type DraftBudgetOptions } from "./draftBudget";
export { DraftShape } from "./draftShape";
export { DraftTree } from "./draftTree";
export { Evidence } from "./evidence";
export type { Drafter, DraftRequest } from "./drafters/drafter";
export { FallbackDrafter, standThenLookupDrafter } from "./drafters/fallbackDrafter";
export { NoDrafter } from "./drafters/noDrafter";
export { PromptLookupDrafter, type PromptLookupOptions } from "./drafters/promptLookupDrafter";
export { ngramDrafter, standDrafter, TableDrafter } from "./drafters/tableDrafter";
export { leadersOf, sameTokens } from "./alikeContexts";
export { gumbelTopK } from "./gumbelTopK";
export { CONTEXT_WINDOW, ENTRY_TOP_K, NgramTable, type EntryCursor, type NgramTableOptions, type TableEntry } from "./ngramTable";
export {
  deserializeTable,
  serializationSteps,
  serializeTable,
  TABLE_FORMAT_VERSION,
  TableFormatError,
  type LoadedTable,
} from "./ngramTableFormat";
export { PlainCallReference } from "./plainCallReference";
export { Random } from "./random";
export { greedySampling, isGreedy, samplerDistribution, type SamplingOptions } from "./sampling";
export { SHAPE_CHOICE_TUNING, ShapeChoice, type ShapeArm, type ShapeChoiceTuning } from "./shapeChoice";
export { DecodeStatistics } from "./statistics";
export type { EvaluationOptions, TargetCapabilities, TargetModel, TargetRequest } from "./target";
export { AcceptanceCounter, optimiseShape } from "./treeOptimiser";
export { distributionAt, verifyDraft, type Verification, type Verifier } from "./verifier";
