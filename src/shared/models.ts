// What the contract says about models and runs (training, cross-validation,
// fine-tuning): list rows, a run's report in the paper's terms (Table 10,
// per-class precision / recall / F1, confusion matrix, one-vs-rest ROC and PR
// curves, per-epoch training figures) and the requests that start training.
// Types and constants only: no Node, no DOM.

/** The selectable networks: the one list the ML core (src/main/ml/model/architectures) and the UI share. */
export const MODEL_ARCHITECTURES = ['wnet', 'wnet-svm', 'alexnet', 'vgg16', 'resnet18', 'resnet50', 'lstm'] as const
export type ModelArchitecture = (typeof MODEL_ARCHITECTURES)[number]

/** The input side each network is built for by default. */
export const DEFAULT_ARCHITECTURE_INPUT: Record<ModelArchitecture, number> = {
  wnet: 128,
  'wnet-svm': 128,
  alexnet: 224,
  vgg16: 224,
  resnet18: 224,
  resnet50: 224,
  lstm: 128
}

export const ARCHITECTURE_LABELS: Record<ModelArchitecture, string> = {
  wnet: 'W-Net',
  'wnet-svm': 'W-Net-SVM',
  alexnet: 'AlexNet',
  vgg16: 'VGG16',
  resnet18: 'ResNet18',
  resnet50: 'ResNet50',
  lstm: 'LSTM'
}

/**
 * How training evens out the classes: 'none'; 'sampler', each cell drawn from
 * a uniformly chosen class (what the shipped model was trained with, see its
 * card); 'weights', the loss weighted by inverse class frequency.
 */
export const TRAINING_BALANCES = ['none', 'sampler', 'weights'] as const
export type TrainingBalance = (typeof TRAINING_BALANCES)[number]

/** Learning-rate schedules a run can ask for by name: constant, or cosine decay over the epochs. */
export const LR_SCHEDULES = ['constant', 'cosine'] as const
export type LrScheduleName = (typeof LR_SCHEDULES)[number]

/** How a pre-trained model is fine-tuned in transfer learning: every layer, or only the dense head. */
export const FINE_TUNE_MODES = ['all', 'head'] as const
export type FineTuneModeName = (typeof FINE_TUNE_MODES)[number]

/**
 * A model's input colour normalisation, applied to every cell before the
 * network sees it (training and inference alike; src/main/ml/data/input-normalisation.ts):
 * 'none', or 'grey-world' (each channel scaled to PBC's mean colour). Part of
 * the model: a model keeps the one it was trained with.
 */
export const INPUT_NORMALISATIONS = ['none', 'grey-world'] as const
export type InputNormalisation = (typeof INPUT_NORMALISATIONS)[number]

export type RunKind = 'train' | 'crossval' | 'finetune' | 'evaluate'
export type RunStatus = 'running' | 'done' | 'cancelled' | 'failed' | 'interrupted'

export interface ModelSummary {
  id: number
  name: string
  architecture: string
  inputSize: number
  classes: string[]
  quantization: string
  /** The input colour normalisation the model was trained with and runs with. */
  inputNormalisation: InputNormalisation
  /** 'run' (trained here), 'imported', 'shipped'. */
  provenance: string
  runId: number | null
  fold: number | null
  /** Held-out accuracy / macro F1 as recorded with the model, when known. */
  accuracy: number | null
  macroF1: number | null
  /** Weight bytes. */
  byteSize: number
  /** How the model routes cells that are none of its classes to Unidentified, when it was calibrated (null: by confidence alone). */
  routing: UnidentifiedRouting | null
  isDefault: boolean
  createdAt: string
}

/** A model's calibrated Unidentified routing, as measured when it was calibrated (held-out WBCs vs non-WBC objects). */
export interface UnidentifiedRouting {
  /** 'msp', 'energy', 'mahalanobis' or 'outlier-exposure'. */
  score: string
  threshold: number
  /** Share of the non-WBC objects (measured, not shown to a detector) routed to Unidentified. */
  nonWbcFlagged: number
  /** Share of real WBCs routed to Unidentified. */
  wbcFlagged: number
  targetWbcRate: number
  wbcCells: number
  otherCells: number
  calibratedAt: string
  /**
   * Unidentified as the reviewer sees it (the detector above plus the review's
   * default confidence threshold, chosen together on measured figures): the
   * share of held-out normal WBCs it puts in Unidentified and the share of
   * non-WBC objects it keeps out of the WBC groups. Null for calibrations made
   * before this was measured.
   */
  review: { confidenceThreshold: number; wbcRouted: number; otherKeptOut: number; maxWbcRate: number; minOtherRate: number; met: boolean } | null
}

/** What a calibration job hands back. */
export interface CalibrateJobResult {
  modelId: number
  routing: UnidentifiedRouting
}

export interface RunListItem {
  id: number
  kind: RunKind
  name: string
  status: RunStatus
  architecture: string
  inputSize: number
  backend: string | null
  datasetName: string | null
  startedAt: string
  finishedAt: string | null
  /** Compute seconds over all sessions. */
  seconds: number
  folds: { total: number; done: number }
  epochsRecorded: number
  /** Headline figures: pooled cross-validation accuracy, or held-out accuracy of a training run. */
  accuracy: number | null
  macroF1: number | null
}

export interface ClassMetricsView {
  label: string
  precision: number
  recall: number
  f1: number
  support: number
}

export interface ClassificationView {
  classes: string[]
  /** Rows: true class; columns: predicted class. */
  confusion: number[][]
  total: number
  /** null when there were no cells. */
  accuracy: number | null
  perClass: ClassMetricsView[]
  macro: { precision: number; recall: number; f1: number }
}

