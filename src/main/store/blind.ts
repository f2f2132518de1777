// Blind expert sessions: the session, its pre-rendered cells under opaque
// tokens (with the hidden truth: origin, source image, class), and the
// append-only answers. Functions that serve the renderer read only what it may
// see (token, position, pixels); the truth is read by the closed-session report.
import type { Db } from './db'
import { nowIso } from './db'
import { stmt } from './statements'

export type BlindOrigin = 'real' | 'synthetic'
export type BlindStatus = 'open' | 'closed'

export interface BlindSessionRow {
  id: number
  name: string
  recipeJson: string
  seed: number
  askOrigin: boolean
  classes: string[]
  displaySize: number
  status: BlindStatus
  createdBy: string
  /** The signed-in person who made the session (null for the command line's local operator and sessions made before people existed). */
  createdByUser: number | null
  createdAt: string
  closedAt: string | null
  /** The session's secret (hex; null for sessions made before secrets): shown only in closed results. */
  secret: string | null
  /** False while the session's cells are still being rendered. */
  ready: boolean
}

interface RawSession extends Omit<BlindSessionRow, 'askOrigin' | 'classes' | 'ready'> {
  askOrigin: number
  classesJson: string
  ready: number
}

const SESSION_COLS = `id, name, recipe_json AS recipeJson, seed, ask_origin AS askOrigin, classes_json AS classesJson,
  display_size AS displaySize, status, created_by AS createdBy, created_by_user AS createdByUser, created_at AS createdAt, closed_at AS closedAt, secret, ready`

function session(r: RawSession | undefined): BlindSessionRow | undefined {
  if (!r) return undefined
  const { classesJson, askOrigin, ready, ...rest } = r
  return { ...rest, askOrigin: askOrigin === 1, ready: ready === 1, classes: JSON.parse(classesJson) as string[] }
}

export interface NewBlindCell {
  token: string
  origin: BlindOrigin
  imageId: number | null
  syntheticImageId: number | null
  class: string
  png: Uint8Array
}

export interface NewBlindSession {
  name: string
  recipeJson: string
  askOrigin: boolean
  classes: readonly string[]
  displaySize: number
  createdBy?: string
  createdByUser?: number | null
  secret: string
}

/** Creates a session not yet ready (its cells follow in batches, addBlindCells; then markBlindSessionReady). */
export function insertBlindSessionHeader(db: Db, s: NewBlindSession): number {
  return Number(
    stmt(
      db,
      `INSERT INTO blind_sessions (name, recipe_json, seed, ask_origin, classes_json, display_size, status, created_by, created_by_user, created_at, secret, ready)
       VALUES (?, ?, 0, ?, ?, ?, 'open', ?, ?, ?, ?, 0)`
    ).run(s.name, s.recipeJson, s.askOrigin ? 1 : 0, JSON.stringify(s.classes), s.displaySize, s.createdBy ?? '', s.createdByUser ?? null, nowIso(), s.secret).lastInsertRowid
  )
}

