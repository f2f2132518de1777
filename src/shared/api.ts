// THE API contract between the workstation's core and every UI: one table from
// method name to {input schema, output type}. The main side validates every
// payload with these schemas (src/main/api), the Electron preload exposes
// exactly these methods, the browser-mode server serves exactly them, and the
// renderer calls exactly them. Adding a capability (review, sign-off, export,
// models, blind sessions) means adding rows here and handlers in src/main/api.
//
// Types and schemas only: no Node, no DOM (a test enforces it).
import { z } from 'zod'
import type { CellLabel } from './cells'
import type { Progress } from './progress'
import { ORDER_FIELDS, type OrderChange, type OrderImportReport, type SlideOrder } from './order'
import { RANGE_MEASURES, type ReferenceTableView } from './ranges'
import {
  REPORT_FORMATS,
  TARGET_COUNTS,
  type ReclassifyResult,
  type ReviewComment,
  type ReviewHistory,
  type ReviewSettings,
  type SignOffEvent,
  type SignOffResult,
  type SlideDifferential,
  type SlideExport,
  type SlideGallery
} from './review'
import { FINE_TUNE_MODES, GAN_PRESET_NAMES, INPUT_NORMALISATIONS, LR_SCHEDULES, MODEL_ARCHITECTURES, TRAINING_BALANCES, type GanJobResult, type GenerateJobResult, type ModelSummary, type RunListItem, type RunReport, type TrainingJobResult, type TransferJobResult, type CalibrateJobResult, type AdaptJobResult } from './models'
import { OUTBOX_STATES, type LisSettings, type OutboxMessage, type OutboxMessageDetail } from './lis'
import { BLIND_ORIGIN_ANSWERS, GENERATOR_NAME, GENERATOR_NAME_RULE, type BlindCellView, type BlindInvitations, type BlindResults, type BlindSessionView, type GeneratorSummary, type QualityJobResult, type QualityReport } from './synthetic'
import { DisplayName, GivenPassword, NewPassword, RoleList, UserName, type Role, type SessionState, type SessionUser, type UserSummary } from './people'
import { EpochFigures, WorkerInfo, WorkerName, type ClaimAnswer, type HeartbeatAnswer, type WorkerCredentialSummary, type WorkerHello } from './workers'

// ---------------------------------------------------------------------------
// Results: nothing is thrown across the boundary.

export const API_ERROR_CODES = [
  /** The payload failed the method's schema. */
  'invalid_input',
  /** No such method (a client newer or older than the server). */
  'unknown_method',
  /** The thing asked for (slide, cell, job ...) does not exist. */
  'not_found',
  /** The request clashes with the current state (e.g. a slide already signed). */
  'conflict',
  /** The change was made against a view that has since moved on (another station changed the slide): nothing was changed; reload and decide again. */
  'stale',
  /** The capability is not available here (no database, no model ...). */
  'unavailable',
  /** The caller may not do this (foreign sender, missing token ...). */
  'forbidden',
  /** Long work was cancelled. */
  'cancelled',
  /** A fault in the workstation itself; the message says what. */
  'internal'
] as const
export type ApiErrorCode = (typeof API_ERROR_CODES)[number]

export interface ApiIssue {
  /** Dotted path into the payload, '' for the payload itself. */
  path: string
  message: string
}

export interface ApiError {
  code: ApiErrorCode
  message: string
  /** Which fields failed validation, for invalid_input. */
  issues?: ApiIssue[]
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError }

export const ok = <T>(value: T): Result<T> => ({ ok: true, value })
export const fail = (code: ApiErrorCode, message: string, issues?: ApiIssue[]): Result<never> => ({
  ok: false,
  error: issues ? { code, message, issues } : { code, message }
})

// ---------------------------------------------------------------------------
// Shared schema pieces.

/** Database row ids are positive integers. */
export const Id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER)
const NoInput = z.strictObject({})
/** A filesystem path on the machine running the core (the server's, in browser mode). */
const LocalPath = z.string().trim().min(1, 'a folder path is required').max(4096)
/**
 * The slide revision the caller's view showed (SlideGallery.revision). With it
 * a change is refused as \`stale\` when the slide moved on since (another
 * station changed it); without it (the command line) it acts on what is there.
 */
const SeenRevision = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional()
const JobId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a job id')
/** A blind-session cell id: random, opaque, valid in its session only. */
const BlindCellId = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'not a session cell id')
/** What training and cross-validation both take: the cells, the network, the paper's settings by default. */
const TrainingRequest = {
  /** The dataset (by name) whose labelled cells of the five classes are used. */
  dataset: z.string().trim().min(1, 'choose a dataset').max(200),
  architecture: z.enum(MODEL_ARCHITECTURES).default('wnet'),
  /** Input side in pixels (default: the architecture's, 128 for W-Net). */
  inputSize: z.number().int().min(16).max(512).optional(),
  epochs: z.number().int().min(1).max(1000).default(10),
  batchSize: z.number().int().min(1).max(512).default(5),
  learningRate: z.number().positive().max(1).default(1e-4),
  /** The last N epochs train with dropout off at lr x 0.2 (docs/ml.md, "Dropout and inference"); 0: the paper's recipe. Checked against epochs by the handler. */
  dropoutOffEpochs: z.number().int().min(0).max(1000).default(0),
  /** Learning-rate schedule over the epochs before any dropout-off ones. */
  schedule: z.enum(LR_SCHEDULES).default('constant'),
  /** How the classes are evened out (src/shared/models TRAINING_BALANCES). */
  balance: z.enum(TRAINING_BALANCES).default('none'),
  /** Random flips and 90-degree rotations of the training cells. */
  augment: z.boolean().default(false),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
  name: z.string().trim().max(200).optional()
}

/** An order field as a form sends it (the order core checks and normalises it). */
const OrderText = z.string().max(200).nullable().optional()
/** One row of a lab's reference table (src/shared/ranges.ts). */
const Limit = z.number().finite().min(0).max(1e6).nullable()
const ReferenceIntervalSchema = z.strictObject({
  class: z.string().trim().min(1).max(100),
  measure: z.enum(RANGE_MEASURES),
  sex: z.enum(['F', 'M']).nullable(),
  ageFromYears: z.number().min(0).max(150),
  ageToYears: z.number().min(0).max(200).nullable(),
  low: Limit,
  high: Limit,
  criticalLow: Limit,
  criticalHigh: Limit
})

