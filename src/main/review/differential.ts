// The live differential of a slide: cells per class of the gallery, the
// percentage of the cells counted and its exact binomial 95% interval
// (Clopper-Pearson, as in Rümke's table), whether the target count is
// reached. Unidentified cells and non-leukocyte objects are listed but are not
// part of the count.
import { UNIDENTIFIED, type SlideDifferential } from '../../shared/review'
import type { LabResults } from '../../shared/ranges'
import type { Db } from '../store/db'
import { nowIso } from '../store/db'
import { slideOrder } from '../order/order'
import { latestSignOff } from '../store/review'
import { labResults } from '../results/lab-results'
import { referenceTable } from '../results/tables'
import { differentialCount } from '../stats/binomial'
import { classifySlideCells } from './gallery'
import { compareGroups, isCounted } from './labels'
import { reviewSettings, wbcCorrectedByAnalyser } from './settings'
import { isSigned, requireSlide } from './state'
import { classesOfModel, slideModel } from './slide-model'

/** Cells per gallery group. */
export function groupCounts(db: Db, slideId: number): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const c of classifySlideCells(db, slideId)) counts[c.group] = (counts[c.group] ?? 0) + 1
  return counts
}

export function differentialFromCounts(
  slideId: number,
  counts: Readonly<Record<string, number>>,
  targetCount: SlideDifferential['targetCount'],
  signed: boolean,
  /** Counted classes shown even at zero, in order: those of the slide's model (the five; the eight-class model adds IG). */
  rows: readonly string[] = classesOfModel(undefined)
): SlideDifferential {
  const counted: Record<string, number> = {}
  const notCounted: SlideDifferential['notCounted'] = []
  for (const label of Object.keys(counts).sort(compareGroups)) {
    if (isCounted(label)) counted[label] = counts[label]!
    else notCounted.push({ label, count: counts[label]! })
  }
  const d = differentialCount(counted, { order: rows.filter(isCounted) })
  return {
    slideId,
    counted: d.lines.map((l) => ({ label: l.label, count: l.count, percent: l.percent, ciLow: l.ciLow, ciHigh: l.ciHigh })),
    totalCounted: d.total,
    notCounted,
    unidentified: counts[UNIDENTIFIED] ?? 0,
    targetCount,
    targetReached: d.total >= targetCount,
    signed
  }
}

export function slideDifferential(db: Db, slideId: number): SlideDifferential {
  requireSlide(db, slideId)
  const rows = classesOfModel(slideModel(db, slideId))
  const diff = differentialFromCounts(slideId, groupCounts(db, slideId), reviewSettings(db, slideId).targetCount, isSigned(db, slideId), rows)
  // A signed slide is judged against the reference table in force when it was signed, as its report is.
  const signedAt = diff.signed ? latestSignOff(db, slideId)?.at : undefined
  return { ...diff, results: slideResults(db, slideId, diff, signedAt ?? nowIso()) }
}

/**
 * The differential as lab results for the slide's patient, with the
 * reference table in force at `tableAt` (a signed slide: its sign-off time).
 */
export function slideResults(db: Db, slideId: number, diff: Pick<SlideDifferential, 'counted' | 'notCounted' | 'totalCounted'>, tableAt: string): LabResults {
  const order = slideOrder(db, slideId)
  return labResults({
    counted: diff.counted,
    notCounted: diff.notCounted,
    totalCounted: diff.totalCounted,
    patient: { sex: order.sex, birthDate: order.birthDate },
    wbcCount: order.wbcCount,
    // The lab's choice in force at the same time as the table: a signed slide's report stays what was signed.
    wbcCorrectedByAnalyser: wbcCorrectedByAnalyser(db, tableAt),
    at: order.collectedAt ?? tableAt,
    table: referenceTable(db, tableAt)
  })
}
