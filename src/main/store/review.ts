// Rows of slide review (migration 3): the sign-off log, comments, review
// settings, review actions with the label changes they made, and the read
// side of model predictions the gallery needs. Appends and plain reads only;
// the rules (what may be signed, undone ...) live in src/main/review.
import type { Db } from './db'
import { nowIso } from './db'
import { listPredictions, type PredictionRow } from './models'
import { stmt } from './statements'

// ---------------------------------------------------------------------------
// Sign-offs

export type SignOffStatus = 'signed' | 'reopened'

export interface SignOffRow {
  id: number
  slideId: number
  status: SignOffStatus
  who: string
  userId: number | null
  at: string
  meaning: string
  reason: string
  counts: Record<string, number>
  verification: 1 | 2
  contentSha256: string
}

export interface NewSignOff {
  slideId: number
  status: SignOffStatus
  who: string
  userId?: number | null
  /** 1: the signature; 2: the second, different verifier's. */
  verification?: 1 | 2
  /** sha256 of what was signed. */
  contentSha256?: string
  at?: string
  meaning?: string
  reason?: string
  counts?: Record<string, number>
}

const SIGN_COLS = 'id, slide_id AS slideId, status, who, user_id AS userId, at, meaning, reason, counts_json AS countsJson, verification, content_sha256 AS contentSha256'
type SignOffDbRow = Omit<SignOffRow, 'counts'> & { countsJson: string }
const toSignOff = ({ countsJson, ...r }: SignOffDbRow): SignOffRow => ({ ...r, counts: JSON.parse(countsJson) as Record<string, number> })

export function appendSignOff(db: Db, s: NewSignOff): number {
  return Number(
    stmt(db, 'INSERT INTO sign_offs (slide_id, status, who, at, meaning, reason, counts_json, user_id, verification, content_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      s.slideId,
      s.status,
      s.who,
      s.at ?? nowIso(),
      s.meaning ?? '',
      s.reason ?? '',
      JSON.stringify(s.counts ?? {}),
      s.userId ?? null,
      s.verification ?? 1,
      s.contentSha256 ?? ''
    ).lastInsertRowid
  )
}

/** Every sign-off and reopening of the slide, oldest first. */
export function signOffLog(db: Db, slideId: number): SignOffRow[] {
  return stmt<[number], SignOffDbRow>(db, `SELECT ${SIGN_COLS} FROM sign_offs WHERE slide_id = ? ORDER BY id`).all(slideId).map(toSignOff)
}

/** The slide's latest sign-off event; the slide is signed when its status is 'signed'. */
export function latestSignOff(db: Db, slideId: number): SignOffRow | undefined {
  const r = stmt<[number], SignOffDbRow>(db, `SELECT ${SIGN_COLS} FROM sign_offs WHERE slide_id = ? ORDER BY id DESC LIMIT 1`).get(slideId)
  return r && toSignOff(r)
}

// ---------------------------------------------------------------------------
// Comments

export interface CommentRow {
  id: number
  slideId: number
  /** Set when the comment is about one cell. */
  imageId: number | null
  who: string
  userId: number | null
  at: string
  text: string
}

export function appendComment(db: Db, c: { slideId: number; imageId?: number | null; who: string; userId?: number | null; text: string; at?: string }): number {
  return Number(
    stmt(db, 'INSERT INTO review_comments (slide_id, image_id, who, at, text, user_id) VALUES (?, ?, ?, ?, ?, ?)').run(
      c.slideId,
      c.imageId ?? null,
      c.who,
      c.at ?? nowIso(),
      c.text,
      c.userId ?? null
    ).lastInsertRowid
  )
}

/** The slide's comments (its own and its cells'), oldest first. */
export function listComments(db: Db, slideId: number): CommentRow[] {
  return stmt<[number], CommentRow>(
    db,
    'SELECT id, slide_id AS slideId, image_id AS imageId, who, user_id AS userId, at, text FROM review_comments WHERE slide_id = ? ORDER BY id'
  ).all(slideId)
}

// ---------------------------------------------------------------------------
// Review settings

export interface StoredReviewSettings {
  unidentifiedThreshold: number | null
  targetCount: number | null
  /** The lab's choice (global scope): a slide of 200 or more cells counts to 200 unless it says otherwise. */
  target200From200Cells: boolean | null
  secondVerification: boolean | null
  /** The lab's choice (global scope): the analyser's WBC count is already corrected for NRBC. */
  wbcCorrectedByAnalyser: boolean | null
}