/** Stores a batch of a session's cells at positions from, from+1, ... (one transaction). */
export function addBlindCells(db: Db, sessionId: number, from: number, cells: readonly NewBlindCell[]): void {
  const ins = stmt(db, 'INSERT INTO blind_cells (session_id, token, position, origin, image_id, synthetic_image_id, class, png) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
  db.transaction(() => {
    cells.forEach((c, i) => ins.run(sessionId, c.token, from + i, c.origin, c.imageId, c.syntheticImageId, c.class, Buffer.from(c.png)))
  }).immediate()
}

export function markBlindSessionReady(db: Db, sessionId: number): void {
  stmt(db, 'UPDATE blind_sessions SET ready = 1 WHERE id = ?').run(sessionId)
}

/** Removes a session whose preparation failed or was cancelled (never a ready one: those may hold answers). */
export function dropUnreadyBlindSession(db: Db, sessionId: number): void {
  db.transaction(() => {
    if (stmt<[number], { ready: number }>(db, 'SELECT ready FROM blind_sessions WHERE id = ?').get(sessionId)?.ready !== 0) return
    stmt(db, 'DELETE FROM blind_cells WHERE session_id = ?').run(sessionId)
    stmt(db, 'DELETE FROM blind_sessions WHERE id = ?').run(sessionId)
  }).immediate()
}

export function getBlindSession(db: Db, id: number): BlindSessionRow | undefined {
  return session(stmt<[number], RawSession>(db, `SELECT ${SESSION_COLS} FROM blind_sessions WHERE id = ?`).get(id))
}

/** Ready sessions (those still being rendered are nobody's business yet). */
export function listBlindSessions(db: Db): BlindSessionRow[] {
  return stmt<[], RawSession>(db, `SELECT ${SESSION_COLS} FROM blind_sessions WHERE ready = 1 ORDER BY id`)
    .all()
    .map((r) => session(r)!)
}

export function closeBlindSession(db: Db, id: number): boolean {
  return stmt(db, `UPDATE blind_sessions SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open'`).run(nowIso(), id).changes === 1
}

/** What the renderer may know of a cell: its token and place in the order. */
export interface BlindCellHandle {
  token: string
  position: number
}

export function blindCellCount(db: Db, sessionId: number): number {
  return stmt<[number], { n: number }>(db, 'SELECT count(*) AS n FROM blind_cells WHERE session_id = ?').get(sessionId)!.n
}

/**
 * Who answers a session: a signed-in user (userId), or on the command line a
 * name (userId null). Each reader's answers are their own: counts, the next
 * cell and the echo of an earlier answer never mix readers.
 */
export interface BlindReader {
  userId: number | null
  name: string
}

/** SQL: answer row `a` is this reader's (user id, else the name given). */
const OF_READER = '(a.user_id IS ? AND (a.user_id IS NOT NULL OR a.who = ?))'

/** Cells answered: by this reader, or (no reader: the organiser's overview) by anyone. */
export function answeredCount(db: Db, sessionId: number, reader?: BlindReader): number {
  if (!reader) {
    return stmt<[number], { n: number }>(
      db,
      'SELECT count(*) AS n FROM blind_cells c WHERE c.session_id = ? AND EXISTS (SELECT 1 FROM blind_answers a WHERE a.cell_id = c.id)'
    ).get(sessionId)!.n
  }
  return stmt<[number, number | null, string], { n: number }>(
    db,
    `SELECT count(*) AS n FROM blind_cells c WHERE c.session_id = ? AND EXISTS (SELECT 1 FROM blind_answers a WHERE a.cell_id = c.id AND ${OF_READER})`
  ).get(sessionId, reader.userId, reader.name)!.n
}

/** The first cell in presentation order this reader has not answered, if any. */
export function nextUnanswered(db: Db, sessionId: number, reader: BlindReader): BlindCellHandle | undefined {
  return stmt<[number, number | null, string], BlindCellHandle>(
    db,
    `SELECT token, position FROM blind_cells c
     WHERE c.session_id = ? AND NOT EXISTS (SELECT 1 FROM blind_answers a WHERE a.cell_id = c.id AND ${OF_READER})
     ORDER BY position LIMIT 1`
  ).get(sessionId, reader.userId, reader.name)
}

export function cellAtPosition(db: Db, sessionId: number, position: number): BlindCellHandle | undefined {
  return stmt<[number, number], BlindCellHandle>(db, 'SELECT token, position FROM blind_cells WHERE session_id = ? AND position = ?').get(sessionId, position)
}

/** The pre-rendered image of a session's cell (undefined when the token is not of this session). */
export function blindCellPng(db: Db, sessionId: number, token: string): Buffer | undefined {
  return stmt<[number, string], { png: Buffer }>(db, 'SELECT png FROM blind_cells WHERE session_id = ? AND token = ?').get(sessionId, token)?.png
}

function cellIdOf(db: Db, sessionId: number, token: string): number | undefined {
  return stmt<[number, string], { id: number }>(db, 'SELECT id FROM blind_cells WHERE session_id = ? AND token = ?').get(sessionId, token)?.id
}

export interface NewBlindAnswer {
  class: string
  origin: BlindOrigin | null
  who?: string
  /** The reader's user id (null: a name given on the command line). */
  userId?: number | null
}

/** Appends an answer; undefined when the token is not a cell of the session. Refused (throws) once the session is closed. */
export function appendBlindAnswer(db: Db, sessionId: number, token: string, a: NewBlindAnswer): number | undefined {
  const cellId = cellIdOf(db, sessionId, token)
  if (cellId === undefined) return undefined
  return Number(
    stmt(db, 'INSERT INTO blind_answers (cell_id, class, origin, who, at, user_id) VALUES (?, ?, ?, ?, ?, ?)').run(cellId, a.class, a.origin, a.who ?? '', nowIso(), a.userId ?? null)
      .lastInsertRowid
  )
}

/** This reader's latest answer to a cell (safe to show them while the session is open: it is their own). */
export function latestAnswerClass(db: Db, sessionId: number, token: string, reader: BlindReader): { class: string; origin: BlindOrigin | null } | undefined {
  return stmt<[number, string, number | null, string], { class: string; origin: BlindOrigin | null }>(
    db,
    `SELECT a.class, a.origin FROM blind_answers a JOIN blind_cells c ON c.id = a.cell_id
     WHERE c.session_id = ? AND c.token = ? AND ${OF_READER} ORDER BY a.id DESC LIMIT 1`
  ).get(sessionId, token, reader.userId, reader.name)
}

/** Every cell with its truth and latest answer: for the closed-session report only. */
export interface BlindCellOutcome {
  position: number
  token: string
  origin: BlindOrigin
  imageId: number | null
  syntheticImageId: number | null
  trueClass: string
  answeredClass: string | null
  answeredOrigin: BlindOrigin | null
  who: string | null
  /** The reader's user id when signed in (null: a name given on the command line, or no answer). */
  readerId?: number | null
  answeredAt: string | null
  answers: number
}

/** Per cell, each reader's latest answer (one row per cell and reader; one row without an answer for a cell nobody answered). */
export function blindOutcomes(db: Db, sessionId: number): BlindCellOutcome[] {
  return stmt<[{ session: number }], BlindCellOutcome>(
    db,
    `WITH latest AS (
       SELECT max(id) AS id, count(*) AS answers FROM blind_answers
       WHERE cell_id IN (SELECT id FROM blind_cells WHERE session_id = @session)
       GROUP BY cell_id, coalesce('user:' || user_id, 'name:' || who)
     )
     SELECT c.position, c.token, c.origin, c.image_id AS imageId, c.synthetic_image_id AS syntheticImageId, c.class AS trueClass,
            a.class AS answeredClass, a.origin AS answeredOrigin, a.who, a.user_id AS readerId, a.at AS answeredAt,
            coalesce(l.answers, 0) AS answers
     FROM blind_cells c
     LEFT JOIN blind_answers a ON a.cell_id = c.id AND a.id IN (SELECT id FROM latest)
     LEFT JOIN latest l ON l.id = a.id
     WHERE c.session_id = @session
     ORDER BY c.position, a.id`
  ).all({ session: sessionId })
}

// ---------------------------------------------------------------------------
// Invitations: which readers may take a session. Append-only (an invitation
// is a record of who let whom see the session), in the audit chain.

/** Invites a user to a session; false when already invited. */
export function inviteBlindReader(db: Db, sessionId: number, userId: number, by: BlindReader): boolean {
  return (
    stmt(db, `INSERT OR IGNORE INTO blind_invitations (session_id, user_id, by_user, by_name, at) VALUES (?, ?, ?, ?, ?)`).run(sessionId, userId, by.userId, by.name, nowIso())
      .changes === 1
  )
}

export function isInvitedToBlindSession(db: Db, sessionId: number, userId: number): boolean {
  return stmt<[number, number], { n: number }>(db, 'SELECT count(*) AS n FROM blind_invitations WHERE session_id = ? AND user_id = ?').get(sessionId, userId)!.n > 0
}

/** The sessions a user is invited to. */
export function invitedBlindSessionIds(db: Db, userId: number): Set<number> {
  return new Set(stmt<[number], { id: number }>(db, 'SELECT session_id AS id FROM blind_invitations WHERE user_id = ?').all(userId).map((r) => r.id))
}

/** Who is invited to a session (user id and login name), in invitation order. */
export function blindSessionReaders(db: Db, sessionId: number): { userId: number; name: string }[] {
  return stmt<[number], { userId: number; name: string }>(
    db,
    'SELECT i.user_id AS userId, u.name FROM blind_invitations i JOIN users u ON u.id = i.user_id WHERE i.session_id = ? ORDER BY i.id'
  ).all(sessionId)
}

/** Ids of images whose current label is `cls` (optionally only those in a dataset), in id order. */
export function imageIdsWithLabel(db: Db, cls: string, datasetId?: number): number[] {
  const rows =
    datasetId === undefined
      ? stmt<[string], { id: number }>(db, 'SELECT image_id AS id FROM current_labels WHERE class = ? ORDER BY image_id').all(cls)
      : stmt<[string, number], { id: number }>(
          db,
          'SELECT l.image_id AS id FROM current_labels l JOIN dataset_images d ON d.image_id = l.image_id WHERE l.class = ? AND d.dataset_id = ? ORDER BY l.image_id'
        ).all(cls, datasetId)
  return rows.map((r) => r.id)
}
