import { BUDGET_TUNING, type Tuning } from "./budgetTuning";
import { DecayedLeastSquares } from "./leastSquares";

/** How the budget prices a target call; CallCostModel learns it from the calls it times. */
export interface CallCost {
  /** Learns from a finished call. */
  record(sequences: number, draftTokens: number, milliseconds: number): void;
  /** The current estimate, as a function of the call's size (fixed for one planning step). */
  estimator(): (sequences: number, draftTokens: number) => number;
}

/** The terms of the model, in the order of its coefficients. */
const TERMS = ["fixed", "perSequence", "perDraft", "batched", "reshape"] as const;
type Coefficients = Record<(typeof TERMS)[number], number>;

/** The call's features, one per term. */
function features(sequences: number, draftTokens: number, reshapes: number): number[] {
  return [1, sequences, draftTokens, sequences + draftTokens > 1 ? 1 : 0, reshapes];
}

/**
 * What draft calls taught beyond the fit, as a distance from it (a draft calibration's ratio less
 * 1; an aftermath in plain calls), and when: it fades back to the fit once drafting stops.
 */
interface Learned {
  readonly distance: number;
  /** CallCostModel's count of plain calls when it was learned. */
  readonly plainCallsAt: number;
}

/** The plain calls after a draft call, while CallCostModel measures what they cost beyond their price. */
interface AftermathMeasurement {
  readonly sequences: number;
  /** A plain call's price for these sequences when the draft call was recorded (at that load). */
  readonly plainPrice: number;
  /** Plain calls recorded since the draft call. */
  calls: number;
  /** Their milliseconds beyond plainPrice. */
  excess: number;
}

/**
 * Names a call's shape in the per-shape draft calibration: a number, since the plans price
 * several shapes a step and a string key would allocate for each.
 */
function shapeKey(sequences: number, draftTokens: number): number {
  return sequences * 2 ** 24 + draftTokens;
}

/**
 * A fitted model's milliseconds for a call, never zero or negative: features() · coefficients,
 * written out because the plans price a call several times a step, and the array cost more than the sum.
 */
function predict(coefficients: Coefficients, sequences: number, draftTokens: number, reshapes: number): number {
  const { fixed, perSequence, perDraft, batched, reshape } = coefficients;
  const cost = fixed + perSequence * sequences + perDraft * draftTokens + (sequences + draftTokens > 1 ? batched : 0) + reshape * reshapes;
  return Math.max(cost, 1e-6);
}

/**
 * Online model of one target call's cost for S trajectories with D draft tokens in all, at the
 * machine's current load:
 *
 *   ms ≈ fixed + perSequence·S + perDraft·D + batched·[S + D > 1] + reshape·[(S, D) ≠ previous call's]
 *
 * fitted by decayed least squares with a ridge pull towards a prior shape (BUDGET_TUNING.cost).
 *
 * The fit learns the curve's shape, not the machine's speed of the moment: each call is divided
 * by the current load factor (how much slower the last few plain calls of an unchanged shape ran
 * than the fit predicts)
 * before it is fitted, and estimates are multiplied by it. Drafts are priced by few calls, often
 * hundreds of calls apart; without this, a draft call timed while another program briefly took
 * the core would price drafts at the busy machine's cost until it decayed, and the budget would
 * stop drafting on a machine that is quiet again (and draft too much after a quiet moment on a
 * busy one). So what a draft costs is, in effect, a ratio to the plain calls around it.
 *
 * A draft call's price is also calibrated by what such calls did cost: the measured to predicted
 * ratio of the recent draft calls of the same shape (or of any shape, for one not seen yet)
 * multiplies the fit's price. The fit is linear in the draft tokens, and the budget drafts where
 * its price looks best, so the calls it drafts are those the fit prices most optimistically:
 * on the embedded model at N = 16 on a 2-core CPU, calls drafting two tokens per trajectory cost
 * 5 % more than priced (168 calls) and four tokens 29 % more (19 calls), which made a 0.98× loss
 * look like a 1.03× gain.
 *
 * The last two terms are real:
 * - on a CPU, llama.cpp's first extra token in a batch costs far more than the ones after it (a
 *   one-token batch takes a faster path), so a draft pays only if it is long enough;
 * - llama.cpp reuses the previous step's compute graph when a step has the same shape, so a call
 *   whose size differs from the one before costs more, and so does the plain call after a draft
 *   (measured on a 2-core CPU: +17 % for one trajectory, +6 to 11 % for sixteen).
 *
 * A draft also slows the plain calls after it, less and less: on the embedded model on a 2-core
 * CPU, three draft tokens per trajectory at N = 4 cost the first plain call after them +0.18 (the
 * change of shape back) and the second to fifth +5, +4, +3 and +2 % (+0.32 plain calls in all, on
 * top of the draft call's +1.8; at N = 1, +0.55 in all after +2.7). The model measures these
 * calls apart, as the aftermath (see BUDGET_TUNING.cost.aftermathCalls), and the plan's price of a
 * draft includes it.
 */
