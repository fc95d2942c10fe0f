/**
 * Every tuning constant of the draft budget, in one place. None of them changes what is decoded
 * (the budget only decides how much to draft before a draft is drawn); they change how fast.
 */
export const BUDGET_TUNING = {
  acceptance: {
    /**
     * The rate a kind of evidence is expected to have before it is seen: optimistic on purpose,
     * since a kind must be tried to be learned and a few rejections pull a poor one below what pays.
     */
    prior: 0.75,
    /** How many observations the prior is worth. */
    priorWeight: 2,
    /** Per observation, so that the estimate follows the text being written. */
    decay: 0.995,
  },
  cost: {
    /**
     * A draft token's cost relative to a one-trajectory call, until measured. On a CPU each
     * verified position costs a good part of a step; on a GPU it is nearly free.
     */
    priorDraftCost: 0.3,
    /** The prior's split of a call's cost between the fixed part and the per-trajectory part. */
    priorFixedShare: 0.2,
    /** How many observations the prior is worth, in each term. */
    priorWeight: 0.05,
    /** Per observation: the cost curve drifts over hundreds of calls, not one. */
    decay: 0.99,
    /** Observations between two fits (refitting every call would cost more than the call's bookkeeping). */
    refitInterval: 8,
    /** The least a draft token may cost, relative to a one-trajectory call, so noise never makes drafting look free. */
    minDraftCost: 0.01,
    /** Weight of the newest call in the running per-trajectory cost that sets the prior's scale. */
    scaleSmoothing: 0.1,
    /**
     * Weight of the newest call in the load factor (how much slower calls run now than the fit
     * predicts): about the last three calls, so a draft is priced against the plain calls just
     * before it. Its noise does not reach the plan, which compares prices at one load.
     */
    loadSmoothing: 0.3,
    /**
     * Weight of the newest draft call in the calibration of draft prices (what draft calls of a
     * shape cost against the fit's price): small, since drafts may be rare and one slow stretch
     * must not price drafting out for long. A call the outlier clip caught is not learned from.
     */
    draftCalibrationSmoothing: 0.1,
    /**
     * Per call without drafts, how much of a draft calibration's distance from 1 remains (a
     * half-life of about 70 plain calls). A budget that stopped drafting because drafts were
     * dear learns nothing more about them; were an old calibration trusted for ever, one bad
     * stretch (a busy moment, a graph being rebuilt) could keep it from drafting where drafts pay.
     */
    draftCalibrationFade: 0.99,
    /**
     * Plain calls after a draft call before its calibration starts to fade. While drafts come at
     * least this often, each is priced by what the ones before it cost: a fade between every two
     * draft calls kept only part of a steady misprice (with one draft call in twelve, 44 %; at
     * N = 4, T = 0.7 on a 2-core CPU the budget priced its draft calls 20–25 % low and drafted at
     * a loss).
     */
    draftCalibrationGrace: 64,
    /**
     * The plain calls after a draft call whose time counts towards the draft's price (the first
     * changes the shape back: see CallCostModel's aftermath). On the embedded model on a 2-core
     * CPU a draft's aftermath had faded into the noise by the sixth.
     */
    aftermathCalls: 6,
    /**
     * Calls before the draft calibration moves, and plain calls before the load factor does: until
     * then the fit itself is still settling.
     */
    loadWarmUp: 16,
    /**
     * A call counts as at most this many times its predicted cost (and at least its inverse): on
     * a busy machine one call in a few dozen is held up 5–20× by the scheduler, and a shape's
     * first call builds its graph; unclipped, such calls priced a four-token draft at up to 19×
     * a plain call (the truth on this CPU is about 1.6×).
     */
    outlierRatio: 2,
    /**
     * Plain calls clipped as outliers the same way this many times in a row count as measured:
     * the prediction, not the machine, is what is off.
     */
    outlierRun: 3,
    /**
     * The load factor stays within this factor of the fit (either way); a lasting change beyond it
     * is learned by the fit itself (a busy machine's plain calls ran up to about 2× slower).
     */
    maxLoad: 8,
  },
  planning: {
    /**
     * A plan drafts only when it expects at least this much more throughput than not drafting: a
     * marginal expected gain is within the estimates' error, and a draft that loses costs a step.
     */
    requiredGain: 1.02,
    /**
     * Every this many steps the drafters assess even when no draft can pay, so the acceptance
     * estimates keep learning from what drafts would have done.
     */
    explorationInterval: 16,
    /**
     * While the cost model has seen fewer than this many calls with drafts, an exploring step also
     * drafts, at a loss if need be: only a call with drafts shows what drafts cost.
     */
    pricedDraftCalls: 16,
    /** After that, one exploring step in this many drafts (the machine's load changes). */
    settledExplorationInterval: 256,
    /** An exploring step drafts the depths at least this likely to be reached and accepted. */
    explorationMinReach: 0.5,
    /**
     * After this many steps in a row with drafts, two steps draft nothing: the cost model prices a
     * draft against the plain calls around it (the second of them moves its load factor), and
     * without any it cannot tell a draft's cost from a plain call's (a budget drafting one token
     * every step priced it at 1.08 plain calls where the whole step took 3). About 3 % of the
     * drafting steps at T = 0.
     */
    plainInterval: 64,
    /**
     * After this many steps in a row that could have drafted and did not, the budget rests: whether
     * any evidence could pay (DraftBudget.needsEvidence, the budget's dearest question, asked before
     * every step) is worked out only every other step, then every fourth, doubling up to
     * maxRestGap, and a last answer of yes stands in between; a step with a draft ends the rest. The
     * answer changes slowly (the best kind's rates, the call's price), while working it out cost
     * more than the rest of the budget's work per step. Plans still run on every step with
     * evidence: where drafts pay now and then (T > 0), it is on particular steps.
     */
    restAfter: 4,
    /** The most steps between two answers worked out while resting. */
    maxRestGap: 8,
  },
} as const;

/** One group of BUDGET_TUNING with its values widened to numbers, so tests can pass their own. */
export type Tuning<Group extends keyof typeof BUDGET_TUNING> = { readonly [Name in keyof (typeof BUDGET_TUNING)[Group]]: number };
