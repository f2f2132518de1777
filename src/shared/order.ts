// The order and patient a slide was made for, as every layer sees it: what
// the analyser's export or the LIS worklist says about the sample, and what a
// person corrected before sign-off. Types and constants only (no Node, no DOM);
// the core in src/main/order keeps the audited history these values come from.

/** Administrative sex as HL7 v2 table 0001 codes it (F, M, O other, U unknown). */
export const SEXES = ['F', 'M', 'O', 'U'] as const
export type Sex = (typeof SEXES)[number]

/** The order's fields a slide carries besides its sample id (the slide's own key). */
export const ORDER_FIELDS = [
  'orderId',
  'patientId',
  'familyName',
  'givenName',
  'birthDate',
  'sex',
  'collectedAt',
  'location',
  'wbcCount'
] as const
export type OrderField = (typeof ORDER_FIELDS)[number]

export interface SlideOrder {
  slideId: number
  /** The slide's sample id: the key a manifest or worklist row is matched by. */
  sampleId: string
  /** Accession / order number (the placer's order id). */
  orderId: string | null
  /** The patient's medical record number. */
  patientId: string | null
  familyName: string | null
  givenName: string | null
  /** YYYY-MM-DD. */
  birthDate: string | null
  sex: Sex | null
  /** ISO 8601 date-time with offset (or UTC 'Z'). */
  collectedAt: string | null
  /** Ordering ward / clinic / department. */
  location: string | null
  /** The analyser's WBC count in x10^9/L (as measured, before any NRBC correction). */
  wbcCount: number | null
  /** Whether the slide is signed: then the order is read-only. */
  readOnly: boolean
}

/** Where a value came from. */
export const ORDER_SOURCES = ['manifest', 'worklist', 'reviewer'] as const
export type OrderSource = (typeof ORDER_SOURCES)[number]

/** One audited change of one field (old -> new). */
export interface OrderChange {
  field: OrderField
  old: string | null
  new: string | null
  source: OrderSource
  who: string
  at: string
  /** The file (manifest / worklist) or the reason a person gave. */
  why: string
}

/** What a person changes: each field given is set (null clears it); fields not given stay. */
export type OrderUpdate = Partial<Record<OrderField, string | number | null>>

/** Result of importing a worklist (or the order manifests of an import). */
export interface OrderImportReport {
  /** Rows read with a sample id. */
  rows: number
  /** Sample ids whose slide took at least one value. */
  updated: string[]
  /** Sample ids with no slide here (yet): nothing written. */
  unmatched: string[]
  /** Slides left alone because they are signed (read-only). */
  signed: string[]
  /** Fields a person had set that the file would have overwritten: kept, listed here. */
  keptReviewerValues: { sampleId: string; field: OrderField; kept: string | null; file: string | null }[]
  /** Rows or values that could not be read (line, what). */
  problems: { line: number; message: string }[]
}
