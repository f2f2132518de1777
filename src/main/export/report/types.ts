// The one input every export of a slide's differential count is built from:
// a plain, already-computed object (no database rows, no model objects), so
// CSV, HL7, FHIR and PDF always agree with each other and with the screen.

import type { CellLabel } from '../../../shared/cells'
import type { Sex } from '../../../shared/order'
import type { LabResults } from '../../../shared/ranges'

export interface DifferentialReportLine {
  /** One of the five WBC classes, or another label counted on the slide (ig, erythroblast, smudge ...). */
  label: CellLabel
  count: number
  /** Share of the total counted, in percent (0-100). */
  percent: number
  /** 95% exact binomial (Clopper-Pearson) interval of the share, in percent. */
  ciLow: number
  ciHigh: number
}

export interface ReviewerSignOff {
  /** The signer's full name (their display name). */
  reviewer: string
  /** The signer's login name on this workstation (identifies the person beside the name). */
  reviewerId?: string
  /** ISO 8601 date-time with offset, e.g. 2026-03-02T10:15:00+01:00. */
  signedAt: string
  /** What the signature means, e.g. "Reviewed and approved". */
  meaning: string
}

export interface DifferentialReport {
  lab: {
    /** Sending laboratory (HL7 MSH-4, PDF header). */
    name: string
    /** Optional identifier of the lab (e.g. CLIA or local id). */
    id?: string
  }
  sample: {
    /** The lab's sample / accession id: the filler order number. */
    sampleId: string
    /** The requester's order id (placer order number), when known. */
    orderId?: string
    /** ISO 8601 date-time the specimen was collected. */
    collectedAt?: string
    /** Ordering ward / clinic (HL7 PV1-3). */
    location?: string
  }
  patient?: {
    id?: string
    familyName?: string
    givenName?: string
    /** ISO date (YYYY-MM-DD). */
    birthDate?: string
    /** HL7 table 0001: F, M, O, U. */
    sex?: Sex
  }
  /** The five WBC classes first (model order), then any other labels. */
  lines: DifferentialReportLine[]
  /** Cells counted: the denominator of every percentage. */
  totalCounted: number
  /**
   * The same lines as lab results: reference intervals and flags of the
   * percentages, absolute counts (when the WBC count is known), the
   * NRBC-corrected WBC count and the non-leukocyte objects per 100 WBC.
   * Absent: nothing but the percentages is reported.
   */
  results?: LabResults
  model: { name: string; version?: string }
  /** null: nobody has signed the slide, and every export says PRELIMINARY. */
  signOff: ReviewerSignOff | null
  /** The second, different verifier's signature, when the slide asks for one and it was given. */
  secondVerification?: ReviewerSignOff | null
  /** Signed, but the slide asks for a second verification not given yet: the report stays PRELIMINARY. */
  awaitingSecondVerification?: boolean
  comments: string[]
  /** ISO 8601 date-time the export was produced (passed in so exports are reproducible). */
  reportedAt: string
  /** The lab's IANA time zone: times a person reads (PDF, notes) are printed in it. Default: the workstation's. */
  timeZone?: string
}

export type ReportStatus = 'final' | 'preliminary'

export function reportStatus(report: DifferentialReport): ReportStatus {
  return report.signOff && !report.awaitingSecondVerification ? 'final' : 'preliminary'
}
