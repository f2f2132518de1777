// Reclassifying cells and undoing it. Each reclassification is one review
// action that appends a reviewer label per cell (who, when, why) and records
// what the cell showed before, so the history reads old -> new. Undo never
// removes anything: it appends, for each cell of the last reclassification,
// a reviewer label carrying the class the cell showed before it (possibly
// "unidentified"), under an undo action that points at the one it takes back.
import type { ReclassifyResult } from '../../shared/review'
import { UNIDENTIFIED } from '../../shared/review'
import type { Db } from '../store/db'
import { nowIso } from '../store/db'
import { appendLabel } from '../store/labels'
import { appendReviewAction, appendReviewChange, lastUndoableReclassification, reviewChangesOfAction } from '../store/review'
import { ReviewError } from './errors'
import { classifySlideCells } from './gallery'
import { canonicalReviewLabel, groupOfLabel, UNIDENTIFIED_LABEL } from './labels'
import { assertEditable, assertRevision, markInReview, requireSlide } from './state'

export interface ReclassifyRequest {
  slideId: number
  cellIds: readonly number[]
  /** A class ('lymphocyte', an alias such as 'Lymph', another label such as 'ig'), or 'unidentified'. */
  label: string
  who: string
  /** The signed-in user (null: the command line's local operator). */
  userId?: number | null
  why?: string
  at?: string
  /** The slide revision the reviewer's view showed (SlideGallery.revision); refused as stale when the slide moved on. */
  revision?: number
}

function requireWho(who: string): string {
  const w = who.trim()
  if (!w) throw new ReviewError('invalid_input', 'say who is reviewing (a name)')
  return w
}

export function reclassifyCells(db: Db, req: ReclassifyRequest): ReclassifyResult {
  const label = canonicalReviewLabel(req.label)
  return reclassifyEach(db, { ...req, labelOf: () => label })
}

export interface AcceptRequest {
  slideId: number
  cellIds: readonly number[]
  who: string
  userId?: number | null
  at?: string
  revision?: number
}

/**
 * Lets the model's own call stand for each of these cells (its top class,
 * whatever the threshold made of it), as ONE review action, so a single undo
 * takes the whole acceptance back even when the cells had different calls.
 * Cells without a model call are left as they are and reported.
 */
export function acceptModelCalls(db: Db, req: AcceptRequest): ReclassifyResult & { uncalled: number[] } {
  const uncalled: number[] = []
  const result = reclassifyEach(db, {
    ...req,
    why: "accepted the model's call",
    labelOf: (cell) => {
      const call = cell.prediction?.label
      if (call === undefined) uncalled.push(cell.id)
      return call === undefined ? null : canonicalReviewLabel(call)
    }
  })
  return { ...result, uncalled }
}

type SlideCell = ReturnType<typeof classifySlideCells>[number]

/** One review action giving each cell the label `labelOf` chooses for it (null: leave the cell alone). */
function reclassifyEach(
  db: Db,
  req: { slideId: number; cellIds: readonly number[]; who: string; userId?: number | null; why?: string; at?: string; revision?: number; labelOf: (cell: SlideCell) => string | null }
): ReclassifyResult {
  const who = requireWho(req.who)
  const ids = [...new Set(req.cellIds)]
  if (ids.length === 0) throw new ReviewError('invalid_input', 'choose at least one cell')
  return db.transaction((): ReclassifyResult => {
    const slide = requireSlide(db, req.slideId)
    assertRevision(slide, req.revision)
    assertEditable(db, slide.id)
    const cells = new Map(classifySlideCells(db, slide.id).map((c) => [c.id, c]))
    const missing = ids.filter((id) => !cells.has(id))
    if (missing.length) throw new ReviewError('not_found', `cell(s) ${missing.slice(0, 10).join(', ')} not on slide ${slide.sampleId}`)
    // The store ranks an expert's label over any reviewer's: a reviewer label would change nothing.
    const expert = ids.filter((id) => cells.get(id)!.basis === 'expert')
    if (expert.length) throw new ReviewError('conflict', `cell(s) ${expert.slice(0, 10).join(', ')} carry an expert's label, which a reviewer label does not replace`)
    const at = req.at ?? nowIso()
    const changed: ReclassifyResult['changed'] = []
    const unchanged: number[] = []
    let actionId: number | null = null
    for (const id of ids) {
      const cell = cells.get(id)!
      const label = req.labelOf(cell)
      if (label === null) continue
      const newGroup = groupOfLabel(label)
      // A person already said exactly this: appending it again would add nothing.
      if ((cell.basis === 'reviewer' || cell.basis === 'expert') && cell.group === newGroup) {
        unchanged.push(id)
        continue
      }
      const userId = req.userId ?? null
      actionId ??= appendReviewAction(db, { slideId: slide.id, kind: 'reclassify', who, userId, why: req.why ?? '', at })
      const labelId = appendLabel(db, { imageId: id, class: label, source: 'reviewer', who, userId, why: req.why ?? '', at })
      appendReviewChange(db, { actionId, imageId: id, labelId, oldClass: cell.group, newClass: newGroup })
      changed.push({ cellId: id, old: cell.group, new: newGroup })
    }
    if (changed.length) markInReview(db, slide)
    return { actionId, changed, unchanged }
  }).immediate()
}

export interface UndoResult extends ReclassifyResult {
  /** The reclassification taken back. */
  undid: number
}

/** Takes back the slide's latest reclassification not undone yet; repeated, it walks further back. */
export function undoLastReclassification(db: Db, req: { slideId: number; who: string; userId?: number | null; at?: string; revision?: number }): UndoResult {
  const who = requireWho(req.who)
  return db.transaction((): UndoResult => {
    const slide = requireSlide(db, req.slideId)
    assertRevision(slide, req.revision)
    assertEditable(db, slide.id)
    const last = lastUndoableReclassification(db, slide.id)
    if (!last) throw new ReviewError('conflict', `slide ${slide.sampleId} has no reclassification to undo`)
    const at = req.at ?? nowIso()
    const cells = new Map(classifySlideCells(db, slide.id).map((c) => [c.id, c]))
    const actionId = appendReviewAction(db, { slideId: slide.id, kind: 'undo', who, userId: req.userId ?? null, why: `undo of reclassification ${last.id}`, at, undoesActionId: last.id })
    const changed: ReclassifyResult['changed'] = []
    for (const change of reviewChangesOfAction(db, last.id)) {
      const before = change.oldClass
      const stored = before === UNIDENTIFIED ? UNIDENTIFIED_LABEL : before
      const labelId = appendLabel(db, { imageId: change.imageId, class: stored, source: 'reviewer', who, userId: req.userId ?? null, why: `undo of reclassification ${last.id}`, at })
      const now = cells.get(change.imageId)?.group ?? change.newClass
      appendReviewChange(db, { actionId, imageId: change.imageId, labelId, oldClass: now, newClass: before })
      changed.push({ cellId: change.imageId, old: now, new: before })
    }
    return { actionId, changed, unchanged: [], undid: last.id }
  }).immediate()
}
