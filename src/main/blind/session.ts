// Blind expert sessions: created from a recipe (so many real and generated
// cells per class), every cell pre-rendered at creation the same way
// (./render, varied by the session's secret) and stored under a random
// per-session token, shown in an order drawn from the secret (./secret). Until the session is closed, the functions here that serve
// the renderer return only views without any origin information; the truth is
// read only by ./results once the session is closed.
import { randomBytes } from 'node:crypto'
import { CoreError, throwIfCancelled } from '../errors'
import {
  answeredCount,
  getUserByName,
  appendBlindAnswer,
  blindCellCount,
  blindCellPng,
  cellAtPosition,
  closeBlindSession,
  getBlindSession,
  getGenerator,
  getOriginalBytes,
  imageIdsWithLabel,
  insertBlindSessionHeader,
  addBlindCells,
  markBlindSessionReady,
  dropUnreadyBlindSession,
  latestAnswerClass,
  listBlindSessions,
  listSyntheticImages,
  nextUnanswered,
  syntheticPng,
  type BlindCellHandle,
  type BlindReader,
  blindSessionReaders,
  inviteBlindReader,
  type BlindSessionRow,
  type Db,
  type NewBlindCell
} from '../store/index'
import { seededShuffle } from '../stats/index'
import type { ProgressListener } from '../../shared/progress'
import { keyedRandom, newSessionSecret } from './secret'
import { WBC_CLASSES } from '../../shared/cells'
import type { BlindCellView, BlindInvitations, BlindOriginAnswer, BlindSessionView } from '../../shared/synthetic'
import { renderGeneratedCell, renderRealCell, type RenderSpec } from './render'

export interface BlindRecipe {
  name: string
  /** Classes to draw from and offer as answers (default: the five WBC classes). */
  classes?: string[]
  realPerClass: number
  generatedPerClass: number
  /** Real cells: labelled images of the store (current label), optionally of one dataset. */
  datasetId?: number
  /** Generated cells: of these generators (default: any generator of the class). */
  generatorIds?: number[]
  /** Also ask real or generated for each cell. */
  askOrigin: boolean
  /** Side of the PNG every cell is shown at (default 256). */
  displaySize?: number
  createdBy?: string
  createdByUser?: number | null
}

export class BlindSessionError extends CoreError {
  constructor(code: 'not_found' | 'conflict' | 'invalid_input', message: string) {
    super(code, message)
    this.name = 'BlindSessionError'
  }
}

/** Cells rendered (and held in memory) at a time before they are written. */
export const RENDER_BATCH = 32

export interface CreateOptions {
  batchSize?: number
  onProgress?: ProgressListener
  signal?: AbortSignal
  /** The session secret (default: 256 fresh random bits); tests pass one to check reproducibility. */
  secret?: string
}

/** A random, opaque cell id: 128 bits, URL-safe, unrelated to any image id or position. */
function newToken(): string {
  return randomBytes(16).toString('base64url')
}

/** Refuses a recipe the store cannot fill (same checks createBlindSession makes), without drawing anything. */
export function checkRecipe(db: Db, recipe: BlindRecipe): void {
  const classes = recipe.classes?.length ? [...recipe.classes] : [...WBC_CLASSES]
  if (new Set(classes).size !== classes.length) throw new BlindSessionError('invalid_input', 'classes must be distinct')
  if (recipe.realPerClass < 0 || recipe.generatedPerClass < 0 || recipe.realPerClass + recipe.generatedPerClass === 0) {
    throw new BlindSessionError('invalid_input', 'a session needs some cells')
  }
  for (const cls of classes) {
    const real = recipe.realPerClass > 0 ? imageIdsWithLabel(db, cls, recipe.datasetId).length : 0
    if (real < recipe.realPerClass) throw new BlindSessionError('conflict', `only ${real} real ${cls} cells in the store, the recipe asks for ${recipe.realPerClass}`)
    const generated = recipe.generatedPerClass > 0 ? listSyntheticImages(db, { class: cls }).filter((x) => !recipe.generatorIds || recipe.generatorIds.includes(x.generatorId)).length : 0
    if (generated < recipe.generatedPerClass) throw new BlindSessionError('conflict', `only ${generated} generated ${cls} cells stored, the recipe asks for ${recipe.generatedPerClass} (wbc gan generate)`)
  }
}