export class CallCostModel implements CallCost {
  private readonly fit: DecayedLeastSquares;
  /** A running per-trajectory cost, which sets the prior's scale. */
  private scale = 0;
  private observations = 0;
  /** The last fit, and how many observations arrived since. */
  private fitted: Coefficients | undefined;
  private sinceFit = 0;
  /** The shape of the last call recorded, which the next call is compared with. */
  private previous: { sequences: number; draftTokens: number } | undefined;
  /** How much slower calls run now than the fit predicts: a running mean over the last few calls. */
  private load = 1;
  /** The shapes (see shapeKey) of the calls recorded. */
  private readonly shapesSeen = new Set<number>();
  /** Plain calls clipped as outliers in a row, counted up when above their prediction and down when below. */
  private clippedRun = 0;
  /** How much more draft calls cost than the fit predicts, at the load, as a ratio less 1: over all of them, and per shape. */
  private draftCalibration: Learned = { distance: 0, plainCallsAt: 0 };
  private readonly draftCalibrationByShape = new Map<number, Learned>();
  /** Calls without drafts recorded, the clock by which a calibration fades. */
  private plainCalls = 0;
  /** What the plain calls after a draft call cost beyond their price, in plain calls. */
  private aftermath: Learned = { distance: 0, plainCallsAt: 0 };
  /** The plain calls after the last draft call, while they are measured. */
  private following: AftermathMeasurement | undefined;

  constructor(private readonly tuning: Tuning<"cost"> = BUDGET_TUNING.cost) {
    this.fit = new DecayedLeastSquares(TERMS.length, tuning.decay);
  }

  record(sequences: number, draftTokens: number, milliseconds: number): void {
    if (!(milliseconds > 0) || sequences <= 0) return;
    // The first call of a shape is not learned from (the very first call aside, which sets the
    // scale): llama.cpp allocates for it, and a decode's opening, which drafts deeper and deeper,
    // is made of such calls (the first 8-token draft took 4.7 ms, the next 2.5); learned from,
    // even clipped, they priced a draft token at 0.8 plain calls against 0.4, and the budget
    // stopped drafting for hundreds of calls.
    const shape = shapeKey(sequences, draftTokens);
    if (!this.shapesSeen.has(shape)) {
      this.shapesSeen.add(shape);
      if (this.observations > 0) {
        if (draftTokens === 0) this.plainCalls++;
        this.following = undefined;
        this.previous = { sequences, draftTokens };
        return;
      }
    }
    const reshapes = this.reshapes(sequences, draftTokens);
    // A call the scheduler held up (another program took the core mid-call), or the first call of
    // a new shape (llama.cpp builds and allocates its compute graph), is many times its price;
    // least squares would let one such call reprice every term for hundreds of calls, and the
    // budget then stops drafting, which stops it learning that drafts are cheap again. So a call
    // counts as at most outlierRatio times what the model predicts (and at least 1/outlierRatio)
    // from the second call on. A lasting change of speed still moves the load within a few calls.
    // Not fitted before the first call, which sets the prior's scale.
    const fitted = this.observations > 0 ? this.load * predict(this.coefficients(), sequences, draftTokens, reshapes) : milliseconds;
    const expected = fitted * this.calibration(sequences, draftTokens);
    const { outlierRatio, outlierRun } = this.tuning;
    const limited = Math.min(Math.max(milliseconds, expected / outlierRatio), expected * outlierRatio);
    // Outliers come alone. Plain calls clipped the same way outlierRun times in a row say that the
    // prediction is wrong, not the calls, and count as they are: a fit made of a decode's first
    // calls (all drafts, one of them building its graph) once priced plain calls at nothing, and,
    // each clipped to that, no later call taught it otherwise (the budget never drafted again).
    // Draft calls the fit misprices have their calibration.
    if (draftTokens === 0) {
      const direction = limited === milliseconds ? 0 : milliseconds > limited ? 1 : -1;
      this.clippedRun = direction !== 0 && Math.sign(this.clippedRun) === direction ? this.clippedRun + direction : direction;
    }
    const measured = draftTokens === 0 && Math.abs(this.clippedRun) >= outlierRun ? milliseconds : limited;
    // A call clipped as an outlier says what the scheduler did, not what drafts cost.
    const clipped = measured !== milliseconds;
    if (draftTokens === 0) this.plainCalls++;
    else if (this.observations >= this.tuning.loadWarmUp && !clipped) this.calibrate(sequences, draftTokens, measured / fitted);
    this.follow(sequences, draftTokens, measured);
    // Divided by the load before this call, so that a call's own surprise is fitted, not absorbed.
    const unloaded = measured / this.load;
    this.fit.add(features(sequences, draftTokens, reshapes), unloaded);
    // Only plain calls of the same shape as the one before move the load: the fit knows them best
    // (a change of shape costs what few calls have shown), and a draft is to be priced against
    // them. Were draft calls to move it, a budget that drafts every step would fold the misfit of
    // its draft's price into the load, and the ratio of draft to plain would never be corrected.
    // Nor before the fit has seen loadWarmUp plain calls: a fit of draft calls alone (a decode's
    // first steps at T = 0 all draft) once priced plain calls at 0.07 ms against 0.5, and a load
    // that moved at once took the gap for a busy machine (load 4–8) where the fit should have
    // learned it; drafts, priced in the fit's units times that load, then looked 3–17× a plain
    // call, and the budget stopped drafting for hundreds of calls.
    if (this.plainCalls > this.tuning.loadWarmUp && reshapes === 0 && draftTokens === 0) {
      const ratio = measured / predict(this.coefficients(), sequences, draftTokens, reshapes);
      // Bounded, so that a lasting change of level goes into the fit: the load and the fit share
      // one scale, and a load left to follow a fit that priced calls at nothing grew without end.
      const { loadSmoothing, maxLoad } = this.tuning;
      this.load = Math.min(Math.max((1 - loadSmoothing) * this.load + loadSmoothing * ratio, 1 / maxLoad), maxLoad);
    }
    this.previous = { sequences, draftTokens };
    const perSequence = unloaded / sequences;
    this.scale =
      this.observations === 0 ? perSequence : (1 - this.tuning.scaleSmoothing) * this.scale + this.tuning.scaleSmoothing * perSequence;
    this.observations++;
    this.sinceFit++;
  }