/** A training request as the contract passes it on, defaults filled in (the job protocol and the Models form build on it). */
export type TrainingRequestInput = z.output<z.ZodObject<typeof TrainingRequest>>

/** Transfer learning takes the network and input size from its base model. */
const { architecture: _architecture, inputSize: _inputSize, ...TransferRequest } = TrainingRequest

// ---------------------------------------------------------------------------
// Value types returned by the methods.

export interface AppInfo {
  name: string
  version: string
  /** 'desktop' (Electron) or 'browser' (wbc serve). */
  shell: 'desktop' | 'browser'
  /** The TensorFlow.js backend the latest ML job (classify, train, cross-validate, GAN) ran on ('tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'); null before any ran since the workstation started. */
  mlBackend: string | null
  /** The SQLite database this workstation works on. */
  dbPath: string
  /** Whether the core's store is available (false only while it is being built). */
  storeReady: boolean
}

export interface DatasetSummary {
  id: number
  name: string
  description: string
  imageCount: number
  /** Current label -> number of images carrying it. */
  labelCounts: Record<string, number>
  createdAt: string
}

export const SLIDE_STATUSES = ['imported', 'classified', 'in_review', 'signed'] as const
export type SlideStatus = (typeof SLIDE_STATUSES)[number]

export interface SlideSummary {
  id: number
  /** The sample / order id (from the export's folder name when nothing better is known). */
  sampleId: string
  /** Where the slide's cells came from (an import root). */
  source: string
  /** One of SLIDE_STATUSES; later workflows may add their own. */
  status: SlideStatus | (string & {})
  cellCount: number
  /** The model whose predictions the slide carries, if it was classified. */
  model: { id: number; name: string } | null
  createdAt: string
  /** Moves with every change to what the slide's review shows (SlideGallery.revision). */
  revision: number
}

export interface CellSummary {
  id: number
  slideId: number | null
  /** The current label (derived from the label history), null when unlabelled. */
  label: CellLabel | null
  /** Who set the current label: folder, manifest, reviewer, expert, model. */
  labelSource: string | null
  /** The model's call for this cell, when classified. */
  prediction: { label: CellLabel; confidence: number; modelId: number } | null
  width: number
  height: number
  format: string
  /** The original file name (no directories). */
  fileName: string
  /**
   * A slide's cell: the group the review shows it in (a class, another label,
   * or 'unidentified' when the model's call is under the threshold or flagged).
   */
  reviewGroup?: CellLabel | null
}

export interface CellPage {
  total: number
  offset: number
  cells: CellSummary[]
}

/** An image as bytes for display (the original file when the browser can show it, otherwise a PNG rendering). */
export interface CellImage {
  mime: 'image/png' | 'image/jpeg'
  bytes: Uint8Array
}

export interface FolderEntry {
  name: string
  path: string
}

/** One level of the core machine's filesystem, for choosing an import folder. */
export interface FolderListing {
  path: string
  parent: string | null
  folders: FolderEntry[]
  /** How many files here have an image extension (jpg, png, bmp, tif). */
  imageFiles: number
}

export const IMPORT_OUTCOMES = ['imported', 'duplicate', 'skipped', 'failed'] as const
export type ImportOutcome = (typeof IMPORT_OUTCOMES)[number]

export interface ImportFileReport {
  /** Path relative to the import root. */
  path: string
  outcome: ImportOutcome
  /** Machine code for failures and skips: zero-byte, truncated, corrupt, not-an-image, too-large, duplicate ... */
  reasonCode?: string
  /** The plain reason, for anything not simply imported. */
  reason?: string
  label?: CellLabel | null
  slide?: string | null
  /** Set when this file's class disagrees with classes the same image already had (both are kept in the history). */
  conflict?: string
}

export interface ImportReport {
  root: string
  batchId: number
  dataset: { id: number; name: string } | null
  /** 'cancelled' when stopped early: what was committed stays, and the same import completes it. */
  status: 'done' | 'cancelled'
  counts: Record<ImportOutcome, number> & { files: number; conflicts: number }
  failuresByReason: Record<string, number>
  /** Sample ids of the slides the import touched. */
  slides: string[]
  /** Order and patient data the import's order manifests gave its slides (docs/lis.md). */
  orders: OrderImportReport
  /** Every file's outcome, in the order they were examined. */
  files: ImportFileReport[]
  seconds: number
  imagesPerSecond: number
}

// Long work runs as jobs: start returns an id, progress and the end arrive as
// events, and the state can be polled (after a reconnect, say).
export const JOB_KINDS = ['import', 'classify', 'train', 'crossval', 'transfer', 'calibrate', 'gan', 'generate', 'quality', 'blind', 'adapt'] as const
export type JobKind = (typeof JOB_KINDS)[number]
export type JobState = 'running' | 'succeeded' | 'failed' | 'cancelled'

/** What each kind of job hands back when it succeeds. Add a row per kind (train: TrainingRun ...). */
export interface JobResults {
  import: ImportReport
  classify: ClassifyReport
  train: TrainingJobResult
  crossval: TrainingJobResult
  transfer: TransferJobResult
  calibrate: CalibrateJobResult
  gan: GanJobResult
  generate: GenerateJobResult
  quality: QualityJobResult
  blind: BlindSessionView
  adapt: AdaptJobResult
}

/** What classifying a slide stored: one prediction per cell by one model. */
export interface ClassifyReport {
  slideId: number
  model: { id: number; name: string }
  /** Cells that got a prediction. */
  classified: number
  /** Of those, how many the model's call puts under the slide's Unidentified threshold or flags as out of distribution. */
  unidentified: number
  seconds: number
}

export interface JobSnapshot<K extends JobKind = JobKind> {
  id: string
  kind: K
  state: JobState
  /** A one-line description: the import root, the run name ... */
  title: string
  progress: Progress
  startedAt: string
  finishedAt: string | null
  error: ApiError | null
  /** Present once state is 'succeeded' (and for a cancelled import, its partial report). */
  result: JobResults[K] | null
}