/** Draws the cells, renders them in batches, and stores the session (ready once every cell is stored). */
export async function createBlindSession(db: Db, recipe: BlindRecipe, opts: CreateOptions = {}): Promise<BlindSessionView> {
  const secret = opts.secret ?? newSessionSecret()
  const stream = (purpose: string) => keyedRandom(secret, `blind:${purpose}`)
  const classes = recipe.classes?.length ? [...recipe.classes] : [...WBC_CLASSES]
  if (new Set(classes).size !== classes.length) throw new BlindSessionError('invalid_input', 'classes must be distinct')
  if (recipe.realPerClass < 0 || recipe.generatedPerClass < 0 || recipe.realPerClass + recipe.generatedPerClass === 0) {
    throw new BlindSessionError('invalid_input', 'a session needs some cells')
  }
  const displaySize = recipe.displaySize ?? 256
  type Pick = { origin: 'real'; imageId: number; class: string } | { origin: 'synthetic'; syntheticId: number; generatorId: number; class: string }
  const picks: Pick[] = []
  const sizes = new Set<number>()
  for (const cls of classes) {
    if (recipe.realPerClass > 0) {
      const rows = imageIdsWithLabel(db, cls, recipe.datasetId)
      if (rows.length < recipe.realPerClass) throw new BlindSessionError('conflict', `only ${rows.length} real ${cls} cells in the store, the recipe asks for ${recipe.realPerClass}`)
      for (const id of seededShuffle(rows, stream(`real:${cls}`)).slice(0, recipe.realPerClass)) picks.push({ origin: 'real', imageId: id, class: cls })
    }
    if (recipe.generatedPerClass > 0) {
      const pool = listSyntheticImages(db, { class: cls }).filter((s) => !recipe.generatorIds || recipe.generatorIds.includes(s.generatorId))
      if (pool.length < recipe.generatedPerClass) throw new BlindSessionError('conflict', `only ${pool.length} generated ${cls} cells stored, the recipe asks for ${recipe.generatedPerClass} (wbc gan generate)`)
      for (const s of seededShuffle(pool, stream(`generated:${cls}`)).slice(0, recipe.generatedPerClass)) {
        picks.push({ origin: 'synthetic', syntheticId: s.id, generatorId: s.generatorId, class: cls })
        sizes.add(s.width)
      }
    }
  }
  // Real cells are brought down to the generators' resolution, so sharpness is no tell.
  for (const p of picks) if (p.origin === 'synthetic') sizes.add((JSON.parse(getGenerator(db, p.generatorId)!.settingsJson) as { size: number }).size)
  const spec: RenderSpec = { sourceSize: sizes.size ? Math.min(...sizes) : displaySize, displaySize }
  const ordered = seededShuffle(picks, stream('order'))
  // Render now, in batches written as they are done: serving a cell later is
  // one read of equal-sized bytes whatever its origin, and memory holds one
  // batch of renders, never the whole session.
  const id = insertBlindSessionHeader(db, {
    name: recipe.name,
    recipeJson: JSON.stringify({ ...recipe, classes, displaySize, sourceSize: spec.sourceSize }),
    askOrigin: recipe.askOrigin,
    classes,
    displaySize,
    createdBy: recipe.createdBy,
    createdByUser: recipe.createdByUser ?? null,
    secret
  })
  const batchSize = Math.max(1, opts.batchSize ?? RENDER_BATCH)
  try {
    for (let from = 0; from < ordered.length; from += batchSize) {
      throwIfCancelled(opts.signal)
      const batch: NewBlindCell[] = []
      for (const p of ordered.slice(from, from + batchSize)) {
        const token = newToken()
        const cellSpec: RenderSpec = { ...spec, variation: { secret, cell: token } }
        const png = p.origin === 'real' ? await renderRealCell(getOriginalBytes(db, p.imageId)!, cellSpec) : await renderGeneratedCell(syntheticPng(db, p.syntheticId)!, cellSpec)
        batch.push({ token, origin: p.origin, imageId: p.origin === 'real' ? p.imageId : null, syntheticImageId: p.origin === 'synthetic' ? p.syntheticId : null, class: p.class, png })
      }
      addBlindCells(db, id, from, batch)
      opts.onProgress?.({ task: 'blind', done: Math.min(from + batchSize, ordered.length), total: ordered.length, unit: 'cells', message: `rendering ${recipe.name}` })
    }
    markBlindSessionReady(db, id)
  } catch (err) {
    dropUnreadyBlindSession(db, id)
    throw err
  }
  return sessionView(db, id)
}

function requireSession(db: Db, id: number): BlindSessionRow {
  const s = getBlindSession(db, id)
  // A session still being rendered does not exist yet for anyone.
  if (!s || !s.ready) throw new BlindSessionError('not_found', `blind session ${id} not found`)
  return s
}