/** One-vs-rest curves of one class, thinned for plotting: [x, y] points. */
export interface ClassCurvesView {
  label: string
  positives: number
  negatives: number
  rocAuc: number | null
  averagePrecision: number | null
  /** [false-positive rate, true-positive rate]. */
  roc: [number, number][]
  /** [recall, precision]. */
  pr: [number, number][]
}

export interface CurvesView {
  perClass: ClassCurvesView[]
  macroRocAuc: number | null
  macroAveragePrecision: number | null
}

/** The paper's Table 10: per-fold (rows) per-class (columns) accuracy; null where a fold had no cell of a class. */
export interface Table10View {
  classes: string[]
  folds: number[]
  rows: (number | null)[][]
  mean: (number | null)[]
  overall: (number | null)[]
}

export interface EpochPoint {
  /** 0-based fold (0 for a plain training run). */
  fold: number
  /** 1-based. */
  epoch: number
  trainLoss: number
  trainAccuracy: number
  valAccuracy: number | null
  valMacroF1: number | null
  learningRate: number | null
  seconds: number
  imagesPerSecond: number | null
}

export interface FoldView {
  fold: number
  status: 'pending' | 'running' | 'done'
  epochsDone: number
  modelId: number | null
  accuracy: number | null
  trainCells: number | null
  testCells: number | null
  seconds: number
}

export interface RunReport {
  run: RunListItem
  classes: string[]
  seed: number
  /** Epochs, batch size, learning rate, schedule, balance, augment, k ... as the run recorded them. */
  settings: Record<string, unknown>
  error: string | null
  /** Cells the run used, per class. */
  classCounts: Record<string, number>
  epochs: EpochPoint[]
  folds: FoldView[]
  /** Cross-validation / fine-tuning report once the run has finished. */
  crossval: {
    k: number
    table10: Table10View
    overall: ClassificationView
    curves: CurvesView
  } | null
  /** A training run's held-out validation after its last epoch. */
  validation: ClassificationView | null
  /** Models the run produced (one per fold, or the trained model). */
  modelIds: number[]
  /** When the run is an arm of a transfer-learning experiment: every arm side by side, scratch first. */
  transfer: TransferComparison | null
}

/** One arm of a transfer-learning experiment: from scratch, or fine-tuned from the base model. */
export interface TransferArm {
  /** 'scratch', 'fine-tune all' or 'fine-tune head'. */
  label: string
  runId: number
  status: RunStatus
  /** Pooled over the folds (null until the arm has finished). */
  accuracy: number | null
  macroF1: number | null
  macroRocAuc: number | null
  /** Per-class recall, pooled (null until finished). */
  recall: Record<string, number> | null
  /** Mean and sample standard deviation of the per-fold accuracies. */
  foldAccuracy: { mean: number; sd: number } | null
}

/** The paper's transfer comparison (LISC: 91% scratch vs 96% fine-tuned): the same architecture and folds, scratch vs fine-tuned. */
export interface TransferComparison {
  /** The pre-trained model(s) of the fine-tuned arms shown (several when one scratch run served several experiments; none when deleted). */
  baseModels: { id: number; name: string }[]
  dataset: string | null
  k: number
  arms: TransferArm[]
}

/** What a transfer-learning job hands back: the scratch run (whose report shows every arm) and each arm's headline. */
export interface TransferJobResult {
  status: 'done' | 'cancelled'
  scratchRunId: number | null
  arms: { label: string; runId: number; accuracy: number | null; macroF1: number | null }[]
}

/** What a training or cross-validation job hands back. */
export interface TrainingJobResult {
  runId: number
  status: 'done' | 'cancelled'
  modelId: number | null
  accuracy: number | null
  macroF1: number | null
}

// ---------------------------------------------------------------------------
// Site adaptation (docs/ml-results.md, "Site adaptation"): a model fine-tuned
// on a site's labelled cells, scored before and after on the site's held-out
// cells and on PBC reference cells (the forgetting check).

/** Accuracy and per-class recall (in the model's class order) on one set of cells. */
export interface AdaptationFigures {
  accuracy: number | null
  recall: (number | null)[]
  cells: number
}

/** What an adaptation job (and `wbc adapt --json`) hands back. */
export interface AdaptJobResult {
  runId: number
  status: 'done' | 'cancelled'
  dataset: string
  baseModel: { id: number; name: string }
  /** The adapted model, stored beside its base; null when cancelled. */
  modelId: number | null
  modelName: string | null
  classes: string[]
  inputSize: number
  /** The adapted model's input colour normalisation (it trained on and carries it). */
  inputNormalisation: InputNormalisation
  /** The site's cells came from signed slides only (labels a verifier signed for). */
  signedSlidesOnly: boolean
  siteCells: { train: number; heldOut: number }
  referenceCells: { replay: number; check: number }
  before: { site: AdaptationFigures; reference: AdaptationFigures | null }
  after: { site: AdaptationFigures; reference: AdaptationFigures | null } | null
  /** Whether the adapted model is the default now (only when asked for). */
  isDefault: boolean
}

// ---------------------------------------------------------------------------
// Synthetic-cell jobs (the GAN is a model too): what they hand back.

export const GAN_PRESET_NAMES = ['paper', 'cpu', 'tiny'] as const
export type GanPresetName = (typeof GAN_PRESET_NAMES)[number]

export interface GanJobResult {
  generatorId: number
  name: string
  class: string
  status: string
  steps: number
  targetSteps: number
}

export interface GenerateJobResult {
  generatorId: number
  class: string
  checkpointStep: number
  /** Cells of this draw, and how many of them are new. */
  cells: number
  created: number
}

/** Learning rate of dropout-off epochs, as a factor of the run's (docs/ml.md, "Dropout and inference"); CLI, contract and UI share it. */
export const DROPOUT_OFF_LR_FACTOR = 0.2
