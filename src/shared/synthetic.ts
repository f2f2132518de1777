// What synthetic cells and blind expert sessions hand to every UI: generators
// and their quality reports; blind-session views that carry nothing about a
// cell's origin while the session is open; and the closed session's report.
// Types and constants only (no Node, no DOM); the core in src/main/synthetic
// and src/main/blind produces these values and the contract in ./api carries
// them.

// ---------------------------------------------------------------------------
// Generators and quality.

export interface GeneratorSummary {
  id: number
  name: string
  class: string
  /** paper | cpu | tiny (| <preset>+custom). */
  preset: string
  status: 'created' | 'training' | 'stopped' | 'done' | 'failed'
  steps: number
  targetSteps: number
  /** Output side in pixels. */
  size: number
  backend: string
  /** Latest losses and costs: dLoss, gLoss, dReal, dFake, secondsPerStep, peakRssMb ... */
  metrics: Record<string, number>
  /** Generated cells stored. */
  cells: number
  /** Step of the newest checkpoint with a sample grid (synthetic.grid serves it), null before the first. */
  gridStep: number | null
  trainingData: string
  attribution: string
  /** The newest quality report covering this generator, if any. */
  reportId: number | null
  updatedAt: string
}

export interface SimilarityPair {
  realReal: number
  realGenerated: number
  /** realReal - realGenerated: how much less alike generated cells are to real ones than real ones to each other. */
  gap: number
}

export interface QualityClassResult {
  class: string
  generator: { id: number; name: string; step: number; checkpointId: number }
  realCells: number
  generatedCells: number
  baseline: {
    /** Share of generated cells the baseline model calls this class (paper: 100%). */
    accuracyOnGenerated: number
    /** The same on the real sample, for comparison. */
    accuracyOnReal: number
    /** What the baseline model called the generated cells. */
    generatedCalledAs: Record<string, number>
  }
  /** Mean pairwise cosine similarity (the paper's Table 8), on pixels and on the baseline's penultimate features. */
  cosine: { pixels: SimilarityPair; features: SimilarityPair }
  frechet: {
    /** Between half the real sample and as many generated cells, on penultimate-layer features. */
    realVsGenerated: number
    /** Between the two halves of the real sample: what "as close as real" looks like at this sample size. */
    realVsReal: number
    cellsPerSet: number
    features: number
  }
}

/** What a quality-report job hands back: the stored report and what it covered. */
export interface QualityJobResult {
  reportId: number
  classes: string[]
  model: string
  /** Generator ids, the first of them to select afterwards. */
  generatorIds: number[]
}

export interface TrainedOnGenerated {
  classes: string[]
  /** Input size of that W-Net (absent in reports made before #13: the baseline's). */
  inputSize?: number
  epochs: number
  trainCells: number
  testCells: number
  accuracy: number
  perClass: { class: string; recall: number; precision: number; f1: number; n: number }[]
  confusion: number[][]
}

export interface QualityReport {
  id?: number
  model: string
  inputSize: number
  perClass: number
  seed: number
  classes: string[]
  results: QualityClassResult[]
  /** W-Net trained on generated cells, tested on real ones; null when skipped (`skipped` says why). */
  trainedOnGenerated: TrainedOnGenerated | null
  skipped?: string
  backend: string
  seconds: number
}

// ---------------------------------------------------------------------------
// Blind expert sessions.

/** What the expert says about where a cell comes from, when the session asks. */
export const BLIND_ORIGIN_ANSWERS = ['real', 'generated'] as const
export type BlindOriginAnswer = (typeof BLIND_ORIGIN_ANSWERS)[number]

/**
 * A session as the renderer sees it, open or closed: no recipe, no mix, no
 * per-cell facts. `askOrigin` says whether to ask real-or-generated per cell.
 */
export interface BlindSessionView {
  id: number
  name: string
  status: 'open' | 'closed'
  total: number
  answered: number
  askOrigin: boolean
  /** The class choices, in key order (1..n). */
  classes: string[]
  /** Every cell image is a PNG of exactly this side. */
  displaySize: number
  createdAt: string
  closedAt: string | null
}

/**
 * One cell to show. `cellId` is random and valid for this session only;
 * `answeredClass` echoes the expert's own class answer (for going back).
 */