// ---------------------------------------------------------------------------
// The table. `returns<T>()` only carries the output type (it is an empty object
// at runtime); the input schema is what the main side enforces.

declare const OUTPUT: unique symbol
export interface Returns<T> {
  readonly [OUTPUT]?: T
}
export const returns = <T>(): Returns<T> => ({})

export interface MethodSpec {
  input: z.ZodType
  output: Returns<unknown>
  /** One line for docs/api.md and error messages. */
  doc: string
  /**
   * Who may call it: the roles of which the acting user needs one
   * (src/shared/people), or 'public' for the few calls made before anyone is
   * signed in (session state, setup, sign-in). Required: a method without
   * roles does not typecheck. The dispatcher enforces it, in one place.
   */
  roles: readonly Role[] | 'public' | typeof WORKER_ONLY
}

/**
 * Methods only a worker machine's credential may call (`wbc worker`,
 * docs/scale.md): no person holds this, and a worker credential may call
 * nothing else. The dispatcher enforces both, in the same one place.
 */
export const WORKER_ONLY = 'worker'

// Who may call what (docs/security.md). A verifier is a technologist who may
// also sign; a reader answers blind sessions and nothing else.
/** Everyone signed in except readers: the lab's read views. */
const STAFF = ['admin', 'technologist', 'verifier', 'organiser'] as const satisfies readonly Role[]
/** Review work: import, classify, reclassify, comment. */
const BENCH = ['technologist', 'verifier'] as const satisfies readonly Role[]
/** Models and review settings: the lab's own configuration. */
const LAB_SETUP = ['admin', 'technologist', 'verifier'] as const satisfies readonly Role[]
const SIGNERS = ['verifier'] as const satisfies readonly Role[]
const ORGANISERS = ['organiser'] as const satisfies readonly Role[]
/** A blind session's own calls: the organiser's, and the invited readers'. */
const BLIND_TAKERS = ['organiser', 'reader'] as const satisfies readonly Role[]
const ADMINS = ['admin'] as const satisfies readonly Role[]
/** Anyone signed in, readers too: their own session. */
const SIGNED_IN = ['admin', 'technologist', 'verifier', 'organiser', 'reader'] as const satisfies readonly Role[]

