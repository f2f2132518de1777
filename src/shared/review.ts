// What slide review hands to every UI: the gallery, the live differential,
// the audit history, sign-off and export results. Types and constants only
// (no Node, no DOM); the core in src/main/review produces these values and
// the contract in ./api carries them.
import type { CellLabel } from './cells'
import type { LabResults } from './ranges'

/** The gallery group of cells that have no class yet: no prediction, a prediction under the threshold, or a reviewer's "unidentified". */
export const UNIDENTIFIED = 'unidentified'

/**
 * Labels of objects that are not leukocytes. They are shown beside the
 * differential but, like Unidentified, are not part of the count (the
 * denominator), as analysers' review software reports them (nRBC per 100 WBC).
 */
export const NOT_COUNTED_LABELS: readonly string[] = [
  'erythroblast',
  'platelet',
  'giant platelet',
  'platelet aggregate',
  'smudge',
  'artefact'
]

export const TARGET_COUNTS = [100, 200] as const
export type TargetCount = (typeof TARGET_COUNTS)[number]

export const REPORT_FORMATS = ['csv', 'hl7', 'fhir', 'pdf'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

export interface ReviewSettings {
  /** A model call with a lower confidence goes to Unidentified. */
  unidentifiedThreshold: number
  /**
   * Who set the threshold in force: the slide's own setting, the lab's
   * (global), the card of the slide's model (chosen on measured figures), or
   * the fixed 0.8 for a model calibrated before that existed.
   */
  unidentifiedThresholdFrom?: 'slide' | 'lab' | 'model' | 'default'
  targetCount: TargetCount
  /**
   * The lab's choice (a global setting): a slide of 200 or more cells counts
   * to 200 unless the slide's own target says otherwise.
   */
  target200From200Cells?: boolean
  /** A second, different verifier must sign before the report is final. */
  secondVerification: boolean
  /**
   * The lab's choice (a global setting): the analyser's WBC count is already
   * corrected for nucleated red cells, so the workstation does not correct it
   * again for the NRBC seen on the slide.
   */
  wbcCorrectedByAnalyser?: boolean
}

/** Why a cell sits in its group. */
export type CellBasis =
  | 'reviewer'
  | 'expert'
  /** The model's call, at or above the threshold. */
  | 'model'
  /** The model's call, under the threshold. */
  | 'below-threshold'
  /** The model's out-of-distribution check says it is none of the five. */
  | 'model-unidentified'
  /** Not classified yet. */
  | 'no-prediction'

export interface GalleryCell {
  id: number
  fileName: string
  width: number
  height: number
  /** The group it is shown in: a class, or UNIDENTIFIED. */
  group: CellLabel
  basis: CellBasis
  /** The model's call, when the cell was classified. */
  prediction: { label: CellLabel; confidence: number; modelId: number; probabilities: Record<string, number> } | null
  /** The model's confidence in its call (null before classification): what the group is ordered by. */
  confidence: number | null
  /** The class an import gave it (an analyser's pre-classification), for reference. */
  importedLabel: CellLabel | null
}

export interface GalleryGroup {
  /** A class, or UNIDENTIFIED. */
  label: CellLabel
  /** Whether the cells of this group are part of the differential count. */
  counted: boolean
  cells: GalleryCell[]
}

export interface SlideGallery {
  slide: { id: number; sampleId: string; status: string }
  /**
   * The slide's revision this view shows: it moves with every label, prediction,
   * sign-off or setting of the slide. A change sent with it is refused as
   * `stale` when the slide has moved on since (another station changed it).
   */
  revision: number
  signed: boolean
  settings: ReviewSettings
  /** The five (always), Unidentified (always), then other labels present. */
  groups: GalleryGroup[]
  cellCount: number
}

export interface DifferentialRow {
  label: CellLabel
  count: number
  /** Share of the cells counted, in percent. */
  percent: number
  /** 95% exact binomial (Clopper-Pearson) interval of the share, in percent. */
  ciLow: number
  ciHigh: number
}

export interface SlideDifferential {
  slideId: number
  /** The five, then other counted labels present. */
  counted: DifferentialRow[]
  /** Cells counted: the denominator of every percentage. */
  totalCounted: number
  /** Shown but not counted: Unidentified and non-leukocyte objects. */
  notCounted: { label: CellLabel; count: number }[]
  unidentified: number
  targetCount: TargetCount
  targetReached: boolean
  signed: boolean
  /** Ranges and flags for the slide's patient, absolute counts when the WBC count is known, non-WBC objects per 100 WBC. */
  results?: LabResults
}

/** One entry of the audit history: a label a cell gained, with what it showed before. */
export interface LabelChange {
  labelId: number
  cellId: number
  /** The class the cell showed just before (null for its first label). */
  old: CellLabel | null
  new: CellLabel
  who: string
  at: string
  /** The label's source: folder, manifest, reviewer, expert, model. */
  source: string
  why: string
  /** The review action behind it: a reclassification, the undo of one, or acceptance at sign-off; null for imports. */
  action: 'reclassify' | 'undo' | 'accept' | null
  /** What the model suggested for the cell when the label was given (null: not classified by then). */
  modelCall?: { label: CellLabel; confidence: number } | null
}

export interface SignOffEvent {
  status: 'signed' | 'reopened'
  /** The signer's (or reopener's) login name. */
  who: string
  /** Their user id (null for records made before accounts existed). */
  userId: number | null
  at: string
  meaning: string
  reason: string
  /** For a signature: 1, or 2 for the second verification. */
  verification: 1 | 2
  /** For a signature: sha256 of what was signed (src/main/review/signoff.ts); '' for old records. */
  contentSha256: string
}

export interface ReviewHistory {
  changes: LabelChange[]
  /** Only for a slide's history. */
  signOffs: SignOffEvent[]
}

export interface ReclassifyResult {
  /** Id of the review action (null when nothing changed). */
  actionId: number | null
  changed: { cellId: number; old: CellLabel; new: CellLabel }[]
  /** Cells that already carried this label from a reviewer: nothing appended. */
  unchanged: number[]
}

export interface SignOffResult {
  slideId: number
  signedBy: string
  signedAt: string
  meaning: string
  /** 1: the signature; 2: the second verification. */
  verification: 1 | 2
  /** Whether the report is now final (no second verification required, or it is done). */
  final: boolean
  /** sha256 of what was signed: slide, sample id and counts. */
  contentSha256: string
  totalCounted: number
  /** Model calls the sign-off turned into reviewer labels. */
  accepted: number
}

export interface ReviewComment {
  id: number
  slideId: number
  cellId: number | null
  who: string
  at: string
  text: string
}

export interface SlideExport {
  fileName: string
  mime: string
  /** preliminary until the slide is signed. */
  status: 'final' | 'preliminary'
  bytes: Uint8Array
}