const flag = (v: boolean | null | undefined): number | null => (v === undefined || v === null ? null : v ? 1 : 0)

export function appendReviewSettings(
  db: Db,
  s: {
    slideId: number | null
    unidentifiedThreshold?: number | null
    targetCount?: number | null
    target200From200Cells?: boolean | null
    secondVerification?: boolean | null
    wbcCorrectedByAnalyser?: boolean | null
    who?: string
    userId?: number | null
    at?: string
  }
): number {
  return Number(
    stmt(
      db,
      'INSERT INTO review_settings (slide_id, unidentified_threshold, target_count, target_200_from_200_cells, who, at, second_verification, user_id, wbc_corrected_by_analyser) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'
    ).run(
      s.slideId,
      s.unidentifiedThreshold ?? null,
      s.targetCount ?? null,
      flag(s.target200From200Cells),
      s.who ?? '',
      s.at ?? nowIso(),
      flag(s.secondVerification),
      s.userId ?? null,
      flag(s.wbcCorrectedByAnalyser)
    ).lastInsertRowid
  )
}

/**
 * The latest value of each setting set in one scope (a slide, or null for
 * global); null where never set. With `asOf`, the latest set at or before
 * that time (what was in force when a slide was signed).
 */
export function storedReviewSettings(db: Db, slideId: number | null, asOf?: string): StoredReviewSettings {
  const where = (slideId === null ? 'slide_id IS NULL' : 'slide_id = ?') + (asOf === undefined ? '' : ' AND at <= ?')
  const args: unknown[] = [...(slideId === null ? [] : [slideId]), ...(asOf === undefined ? [] : [asOf])]
  const latest = (column: string) =>
    stmt<unknown[], { v: number }>(db, `SELECT ${column} AS v FROM review_settings WHERE ${where} AND ${column} IS NOT NULL ORDER BY id DESC LIMIT 1`).get(...args)?.v ?? null
  const bool = (v: number | null) => (v === null ? null : v === 1)
  return {
    unidentifiedThreshold: latest('unidentified_threshold'),
    targetCount: latest('target_count'),
    target200From200Cells: bool(latest('target_200_from_200_cells')),
    secondVerification: bool(latest('second_verification')),
    wbcCorrectedByAnalyser: bool(latest('wbc_corrected_by_analyser'))
  }
}

/** How many cells a slide holds. */
export function slideCellCount(db: Db, slideId: number): number {
  return stmt<[number], { n: number }>(db, 'SELECT count(*) AS n FROM images WHERE slide_id = ?').get(slideId)!.n
}

// ---------------------------------------------------------------------------
// Review actions and the label changes they made

export type ReviewActionKind = 'reclassify' | 'undo' | 'accept'

export interface ReviewActionRow {
  id: number
  slideId: number
  kind: ReviewActionKind
  who: string
  at: string
  why: string
  undoesActionId: number | null
}

export interface ReviewChangeRow {
  id: number
  actionId: number
  imageId: number
  labelId: number
  oldClass: string
  newClass: string
}

export function appendReviewAction(
  db: Db,
  a: { slideId: number; kind: ReviewActionKind; who: string; userId?: number | null; why?: string; at?: string; undoesActionId?: number | null }
): number {
  return Number(
    stmt(db, 'INSERT INTO review_actions (slide_id, kind, who, at, why, undoes_action_id, user_id) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      a.slideId,
      a.kind,
      a.who,
      a.at ?? nowIso(),
      a.why ?? '',
      a.undoesActionId ?? null,
      a.userId ?? null
    ).lastInsertRowid
  )
}

export function appendReviewChange(db: Db, c: Omit<ReviewChangeRow, 'id'>): number {
  return Number(
    stmt(db, 'INSERT INTO review_changes (action_id, image_id, label_id, old_class, new_class) VALUES (?, ?, ?, ?, ?)').run(
      c.actionId,
      c.imageId,
      c.labelId,
      c.oldClass,
      c.newClass
    ).lastInsertRowid
  )
}

const ACTION_COLS = 'id, slide_id AS slideId, kind, who, at, why, undoes_action_id AS undoesActionId'