  /** Estimated milliseconds of a call of this shape in a run of calls of the same shape (relative units before any data). */
  cost(sequences: number, draftTokens: number): number {
    return this.load * predict(this.coefficients(), sequences, draftTokens, 0) * this.calibration(sequences, draftTokens);
  }

  /**
   * The price of the next call, for planning it: its cost after the last call recorded. A call of
   * a new shape pays the reshape, and the first of a run of draft calls also pays the aftermath
   * (the plain calls after the run, the first of them changing the shape back); so the plan
   * drafts only where that pays too, and keeps a depth it has rather than switching for a marginal gain.
   */
  estimator(): (sequences: number, draftTokens: number) => number {
    const coefficients = this.coefficients();
    const load = this.load;
    // A run of draft calls pays the aftermath once, after its last call: a draft after a draft adds none.
    const aftermath = this.previous?.draftTokens ? 0 : this.faded(this.aftermath);
    return (sequences, draftTokens) => {
      if (draftTokens === 0) return load * predict(coefficients, sequences, 0, this.reshapes(sequences, 0));
      const call =
        predict(coefficients, sequences, draftTokens, this.reshapes(sequences, draftTokens)) * this.calibration(sequences, draftTokens);
      return load * (call + aftermath * predict(coefficients, sequences, 0, 0));
    };
  }

  /**
   * Measures the aftermath of a draft call: the milliseconds beyond a plain call's price (at the
   * load of the draft call) of the plain calls of its width after it, from the first (which changes
   * the shape back and erases the rejected tail) to the aftermathCalls-th, or up to the next draft
   * call where drafts come closer together than that (then that is their aftermath: the one plain
   * call between them). Each call's excess is clipped to a plain call, as outliers are.
   *
   * The first plain call's excess was once priced by the fit's reshape term, twice over for every
   * draft (its own call and the one after). But at T = 0 nearly every draft call changes depth, so
   * the fit cannot tell that term from the batched one (every draft call has both), and one fit
   * put the whole cost of a draft call's first token on the reshape: doubled, it priced a one-token
   * draft at 3.35 plain calls (measured 1.44 plus the 0.2 of the call after), and fresh budgets
   * stopped drafting for whole decodes (replays at T = 0: 11 of 30 budgets at N = 1, 4 of 20 at
   * N = 4, 4 of 10 at N = 16, against 4, 1 and 1 with the call after measured instead).
   */
  private follow(sequences: number, draftTokens: number, milliseconds: number): void {
    const following = this.following;
    if (following && (draftTokens > 0 || sequences !== following.sequences || following.calls >= this.tuning.aftermathCalls)) {
      this.following = undefined;
      // A call of another width ends it unlearned: what that call costs beyond its price is its own reshape.
      if (sequences === following.sequences && following.calls > 0) {
        const learned = this.learned(this.aftermath, following.excess / following.plainPrice);
        // Noise cannot make a draft cheaper than its call: the aftermath is never negative.
        this.aftermath = { ...learned, distance: Math.max(0, learned.distance) };
      }
    }
    if (draftTokens > 0) {
      if (this.observations >= this.tuning.loadWarmUp) {
        this.following = { sequences, plainPrice: this.load * predict(this.coefficients(), sequences, 0, 0), calls: 0, excess: 0 };
      }
      return;
    }
    if (!this.following) return;
    this.following.calls++;
    const { plainPrice } = this.following;
    this.following.excess += Math.min(Math.max(milliseconds - plainPrice, -plainPrice), plainPrice);
  }