export interface BlindCellView {
  sessionId: number
  cellId: string
  position: number
  total: number
  answered: number
  answeredClass: string | null
}

/** The readers invited to a session (login names). */
export interface BlindInvitations {
  sessionId: number
  readers: { userId: number; name: string }[]
}

export interface ProportionWithInterval {
  successes: number
  trials: number
  /** successes / trials; null when there were no trials. */
  rate: number | null
  /** Clopper-Pearson 95% interval. */
  ci95: { low: number; high: number }
}

export interface BlindCellResult {
  position: number
  cellId: string
  origin: 'real' | 'generated'
  trueClass: string
  /** The real image id or the generated cell id behind this cell. */
  imageId: number | null
  syntheticImageId: number | null
  answeredClass: string | null
  answeredOrigin: BlindOriginAnswer | null
  classCorrect: boolean | null
  originCorrect: boolean | null
  who: string | null
  answeredAt: string | null
}

/** A closed session's report. */
export interface BlindResults {
  session: BlindSessionView
  recipe: unknown
  /** The session's secret (hex), from which its draw, order and render variation came; shown only once closed (null for sessions made before secrets). */
  secret: string | null
  classes: string[]
  /** Rows: true class; columns: the expert's class (answered cells only). As the paper's Table 9. */
  confusion: { all: number[][]; real: number[][]; generated: number[][] }
  accuracy: { all: ProportionWithInterval; real: ProportionWithInterval; generated: ProportionWithInterval }
  /** Per class: share of its real and generated cells the expert classified right. */
  perClass: { class: string; real: ProportionWithInterval; generated: ProportionWithInterval }[]
  /**
   * Real-vs-generated calls (cells answered with an origin): the detection
   * rate is the share called right; 50% is chance. Null when not asked.
   */
  detection: null | {
    rate: ProportionWithInterval
    /** Generated cells called generated. */
    generatedCalledGenerated: ProportionWithInterval
    /** Real cells called real. */
    realCalledReal: ProportionWithInterval
  }
  /** Each reader's own figures (a reader: a signed-in user, or a name given on the command line). */
  readers: BlindReaderResult[]
  /** How far the readers agree (null with fewer than two). */
  agreement: BlindAgreement | null
  /** Cells nobody answered. */
  unanswered: number
  /** One row per cell and reader who answered it (one with no answer for a cell nobody answered), in presentation order. */
  cells: BlindCellResult[]
  csv: string
}

export interface BlindReaderResult {
  /** The reader's user id (null for a name given on the command line). */
  userId: number | null
  name: string
  answered: number
  accuracy: { all: ProportionWithInterval; real: ProportionWithInterval; generated: ProportionWithInterval }
  /** Their real-vs-generated detection rate with its exact 95% interval; null when the session did not ask. */
  detection: BlindResults['detection']
}

/** Kappa: observed agreement corrected for chance (1 perfect, 0 chance), over the cells every reader answered. */
export interface BlindKappa {
  kappa: number | null
  observed: number | null
  expected: number | null
  items: number
  raters: number
}

export interface BlindAgreement {
  /** Cohen's kappa for two readers, Fleiss' for three or more. */
  method: 'cohen' | 'fleiss'
  readers: number
  class: BlindKappa
  /** On real vs generated; null when the session did not ask. */
  origin: BlindKappa | null
}

/**
 * A generator's name names a folder of its training state (beside the
 * database) and appears in exported file names: letters, digits, dot, dash,
 * underscore, starting with a letter or digit, so it is never '.', '..', a
 * hidden name, an option-looking '-x', or a path.
 */
export const GENERATOR_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$/
export const GENERATOR_NAME_RULE = 'letters, digits, dot, dash, underscore, starting with a letter or digit (at most 120)'

/** The name itself when it follows GENERATOR_NAME; throws otherwise. */
export function checkGeneratorName(name: string): string {
  if (!GENERATOR_NAME.test(name)) throw new Error(`not a generator name: ${JSON.stringify(name.slice(0, 130))} (${GENERATOR_NAME_RULE})`)
  return name
}

/** The default name of a class's generator: <class>-<preset>, with anything outside the rule turned into dashes. */
export function defaultGeneratorName(cls: string, preset: string): string {
  const name = `${cls}-${preset}`.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 120)
  return name || `generator-${preset}`
}