export const api = {
  'app.info': {
    input: NoInput,
    output: returns<AppInfo>(),
    doc: 'Version, shell, ML backend and database path of this workstation.',
    roles: STAFF
  },
  'datasets.list': {
    input: NoInput,
    output: returns<DatasetSummary[]>(),
    doc: 'Every dataset (named set of images, e.g. one per import) with its label counts.',
    roles: STAFF
  },
  'slides.list': {
    input: NoInput,
    output: returns<SlideSummary[]>(),
    doc: 'Every slide with its status, cell count and the model used.',
    roles: STAFF
  },
  'cells.list': {
    input: z
      .strictObject({
        slideId: Id.optional(),
        datasetId: Id.optional(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(200)
      })
      .refine((q) => (q.slideId === undefined) !== (q.datasetId === undefined), {
        message: 'give exactly one of slideId or datasetId'
      }),
    output: returns<CellPage>(),
    doc: "A page of one slide's or one dataset's cells.",
    roles: STAFF
  },
  'cell.image': {
    input: z.strictObject({ id: Id }),
    output: returns<CellImage>(),
    doc: "A cell's image for display (PNG or JPEG bytes).",
    roles: STAFF
  },
  'folders.list': {
    input: z.strictObject({ path: LocalPath.optional() }),
    output: returns<FolderListing>(),
    doc: "The sub-folders of a folder on the core's machine (default: the user's home), to choose an import.",
    roles: BENCH
  },
  'import.start': {
    input: z.strictObject({
      path: LocalPath,
      /** Dataset the images join (default: the folder's name); null for none. */
      dataset: z.string().trim().min(1).max(200).nullable().optional(),
      /** Keep class folders this program does not know (ig, smudge ...) as their own label instead of failing them. */
      keepUnknownClasses: z.boolean().default(true)
    }),
    output: returns<{ jobId: string }>(),
    doc: 'Start importing a folder; progress and the per-file report arrive as job events.',
    roles: BENCH
  },
  'jobs.get': {
    input: z.strictObject({ jobId: JobId }),
    output: returns<JobSnapshot>(),
    doc: "A job's current state (and its result once finished).",
    roles: STAFF
  },
  'jobs.list': {
    input: NoInput,
    output: returns<JobSnapshot[]>(),
    doc: 'Running and recently finished jobs, newest first (results omitted).',
    roles: STAFF
  },
  'jobs.cancel': {
    input: z.strictObject({ jobId: JobId }),
    output: returns<{ cancelled: boolean }>(),
    doc: 'Ask a running job to stop; it ends in the cancelled state.',
    roles: STAFF
  },
  'slides.classify': {
    input: z.strictObject({
      slideId: Id,
      /** A stored model; default: the default model (the shipped one on first use). */
      modelId: Id.optional()
    }),
    output: returns<{ jobId: string }>(),
    doc: "Start classifying a slide's cells with a model (default: the default model); progress and the report arrive as job events.",
    roles: BENCH
  },
  'review.gallery': {
    input: z.strictObject({ slideId: Id, order: z.enum(['ascending', 'descending']).default('ascending') }),
    output: returns<SlideGallery>(),
    doc: "A slide's cells grouped by class (the five, Unidentified, other labels), each group ordered by the model's confidence.",
    roles: STAFF
  },
  'review.reclassify': {
    input: z.strictObject({
      slideId: Id,
      cellIds: z.array(Id).min(1, 'choose at least one cell').max(10_000),
      /** A class, an alias ('Lymph'), another label ('ig'), or 'unidentified'. */
      label: z.string().trim().min(1).max(100),
      why: z.string().max(2000).default(''),
      revision: SeenRevision
    }),
    output: returns<ReclassifyResult>(),
    doc: 'Give one or many cells of a slide a reviewer label (refused on a signed slide).',
    roles: BENCH
  },
  'review.accept': {
    input: z.strictObject({ slideId: Id, cellIds: z.array(Id).min(1, 'choose at least one cell').max(10_000), revision: SeenRevision }),
    output: returns<ReclassifyResult & { uncalled: number[] }>(),
    doc: "Let the model's call stand for each cell as one review action (one undo takes it all back); cells without a call are listed in uncalled.",
    roles: BENCH
  },
  'review.undo': {
    input: z.strictObject({ slideId: Id, revision: SeenRevision }),
    output: returns<ReclassifyResult & { undid: number }>(),
    doc: "Take back the slide's last reclassification by appending the labels the cells had before.",
    roles: BENCH
  },
  'review.history': {
    input: z
      .strictObject({ slideId: Id.optional(), cellId: Id.optional() })
      .refine((q) => (q.slideId === undefined) !== (q.cellId === undefined), { message: 'give exactly one of slideId or cellId' }),
    output: returns<ReviewHistory>(),
    doc: "The audit history of a cell or a slide: every label change (old, new, who, when, source) and the slide's sign-offs.",
    roles: STAFF
  },
  'review.differential': {
    input: z.strictObject({ slideId: Id }),
    output: returns<SlideDifferential>(),
    doc: 'Counts, percentages and exact 95% CIs per class, total counted, whether the target count is reached.',
    roles: STAFF
  },
  'review.settings': {
    input: z.strictObject({
      /** null: the global settings. */
      slideId: Id.nullable(),
      unidentifiedThreshold: z.number().min(0).max(1).optional(),
      targetCount: z.union(TARGET_COUNTS.map((n) => z.literal(n))).optional(),
      /** Global only: a slide of 200 or more cells counts to 200 unless it names its own target. */
      target200From200Cells: z.boolean().optional(),
      /** Whether a second, different verifier must sign before the report is final. */
      secondVerification: z.boolean().optional(),
      /** Global only: the analyser's WBC count already excludes NRBC (never corrected again). */
      wbcCorrectedByAnalyser: z.boolean().optional()
    }),
    output: returns<ReviewSettings>(),
    doc: 'Read (nothing to change) or change the Unidentified threshold and target count, of one slide or global.',
    roles: LAB_SETUP
  },
  'review.sign': {
    input: z.strictObject({
      slideId: Id,
      meaning: z.string().trim().min(1, 'say what the signature means').max(500),
      /** The signer's password, asked again for every signature. */
      password: GivenPassword,
      revision: SeenRevision
    }),
    output: returns<SignOffResult>(),
    doc: 'Sign a slide (refused while Unidentified cells remain or when already signed); it becomes read-only.',
    roles: SIGNERS
  },
  'review.reopen': {
    input: z.strictObject({ slideId: Id, reason: z.string().trim().min(1, 'give a reason').max(2000), revision: SeenRevision }),
    output: returns<SignOffEvent>(),
    doc: 'Reopen a signed slide for changes; the reopening and its reason are recorded.',
    roles: SIGNERS
  },
  'review.comment': {
    input: z.strictObject({ slideId: Id, cellId: Id.nullable().optional(), text: z.string().trim().min(1).max(5000) }),
    output: returns<ReviewComment>(),
    doc: 'Add a comment to a slide or one of its cells (refused on a signed slide).',
    roles: BENCH
  },
  'review.comments': {
    input: z.strictObject({ slideId: Id }),
    output: returns<ReviewComment[]>(),
    doc: "A slide's comments, oldest first.",
    roles: STAFF
  },
  'review.export': {
    input: z.strictObject({
      slideId: Id,
      format: z.enum(REPORT_FORMATS),
      lab: z.strictObject({ name: z.string().trim().min(1).max(200), id: z.string().trim().min(1).max(100).optional() }).optional()
    }),
    output: returns<SlideExport>(),
    doc: "The slide's differential as CSV, HL7 v2 ORU^R01, FHIR R4 JSON or PDF bytes to save; preliminary until signed.",
    roles: STAFF
  },
  'models.list': {
    input: NoInput,
    output: returns<ModelSummary[]>(),
    doc: 'Every stored model (trained, imported, shipped) with its headline accuracy; the default one marked.',
    roles: STAFF
  },
  'models.setDefault': {
    input: z.strictObject({ id: Id }),
    output: returns<ModelSummary>(),
    doc: 'Make a model the one used when none is named (classification of new slides).',
    roles: LAB_SETUP
  },
  'models.calibrate': {
    input: z.strictObject({
      id: Id,
      /** Dataset of non-WBC objects (immature granulocytes, erythroblasts, platelets ...): what should go to Unidentified. */
      other: z.string().trim().min(1, 'choose the dataset of non-WBC objects').max(200),
      /** The model's training cells and real WBCs it did not train on; default: the model's own training run (its held-out share). */
      fit: z.string().trim().min(1).max(200).optional(),
      wbc: z.string().trim().min(1).max(200).optional(),
      /** Share of real WBCs the threshold may route to Unidentified. */
      target: z.number().min(0.001).max(0.5).default(0.05),
      /** Share of the non-WBC objects shown to the outlier-exposure detector (the rest is what every score is measured on). */
      exposure: z.number().min(0).max(0.9).default(0.5)
    }).refine((q) => (q.fit === undefined) === (q.wbc === undefined), { message: 'give both fit and wbc datasets, or neither (the model\'s training run)' }),
    output: returns<{ jobId: string }>(),
    doc: "Measure how well confidence, energy, Mahalanobis and outlier-exposure scores separate non-WBC objects from real WBCs, and store the best as the model's Unidentified routing (a job).",
    roles: LAB_SETUP
  },
  'runs.list': {
    input: NoInput,
    output: returns<RunListItem[]>(),
    doc: 'Training, cross-validation and fine-tuning runs, newest first, with status, backend and headline metrics.',
    roles: STAFF
  },
  'runs.get': {
    input: z.strictObject({ id: Id }),
    output: returns<RunReport>(),
    doc: "A run's report: Table 10, per-class precision/recall/F1, confusion matrix, ROC and PR curves, per-epoch figures.",
    roles: STAFF
  },
  'train.start': {
    input: z.strictObject({
      ...TrainingRequest,
      /** Share of the cells held out (stratified) and scored after every epoch. */
      validationShare: z.number().min(0).max(0.5).default(0.1),
      setDefault: z.boolean().default(false)
    }),
    output: returns<{ jobId: string }>(),
    doc: 'Train a model on a dataset (same settings again resumes an unfinished run); progress arrives as job events.',
    roles: LAB_SETUP
  },
  'transfer.start': {
    input: z.strictObject({
      ...TransferRequest,
      /** The pre-trained model: its architecture, input size and classes are the experiment's. */
      baseModelId: Id,
      folds: z.number().int().min(2).max(20).default(5),
      /** Which fine-tuning to compare with training from scratch. */
      modes: z.array(z.enum(FINE_TUNE_MODES)).min(1).max(2).default(['all', 'head']),
      /** Learning rate of the fine-tuned arms only (default: the same as scratch). */
      fineTuneLearningRate: z.number().positive().max(1).optional()
    }),
    output: returns<{ jobId: string }>(),
    doc: "Transfer learning: the base model's network cross-validated from scratch and fine-tuned from the model on the same stored folds of a dataset, side by side (resumable); progress arrives as job events.",
    roles: LAB_SETUP
  },
  // Site adaptation (#12): fine-tune a model on a site's labelled cells, before / after and the PBC forgetting check.
  'adapt.start': {
    input: z.strictObject({
      /** The site's labelled cells (reviewed or imported labels; the model's own calls are never trained on). */
      dataset: z.string().trim().min(1).max(200),
      /** The model to adapt (default: the default model). */
      baseModelId: Id.optional(),
      modelName: z.string().trim().min(1).max(200).optional(),
      /** Make the adapted model the default when it is done (never without being asked). */
      setDefault: z.boolean().default(false),
      /** Epochs instead of the measured recipe's (a quick trial). */
      epochs: z.number().int().min(1).max(500).optional(),
      /** Learning rate instead of the recipe's. */
      learningRate: z.number().positive().max(1).optional(),
      /** Input colour normalisation instead of the recipe's grey-world; the adapted model carries it. */
      inputNormalisation: z.enum(INPUT_NORMALISATIONS).optional(),
      /** Learn only from cells of signed slides (a verifier signed for their labels), not from unsigned work. */
      signedSlidesOnly: z.boolean().default(false)
    }),
    output: returns<{ jobId: string }>(),
    doc: "Adapt a model to this site: fine-tune it on a dataset's labelled cells with a stratified part held out, and report accuracy before / after on those cells and on PBC reference cells (a resumable job; the adapted model is stored, not made the default unless asked).",
    roles: LAB_SETUP
  },
  'crossval.start': {
    input: z.strictObject({ ...TrainingRequest, folds: z.number().int().min(2).max(20).default(10) }),
    output: returns<{ jobId: string }>(),
    doc: 'Stratified k-fold cross-validation of a network on a dataset (resumable); progress arrives as job events.',
    roles: LAB_SETUP
  },
  'synthetic.generators': {
    input: NoInput,
    output: returns<GeneratorSummary[]>(),
    doc: 'Every GAN generator (one per class) with its status, steps, costs, generated-cell count and newest quality report.',
    roles: ORGANISERS
  },
  'synthetic.grid': {
    input: z.strictObject({ generatorId: Id }),
    output: returns<CellImage>(),
    doc: "A generator's newest sample grid (PNG).",
    roles: ORGANISERS
  },
  'synthetic.report': {
    input: z
      .strictObject({ generatorId: Id.optional(), reportId: Id.optional() })
      .refine((q) => (q.generatorId === undefined) !== (q.reportId === undefined), { message: 'give exactly one of generatorId or reportId' }),
    output: returns<QualityReport | null>(),
    doc: "A quality report by id, or a generator's newest one (null when none was run).",
    roles: ORGANISERS
  },
  'blind.list': {
    input: NoInput,
    output: returns<BlindSessionView[]>(),
    doc: 'Blind expert sessions with their status and progress (nothing about any cell).',
    roles: BLIND_TAKERS
  },
  'blind.create': {
    input: z.strictObject({
      name: z.string().trim().min(1, 'name the session').max(200),
      /** Classes to draw and to offer as answers (default: the five WBC classes). */
      classes: z.array(z.string().trim().min(1).max(60)).min(2).max(20).optional(),
      realPerClass: z.number().int().min(0).max(500).default(10),
      generatedPerClass: z.number().int().min(0).max(500).default(10),
      /** Real cells from this dataset only (default: every labelled image). */
      datasetId: Id.optional(),
      /** Generated cells from these generators only (default: any of the class). */
      generatorIds: z.array(Id).max(100).optional(),
      /** Also ask real or generated for each cell. */
      askOrigin: z.boolean().default(true),
      displaySize: z.number().int().min(64).max(512).default(256)
    }),
    output: returns<{ jobId: string }>(),
    doc: "Create a blind session from a recipe as a job: cells drawn and shuffled from a secret random seed, rendered alike (varied by the secret) in batches; the job's result is the session.",
    roles: ORGANISERS
  },
  'blind.next': {
    input: z.strictObject({ sessionId: Id, position: z.number().int().min(0).optional() }),
    output: returns<BlindCellView | null>(),
    doc: 'The next unanswered cell of a session (or the one at a position, to go back); null when all are answered.',
    roles: BLIND_TAKERS
  },
  'blind.cell': {
    input: z.strictObject({ sessionId: Id, cellId: BlindCellId }),
    output: returns<CellImage>(),
    doc: "A session cell's image: a PNG of the session's display size, the same encoding for every cell.",
    roles: BLIND_TAKERS
  },
  'blind.answer': {
    input: z.strictObject({
      sessionId: Id,
      cellId: BlindCellId,
      class: z.string().trim().min(1).max(60),
      origin: z.enum(BLIND_ORIGIN_ANSWERS).nullable().optional()
    }),
    output: returns<{ answered: number; total: number; next: BlindCellView | null }>(),
    doc: 'Answer a cell (class, and real or generated if the session asks); a later answer supersedes. Returns the next cell.',
    roles: BLIND_TAKERS
  },
  'blind.close': {
    input: z.strictObject({ sessionId: Id }),
    output: returns<BlindSessionView>(),
    doc: 'Close a session: no more answers; its results become available.',
    roles: ORGANISERS
  },
  'blind.results': {
    input: z.strictObject({ sessionId: Id }),
    output: returns<BlindResults>(),
    doc: "A closed session's report: confusion matrix, accuracy on real and generated cells, detection rate with 95% CI, CSV.",
    roles: ORGANISERS
  },
  // Blind-session readers (audit-blind): the organiser invites; a reader sees
  // and takes only the sessions they are invited to (the handlers check).
  'blind.invite': {
    input: z.strictObject({ sessionId: Id, reader: UserName }),
    output: returns<BlindInvitations>(),
    doc: 'Invite a reader (a user with the reader role) to take a blind session; returns everyone invited.',
    roles: ORGANISERS
  },
  'blind.readers': {
    input: z.strictObject({ sessionId: Id }),
    output: returns<BlindInvitations>(),
    doc: 'Who is invited to take a blind session.',
    roles: ORGANISERS
  },
  'gan.start': {
    input: z.strictObject({
      class: z.string().trim().min(1).max(60),
      preset: z.enum(GAN_PRESET_NAMES).default('cpu'),
      /** Train until this many steps are done (a stopped generator of the same name resumes). */
      steps: z.number().int().min(1).max(10_000_000).default(5000),
      /** Generator name (default <class>-<preset>). */
      name: z.string().trim().regex(GENERATOR_NAME, GENERATOR_NAME_RULE).optional(),
      /** Real cells from this dataset only (default: every labelled cell of the class). */
      datasetId: Id.optional(),
      maxReal: z.number().int().min(1).max(1_000_000).optional(),
      checkpointEvery: z.number().int().min(1).max(1_000_000).default(200)
    }),
    output: returns<{ jobId: string }>(),
    doc: "Train (or resume) a class's DCGAN on the store's labelled cells; progress, checkpoints and sample grids as it goes.",
    roles: ORGANISERS
  },
  // #13: the quality report as a job, from the Synthetic screen.
  'synthetic.runReport': {
    input: z.strictObject({
      /** One generator per class (two or more for the trained-on-generated check). */
      generatorIds: z.array(Id).min(1).max(20),
      /** Real and generated cells per class. */
      perClass: z.number().int().min(10).max(1000).default(100),
      /** Epochs of the W-Net trained on generated cells (0 skips it). */
      epochs: z.number().int().min(0).max(50).default(5),
      /** Its input size (smaller is cheaper); default 64. */
      tstrSize: z.number().int().min(32).max(256).default(64),
      /** Real cells from this dataset only (default: every labelled image of the class). */
      datasetId: Id.optional(),
      seed: z.number().int().min(0).max(2 ** 31 - 1).default(1)
    }),
    output: returns<{ jobId: string }>(),
    doc: "Run the quality report on generators (one per class) as a job, with the default model as the judge and the store's labelled cells as the real ones; the job's result names the stored report.",
    roles: ORGANISERS
  },
  'synthetic.generate': {
    input: z.strictObject({ generatorId: Id, count: z.number().int().min(1).max(10_000).default(100), seed: z.number().int().min(0).max(2 ** 31 - 1).default(1) }),
    output: returns<{ jobId: string }>(),
    doc: "Generate cells from a generator's newest checkpoint (stored as synthetic images with provenance, never in a real dataset).",
    roles: ORGANISERS
  },

  // --- Results to the LIS (src/main/lis): the outbox and its connection ---
  'lis.send': {
    input: z.strictObject({
      slideId: Id,
      /** HOST:PORT; default: the configured LIS. */
      to: z.string().trim().min(3).max(300).optional()
    }),
    output: returns<OutboxMessage>(),
    doc: "Queue a signed slide's report (ORU^R01; a correction after a reopened sign-off) in the outbox; the workstation sends it over MLLP and retries.",
    roles: BENCH
  },
  'lis.settings': {
    input: z.strictObject({
      host: z.string().trim().max(253).optional(),
      port: z.number().int().min(1).max(65535).nullable().optional(),
      sendOnSignOff: z.boolean().optional(),
      receivingApplication: z.string().trim().max(200).optional(),
      receivingFacility: z.string().trim().max(200).optional(),
      labName: z.string().trim().max(200).optional(),
      maxAttempts: z.number().int().min(1).max(1000).optional(),
      ackTimeoutMs: z.number().int().min(100).max(600_000).optional()
    }),
    output: returns<LisSettings>(),
    doc: 'Read (nothing to change) or change the LIS connection: host, port, sending at sign-off, receiver names, tries, ACK timeout.',
    roles: ADMINS
  },
  'outbox.list': {
    input: z.strictObject({ slideId: Id.optional(), state: z.enum(OUTBOX_STATES).optional() }),
    output: returns<OutboxMessage[]>(),
    doc: 'Messages for the LIS, newest first, with their state (pending, sending, sent, rejected, failed), tries and the ACK.',
    roles: STAFF
  },
  'outbox.get': {
    input: z.strictObject({ id: Id }),
    output: returns<OutboxMessageDetail>(),
    doc: 'One outbox message: the HL7 text as sent, the ACK as received and every try.',
    roles: STAFF
  },
  'outbox.retry': {
    input: z.strictObject({ id: Id }),
    output: returns<OutboxMessage>(),
    doc: 'Queue a failed or rejected message again for a fresh series of tries.',
    roles: LAB_SETUP
  },

  // -- Order and patient of a slide, reference intervals (lab-order) --------
  'order.get': {
    input: z.strictObject({ slideId: Id }),
    output: returns<SlideOrder>(),
    doc: "A slide's order and patient: order id, patient id and name, birth date, sex, collection time, location, the analyser's WBC count.",
    roles: STAFF
  },
  'order.update': {
    input: z.strictObject({
      slideId: Id,
      /** Each field given is set (null or '' clears it); the core checks dates, sex and the WBC count. */
      changes: z
        .strictObject({
          orderId: OrderText,
          patientId: OrderText,
          familyName: OrderText,
          givenName: OrderText,
          birthDate: OrderText,
          sex: OrderText,
          collectedAt: OrderText,
          location: OrderText,
          wbcCount: z.union([z.number(), z.string().max(20)]).nullable().optional()
        } satisfies Record<(typeof ORDER_FIELDS)[number], z.ZodType>)
        .refine((c) => Object.values(c).some((v) => v !== undefined), { message: 'change at least one field' }),
      why: z.string().max(2000).default('')
    }),
    output: returns<SlideOrder>(),
    doc: "Correct a slide's order or patient data (each changed field audited: who, when, old, new); refused (conflict) on a signed slide.",
    roles: BENCH
  },
  'order.history': {
    input: z.strictObject({ slideId: Id }),
    output: returns<OrderChange[]>(),
    doc: "Every change of a slide's order data, oldest first: field, old, new, source (manifest, worklist, reviewer), who, when, why.",
    roles: STAFF
  },
  'worklist.import': {
    input: z.strictObject({
      /** The worklist's name, for the audit trail. */
      fileName: z.string().trim().min(1).max(255),
      /** The CSV text (UTF-8), as read by the UI from the user's file. */
      text: z.string().min(1).max(5_000_000)
    }),
    output: returns<OrderImportReport>(),
    doc: 'Import a LIS worklist CSV: each row matched to a slide by sample id (values a person set are kept; signed slides untouched).',
    roles: BENCH
  },
  'ranges.get': {
    input: NoInput,
    output: returns<ReferenceTableView>(),
    doc: 'The reference intervals and critical limits in force (the default adult table until the lab sets its own), with their source.',
    roles: STAFF
  },
  'ranges.set': {
    input: z.strictObject({
      /** null: back to the default adult table. */
      table: z
        .strictObject({
          name: z.string().trim().min(1).max(200),
          source: z.string().trim().max(2000),
          intervals: z.array(ReferenceIntervalSchema).min(1).max(1000)
        })
        .nullable(),
      why: z.string().max(2000).default('')
    }),
    output: returns<ReferenceTableView>(),
    doc: 'Put a reference table in force (refused when limits are inverted or two intervals overlap); earlier tables stay in the log.',
    roles: ADMINS
  },

  // People: sessions and users (src/main/people). The shells bind a session
  // to the user a successful session.login or session.setup returns, and end
  // it on session.logout; the acting user never comes from a payload.
  'session.state': {
    input: NoInput,
    output: returns<SessionState>(),
    doc: 'Whether the first admin must still be created, and who is signed in here (null when nobody).',
    roles: 'public'
  },
  'session.setup': {
    input: z.strictObject({ name: UserName, displayName: DisplayName.optional(), password: NewPassword }),
    output: returns<SessionUser>(),
    doc: 'Create the first admin (only while no user exists; in browser mode only with the start token) and sign in as them.',
    roles: 'public'
  },
  'session.login': {
    input: z.strictObject({ name: z.string().trim().min(1, 'enter your name').max(64), password: GivenPassword }),
    output: returns<SessionUser>(),
    doc: 'Sign in; repeated failures lock the account for a while.',
    roles: 'public'
  },
  'session.logout': {
    input: NoInput,
    output: returns<{ signedOut: true }>(),
    doc: 'Sign out of this session.',
    roles: SIGNED_IN
  },
  'session.password': {
    input: z.strictObject({ current: GivenPassword, password: NewPassword }),
    output: returns<{ changed: true }>(),
    doc: 'Change your own password (the current one is asked again).',
    roles: SIGNED_IN
  },
  // Worker machines (docs/scale.md): the admin's credentials, then the calls only a worker's credential may make.
  'workers.issue': {
    input: z.strictObject({ name: WorkerName }),
    output: returns<WorkerCredentialSummary & { secret: string }>(),
    doc: 'Issue a worker credential (its secret is in this answer only; only a hash is kept).',
    roles: ADMINS
  },
  'workers.revoke': {
    input: z.strictObject({ name: WorkerName }),
    output: returns<WorkerCredentialSummary>(),
    doc: 'Revoke a worker credential: the worker stops at its next call.',
    roles: ADMINS
  },
  'workers.list': {
    input: NoInput,
    output: returns<WorkerCredentialSummary[]>(),
    doc: 'Worker credentials, revoked ones included (never their secrets).',
    roles: ADMINS
  },
  'worker.hello': {
    input: z.strictObject({ info: WorkerInfo }),
    output: returns<WorkerHello>(),
    doc: 'A worker starts: who it is to the server, and how it reaches the queue.',
    roles: WORKER_ONLY
  },
  'worker.claim': {
    input: z.strictObject({ runId: z.number().int().positive(), fold: z.number().int().min(0), queueJobId: z.string().min(1).max(200), info: WorkerInfo }),
    output: returns<ClaimAnswer>(),
    doc: 'A worker takes a fold (or a training run) from the queue: train it (from which epoch), or drop it.',
    roles: WORKER_ONLY
  },
  'worker.heartbeat': {
    input: z.strictObject({ attemptId: z.number().int().positive(), progress: z.strictObject({ done: z.number().min(0), total: z.number().min(0), epoch: z.number().int().min(0), message: z.string().max(300).optional() }) }),
    output: returns<HeartbeatAnswer>(),
    doc: "A training worker's progress; the answer says whether to stop.",
    roles: WORKER_ONLY
  },
  'worker.snapshot': {
    input: z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
    output: returns<{ sha256: string; bytes: Uint8Array }>(),
    doc: "A run's frozen cells (pixels, labels and label versions), by hash.",
    roles: WORKER_ONLY
  },
  'worker.checkpoint': {
    input: z.strictObject({ attemptId: z.number().int().positive() }),
    output: returns<{ epoch: number; sha256: string; bytes: Uint8Array } | { epoch: 0 }>(),
    doc: "The fold's last stored checkpoint, to resume from.",
    roles: WORKER_ONLY
  },
  'worker.putCheckpoint': {
    input: z.strictObject({ attemptId: z.number().int().positive(), sha256: z.string().regex(/^[0-9a-f]{64}$/), record: EpochFigures, bytes: z.instanceof(Uint8Array) }),
    output: returns<{ stored: boolean }>(),
    doc: "One finished epoch's checkpoint (verified by hash; the same epoch again is accepted once).",
    roles: WORKER_ONLY
  },
  'worker.putResult': {
    input: z.strictObject({ attemptId: z.number().int().positive(), sha256: z.string().regex(/^[0-9a-f]{64}$/), info: WorkerInfo, bytes: z.instanceof(Uint8Array) }),
    output: returns<{ stored: boolean }>(),
    doc: "A finished fold's (or run's) model and test scores (verified by hash; stored once).",
    roles: WORKER_ONLY
  },
  'worker.fail': {
    input: z.strictObject({ attemptId: z.number().int().positive(), message: z.string().max(2000), final: z.boolean() }),
    output: returns<{ recorded: true }>(),
    doc: 'A training attempt failed (final: no retry left, the run fails).',
    roles: WORKER_ONLY
  },
  'users.list': {
    input: NoInput,
    output: returns<UserSummary[]>(),
    doc: 'Every user, disabled ones included, with roles and lock state.',
    roles: ADMINS
  },
  'users.add': {
    input: z.strictObject({ name: UserName, displayName: DisplayName.optional(), roles: RoleList, password: NewPassword }),
    output: returns<UserSummary>(),
    doc: 'Add a user with roles and a first password.',
    roles: ADMINS
  },
  'users.disable': {
    input: z.strictObject({ name: UserName }),
    output: returns<UserSummary>(),
    doc: 'Disable a user: no more sign-in; the account stays so history keeps naming them.',
    roles: ADMINS
  },
  'users.setRoles': {
    input: z.strictObject({ name: UserName, roles: RoleList }),
    output: returns<UserSummary>(),
    doc: "Replace a user's roles (audited; the last enabled admin keeps admin).",
    roles: ADMINS
  },
  'users.password': {
    input: z.strictObject({ name: UserName, password: NewPassword }),
    output: returns<UserSummary>(),
    doc: "Set a user's password (and lift a lockout).",
    roles: ADMINS
  }
} as const satisfies Record<string, MethodSpec>

export type Api = typeof api
export type Method = keyof Api
/** What a caller passes (defaults may be left out). */
export type Input<M extends Method> = z.input<Api[M]['input']>
/** What a handler receives after validation (defaults filled in). */
export type ParsedInput<M extends Method> = z.output<Api[M]['input']>
export type Output<M extends Method> = Api[M]['output'] extends Returns<infer T> ? T : never

export const API_METHODS = Object.keys(api) as Method[]

/** Whether someone holding `roles` (null: nobody signed in) may call a method; the dispatcher's one check, also used by UIs to hide what a role can't use. */
export function mayCall(method: Method, roles: readonly Role[] | null): boolean {
  const allowed: readonly Role[] | 'public' | typeof WORKER_ONLY = api[method].roles
  if (allowed === 'public') return true
  if (allowed === WORKER_ONLY) return false
  return roles !== null && roles.some((r) => allowed.includes(r))
}
export function isMethod(name: unknown): name is Method {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(api, name)
}

// ---------------------------------------------------------------------------
// Events: the one typed channel from the core to the UIs.

export interface ApiEvents {
  /** A job moved on (throttled; the latest progress wins). */
  'job.progress': { jobId: string; kind: JobKind; progress: Progress }
  /** A job ended; `result` is set when it succeeded. */
  'job.finished': JobSnapshot
  /** Outbox messages were queued or tried (their state now). */
  'outbox.changed': { messages: OutboxMessage[] }
  /**
   * A slide's review changed (at this or another station): stations showing
   * it reload. slideId null: a lab-wide review setting moved every slide.
   * Changes made by the command line in another process raise no event; the
   * revision still moves, so a change against the old view is refused.
   */
  'slide.changed': SlideChangedEvent
}

export const SLIDE_CHANGES = ['reclassify', 'accept', 'undo', 'sign', 'reopen', 'classify', 'settings', 'comment'] as const
export type SlideChange = (typeof SLIDE_CHANGES)[number]
export interface SlideChangedEvent {
  slideId: number | null
  /** The slide's revision after the change (null with slideId null). */
  revision: number | null
  change: SlideChange
  /** Who changed it (their display name); null for a job's result. */
  by: string | null
  /** The user id of who changed it, so a station can tell its own changes from others'. */
  userId: number | null
}
export type EventName = keyof ApiEvents
export const API_EVENTS = ['job.progress', 'job.finished', 'outbox.changed', 'slide.changed'] as const satisfies readonly EventName[]
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && (API_EVENTS as readonly string[]).includes(name)
}
export type ApiEvent = { [E in EventName]: { name: E; payload: ApiEvents[E] } }[EventName]