  /** The factor on the fit's price of a call of this shape: 1 without drafts. */
  private calibration(sequences: number, draftTokens: number): number {
    if (draftTokens === 0) return 1;
    return 1 + this.faded(this.draftCalibrationByShape.get(shapeKey(sequences, draftTokens)) ?? this.draftCalibration);
  }

  /** Learns from a draft call, not an outlier, that cost `ratio` times the fit's price. */
  private calibrate(sequences: number, draftTokens: number, ratio: number): void {
    const key = shapeKey(sequences, draftTokens);
    // A shape's first call starts from what draft calls of every shape have cost.
    this.draftCalibrationByShape.set(key, this.learned(this.draftCalibrationByShape.get(key) ?? this.draftCalibration, ratio - 1));
    this.draftCalibration = this.learned(this.draftCalibration, ratio - 1);
  }

  /** What was learned, moved towards a new observation of its distance from the fit (a running mean over draft calls). */
  private learned(previous: Learned, distance: number): Learned {
    const smoothing = this.tuning.draftCalibrationSmoothing;
    return { distance: (1 - smoothing) * this.faded(previous) + smoothing * distance, plainCallsAt: this.plainCalls };
  }

  /**
   * What was learned, faded towards the fit by the plain calls since, beyond the grace (see
   * BUDGET_TUNING.cost.draftCalibrationFade and draftCalibrationGrace).
   */
  private faded({ distance, plainCallsAt }: Learned): number {
    const { draftCalibrationFade, draftCalibrationGrace } = this.tuning;
    return distance * draftCalibrationFade ** Math.max(0, this.plainCalls - plainCallsAt - draftCalibrationGrace);
  }

  /** The fit, refreshed every refitInterval observations. */
  private coefficients(): Coefficients {
    if (!this.fitted || this.sinceFit >= this.tuning.refitInterval) {
      this.fitted = this.solve();
      this.sinceFit = 0;
    }
    return this.fitted;
  }

  /** 1 when a call of this shape differs from the last one recorded, else 0. */
  private reshapes(sequences: number, draftTokens: number): number {
    return this.previous && (this.previous.sequences !== sequences || this.previous.draftTokens !== draftTokens) ? 1 : 0;
  }

  /**
   * Terms the data cannot separate (fixed and perSequence while N never changes) are split by the
   * prior. perDraft, batched and reshape have floors (a draft token costs at least minDraftCost;
   * batching and a change of shape cost nothing or more), so noise can never make drafting look
   * free or a new shape look cheaper than the same. A term the fit puts below its floor is held there and
   * the others are fitted again around it, not just raised: at N = 1, where batched and perDraft
   * are alike but for the depth, a fit of mostly deep drafts put batched at −4.7 and perDraft at
   * 2.6 plain calls, which priced a one-token draft below a plain call (it cost 2.7), and raising
   * batched alone would have priced deep drafts at twice their cost.
   */
  private solve(): Coefficients {
    const unit = this.scale > 0 ? this.scale : 1;
    const { priorFixedShare, priorDraftCost, priorWeight, minDraftCost } = this.tuning;
    const prior: Coefficients = {
      fixed: priorFixedShare * unit,
      perSequence: (1 - priorFixedShare) * unit,
      perDraft: priorDraftCost * unit,
      batched: 0,
      reshape: 0,
    };
    const floors = new Map<number, number>([
      [TERMS.indexOf("perDraft"), minDraftCost * unit],
      [TERMS.indexOf("batched"), 0],
      [TERMS.indexOf("reshape"), 0],
    ]);
    const pinned = new Map<number, number>();
    // Each round pins at least one more term, so this ends within as many rounds as there are floors.
    for (;;) {
      const solution = this.fit.solve(
        TERMS.map((term) => prior[term]),
        priorWeight,
        pinned,
      );
      if (!solution) return prior;
      const below = [...floors].filter(([term, floor]) => !pinned.has(term) && (solution[term] ?? 0) < floor);
      if (below.length === 0) {
        const [fixed = 0, perSequence = 0, perDraft = 0, batched = 0, reshape = 0] = solution;
        return { fixed, perSequence, perDraft, batched, reshape };
      }
      for (const [term, floor] of below) pinned.set(term, floor);
    }
  }
}