/** A session as a UI sees it; `reader` set: their own progress (a reader's view), unset: cells anyone answered (the organiser's). */
export function sessionView(db: Db, id: number, reader?: BlindReader): BlindSessionView {
  const s = requireSession(db, id)
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    total: blindCellCount(db, s.id),
    answered: answeredCount(db, s.id, reader),
    askOrigin: s.askOrigin,
    classes: s.classes,
    displaySize: s.displaySize,
    createdAt: s.createdAt,
    closedAt: s.closedAt
  }
}

/** Sessions, all (`only` unset) or those whose ids are in `only` (a reader's invitations). */
export function listSessionViews(db: Db, opts: { only?: ReadonlySet<number>; reader?: BlindReader } = {}): BlindSessionView[] {
  return listBlindSessions(db)
    .filter((s) => !opts.only || opts.only.has(s.id))
    .map((s) => sessionView(db, s.id, opts.reader))
}

function cellView(db: Db, sessionId: number, h: BlindCellHandle, reader: BlindReader): BlindCellView {
  return {
    sessionId,
    cellId: h.token,
    position: h.position,
    total: blindCellCount(db, sessionId),
    answered: answeredCount(db, sessionId, reader),
    answeredClass: latestAnswerClass(db, sessionId, h.token, reader)?.class ?? null
  }
}

/** The reader's next unanswered cell in order (or the cell at `position`, to go back); null when they answered all. */
export function nextCell(db: Db, sessionId: number, reader: BlindReader, position?: number): BlindCellView | null {
  requireSession(db, sessionId)
  if (position !== undefined) {
    const h = cellAtPosition(db, sessionId, position)
    if (!h) throw new BlindSessionError('not_found', `no cell at position ${position}`)
    return cellView(db, sessionId, h, reader)
  }
  const h = nextUnanswered(db, sessionId, reader)
  return h ? cellView(db, sessionId, h, reader) : null
}

/** The pre-rendered PNG of a cell of this session. */
export function cellImage(db: Db, sessionId: number, cellId: string): Uint8Array {
  requireSession(db, sessionId)
  const png = blindCellPng(db, sessionId, cellId)
  if (!png) throw new BlindSessionError('not_found', 'no such cell in this session')
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength)
}

export interface BlindAnswerInput {
  sessionId: number
  cellId: string
  class: string
  origin?: BlindOriginAnswer | null
}

/** Records the reader's answer (a later one of theirs to the same cell supersedes it) and returns their next cell, if any. */
export function answerCell(db: Db, reader: BlindReader, a: BlindAnswerInput): { answered: number; total: number; next: BlindCellView | null } {
  const s = requireSession(db, a.sessionId)
  if (s.status !== 'open') throw new BlindSessionError('conflict', 'the session is closed')
  if (!s.classes.includes(a.class)) throw new BlindSessionError('invalid_input', `${a.class} is not one of the session's classes`)
  if (a.origin && !s.askOrigin) throw new BlindSessionError('invalid_input', 'this session does not ask real or generated')
  const origin = a.origin === 'generated' ? 'synthetic' : a.origin === 'real' ? 'real' : null
  const id = appendBlindAnswer(db, s.id, a.cellId, { class: a.class, origin, who: reader.name, userId: reader.userId })
  if (id === undefined) throw new BlindSessionError('not_found', 'no such cell in this session')
  return { answered: answeredCount(db, s.id, reader), total: blindCellCount(db, s.id), next: nextCell(db, s.id, reader) }
}

export function closeSession(db: Db, sessionId: number): BlindSessionView {
  const s = requireSession(db, sessionId)
  if (s.status === 'open') closeBlindSession(db, sessionId)
  return sessionView(db, sessionId)
}

/**
 * Invites a reader to a session (the organiser's call). The invitee must be
 * an enabled user holding the reader role: inviting anyone else would hand
 * them a session's cells outside the roles.
 */
export function inviteReader(db: Db, sessionId: number, by: BlindReader, readerName: string): BlindInvitations {
  requireSession(db, sessionId)
  const user = getUserByName(db, readerName)
  if (!user || user.disabledAt) throw new BlindSessionError('not_found', `no user named ${readerName}`)
  if (!user.roles.includes('reader')) throw new BlindSessionError('invalid_input', `${user.name} is not a reader: give them the reader role first`)
  inviteBlindReader(db, sessionId, user.id, by)
  return sessionReaders(db, sessionId)
}

export function sessionReaders(db: Db, sessionId: number): BlindInvitations {
  requireSession(db, sessionId)
  return { sessionId, readers: blindSessionReaders(db, sessionId) }
}