/** The slide's latest reclassification that no undo has taken back yet. */
export function lastUndoableReclassification(db: Db, slideId: number): ReviewActionRow | undefined {
  return stmt<[number], ReviewActionRow>(
    db,
    `SELECT ${ACTION_COLS} FROM review_actions a
     WHERE a.slide_id = ? AND a.kind = 'reclassify'
       AND NOT EXISTS (SELECT 1 FROM review_actions u WHERE u.undoes_action_id = a.id)
     ORDER BY a.id DESC LIMIT 1`
  ).get(slideId)
}

export function reviewChangesOfAction(db: Db, actionId: number): ReviewChangeRow[] {
  return stmt<[number], ReviewChangeRow>(
    db,
    `SELECT id, action_id AS actionId, image_id AS imageId, label_id AS labelId, old_class AS oldClass, new_class AS newClass
     FROM review_changes WHERE action_id = ? ORDER BY id`
  ).all(actionId)
}

/** One label of an image's history joined with the review change that appended it, if any. */
export interface LabelChangeRow {
  labelId: number
  imageId: number
  class: string
  source: string
  who: string
  at: string
  why: string
  /** Set when a review action appended the label. */
  actionId: number | null
  actionKind: ReviewActionKind | null
  oldClass: string | null
}

const CHANGE_SELECT = `
  SELECT l.id AS labelId, l.image_id AS imageId, l.class, l.source, l.who, l.at, l.why,
         a.id AS actionId, a.kind AS actionKind, c.old_class AS oldClass
  FROM labels l
  LEFT JOIN review_changes c ON c.label_id = l.id
  LEFT JOIN review_actions a ON a.id = c.action_id`

/** Every label of one image, oldest first, with the review action behind each. */
export function labelChangesOfImage(db: Db, imageId: number): LabelChangeRow[] {
  return stmt<[number], LabelChangeRow>(db, `${CHANGE_SELECT} WHERE l.image_id = ? ORDER BY l.id`).all(imageId)
}

/** Every label of every cell of a slide, oldest first, with the review action behind each. */
export function labelChangesOfSlide(db: Db, slideId: number): LabelChangeRow[] {
  return stmt<[number], LabelChangeRow>(
    db,
    `${CHANGE_SELECT} JOIN images i ON i.id = l.image_id WHERE i.slide_id = ? ORDER BY l.id`
  ).all(slideId)
}

// ---------------------------------------------------------------------------
// Cells of a slide with what review needs to know about each

export interface ReviewCellRow {
  imageId: number
  fileName: string
  width: number
  height: number
  /** The current label when a person (reviewer or expert) set it. */
  humanClass: string | null
  humanSource: 'reviewer' | 'expert' | null
  /** The first imported (folder / manifest) class, shown for reference only. */
  importedClass: string | null
}

export function reviewCellsOfSlide(db: Db, slideId: number): ReviewCellRow[] {
  // The same choice as the current_labels view (expert over reviewer, the
  // latest of each), asked per cell through the labels_image index rather
  // than through the view, whose window runs over every label in the store.
  return stmt<[number], ReviewCellRow>(
    db,
    `SELECT i.id AS imageId, i.file_name AS fileName, i.width, i.height, h.class AS humanClass, h.source AS humanSource,
            (SELECT l.class FROM labels l WHERE l.image_id = i.id AND l.source IN ('folder', 'manifest') ORDER BY l.id LIMIT 1) AS importedClass
     FROM images i
     LEFT JOIN labels h ON h.id = (
       SELECT l.id FROM labels l WHERE l.image_id = i.id AND l.source IN ('reviewer', 'expert')
       ORDER BY l.source = 'expert' DESC, l.id DESC LIMIT 1)
     WHERE i.slide_id = ? ORDER BY i.id`
  ).all(slideId)
}

// ---------------------------------------------------------------------------
// Predictions (migration 2's table, written by the ML engine)

/**
 * The latest prediction of each cell of the slide: when several models
 * classified a cell, the most recent classification is the one reviewed.
 */
export function latestPredictionsOfSlide(db: Db, slideId: number): Map<number, PredictionRow> {
  const out = new Map<number, PredictionRow>()
  for (const p of listPredictions(db, { slideId })) {
    const seen = out.get(p.imageId)
    if (!seen || p.createdAt > seen.createdAt || (p.createdAt === seen.createdAt && p.id > seen.id)) out.set(p.imageId, p)
  }
  return out
}