// ---------------------------------------------------------------------------
// What a UI holds: a typed client, whatever carries it (IPC or HTTP).

export type ApiClient = {
  [M in Method]: (...input: {} extends Input<M> ? [input?: Input<M>] : [input: Input<M>]) => Promise<Result<Output<M>>>
}

/**
 * What the Electron preload exposes as `window.wbc`: exactly the contract's
 * methods, the event subscription, and two desktop-only helpers: the path of
 * a file or folder dropped on the window (which only the preload can read),
 * and asking to connect this app to a lab server (the app confirms it in a
 * native dialog, saves it and restarts as the server's client; docs/scale.md).
 */
export interface DesktopBridge {
  api: ApiClient
  on<E extends EventName>(name: E, listener: (payload: ApiEvents[E]) => void): () => void
  pathForFile(file: unknown): string | null
  /** `cancelled` when the person declines in the dialog, `invalid_input` for an address that is not https (or http to this machine). */
  connectLabServer(address: string): Promise<Result<{ origin: string }>>
}

/** IPC channel names, derived from the table so they cannot drift. */
export const ipcChannel = (method: Method): string => `wbc:api:${method}`
export const IPC_EVENT_CHANNEL = 'wbc:event'
/** The desktop-only request to become a lab server's client (not a contract method: it changes the app, not the core). */
export const IPC_CONNECT_LAB_SERVER_CHANNEL = 'wbc:desktop:connect-lab-server'

// ---------------------------------------------------------------------------
// Helpers both sides use.

/** Flatten a zod error into the contract's issue list. */
export function zodIssues(error: z.ZodError): ApiIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }))
}

/** Validate a payload for a method: the one check every transport runs on the main side. */
export function parseInput<M extends Method>(method: M, payload: unknown): Result<ParsedInput<M>> {
  // A method without input may be called with nothing at all.
  const parsed = api[method].input.safeParse(payload === undefined ? {} : payload)
  if (parsed.success) return ok(parsed.data as ParsedInput<M>)
  return fail('invalid_input', `${method}: invalid input`, zodIssues(parsed.error))
}
