// Blind sessions with several readers, attacked as a reader would. The three
// ways a reader recovered the truth before (issue: copy the session with the
// same recipe and read its results; make an all-generated session and match
// image hashes; download stored cells, render them the public way and match
// bytes) are each refused or come to nothing; readers see only the sessions
// they are invited to and only their own answers; a reader cannot close a
// session or read results; results are per reader and pooled, with kappa.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openWorkstation, type Workstation } from '../../../src/main/api'
import type { JobSnapshot, Result } from '../../../src/shared/api'
import type { BlindCellView, BlindResults, BlindSessionView } from '../../../src/shared/synthetic'
import { importPath } from '../../../src/main/import'
import { getBlindSession, getOriginalBytes, listSyntheticImages, openStore, syntheticPng } from '../../../src/main/store'
import { initBackend } from '../../../src/main/ml/model/tfjs-backend'
import { trainGenerator } from '../../../src/main/synthetic/generators'
import { generateCells } from '../../../src/main/synthetic/generate'
import { renderGeneratedCell, renderRealCell } from '../../../src/main/blind/render'
import { realCells, datasetPath } from '../../helpers/datasets'
import { addTestUser } from '../../helpers/people'

const CLASSES = ['basophil', 'neutrophil']
let dir: string
let dbPath: string
let ws: Workstation
const users: Record<string, { userId: number }> = {}
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

function as<T = unknown>(who: string, method: string, payload?: unknown): Promise<Result<T>> {
  return ws.dispatch(method, payload, { userId: users[who].userId }) as Promise<Result<T>>
}
async function ok<T>(who: string, method: string, payload?: unknown): Promise<T> {
  const r = await as<T>(who, method, payload)
  if (!r.ok) throw new Error(`${who} ${method}: ${r.error.code} ${r.error.message}`)
  return r.value
}
async function create(who: string, recipe: unknown): Promise<BlindSessionView> {
  const { jobId } = await ok<{ jobId: string }>(who, 'blind.create', recipe)
  const end = await new Promise<JobSnapshot>((resolve) => {
    const off = ws.events.subscribe((e) => {
      if (e.name === 'job.finished' && e.payload.id === jobId) {
        off()
        resolve(e.payload)
      }
    })
  })
  if (end.state !== 'succeeded') throw new Error(`blind job ${end.state}: ${end.error?.message}`)
  return end.result as BlindSessionView
}
/** A reader works through a session; returns what they were served (cell id -> PNG). */
async function take(who: string, sessionId: number, answer: (i: number) => { class: string; origin: 'real' | 'generated' }): Promise<Map<string, Uint8Array>> {
  const served = new Map<string, Uint8Array>()
  let cell = await ok<BlindCellView | null>(who, 'blind.next', { sessionId })
  let i = 0
  while (cell) {
    const img = await ok<{ bytes: Uint8Array }>(who, 'blind.cell', { sessionId, cellId: cell.cellId })
    served.set(cell.cellId, img.bytes)
    cell = (await ok<{ next: BlindCellView | null }>(who, 'blind.answer', { sessionId, cellId: cell.cellId, ...answer(i++) })).next
  }
  return served
}

const RECIPE = { name: 'Round 1', classes: CLASSES, realPerClass: 3, generatedPerClass: 3, askOrigin: true, displaySize: 64 }

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wbc-readers-'))
  for (const cls of CLASSES) {
    mkdirSync(join(dir, 'real', cls), { recursive: true })
    for (const f of realCells('pbc-wbc', cls, 4)) cpSync(f, join(dir, 'real', cls, f.split('/').pop()!))
  }
  dbPath = join(dir, 'wbc.sqlite')
  const db = openStore(dbPath)
  await importPath(db, join(dir, 'real'))
  await initBackend('wasm')
  for (const cls of CLASSES) {
    const r = await trainGenerator(db, { name: `${cls}-tiny`, class: cls, preset: 'tiny', real: { folder: datasetPath('pbc-wbc') }, maxReal: 16, steps: 2, checkpointDir: join(dir, `ck-${cls}`), checkpointEvery: 2 })
    await generateCells(db, { generatorId: r.generator.id, count: 6, seed: 5 })
  }
  for (const [name, roles] of [['olga', ['organiser']], ['rita', ['reader']], ['remy', ['reader']], ['rex', ['reader']]] as const) users[name] = await addTestUser(db, name, [...roles])
  db.close()
  ws = openWorkstation({ shell: 'browser', version: 'test', dbPath })
}, 120_000)
afterAll(async () => {
  await ws?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('blind sessions with readers', () => {
  let session: BlindSessionView
  let ritaSaw: Map<string, Uint8Array>
  const ritaAnswers = (i: number) => ({ class: CLASSES[i % 2], origin: (i % 3 ? 'real' : 'generated') as 'real' | 'generated' })
  const remyAnswers = (i: number) => ({ class: CLASSES[(i + 1) % 2], origin: (i % 2 ? 'real' : 'generated') as 'real' | 'generated' })

  it('a reader sees only the sessions they are invited to, and only their own answers', async () => {
    session = await create('olga', RECIPE)
    await create('olga', { ...RECIPE, name: 'Not for readers' })
    // The session records who made it by user id, not only by name.
    const look = openStore(dbPath)
    try {
      expect(getBlindSession(look, session.id)).toMatchObject({ createdBy: 'olga', createdByUser: users.olga.userId })
    } finally {
      look.close()
    }
    expect(await as('rita', 'blind.invite', { sessionId: session.id, reader: 'remy' })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await ok('olga', 'blind.invite', { sessionId: session.id, reader: 'rita' })).toMatchObject({ readers: [{ name: 'rita' }] })
    expect(await ok('olga', 'blind.invite', { sessionId: session.id, reader: 'remy' })).toMatchObject({ readers: [{ name: 'rita' }, { name: 'remy' }] })
    expect(await as('olga', 'blind.invite', { sessionId: session.id, reader: 'olga' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } })

    expect((await ok<BlindSessionView[]>('rita', 'blind.list')).map((s) => s.id)).toEqual([session.id])
    expect(await ok('rex', 'blind.list')).toEqual([])
    for (const m of ['blind.next', 'blind.cell', 'blind.answer']) {
      const r = await as('rex', m, { sessionId: session.id, ...(m === 'blind.next' ? {} : { cellId: 'A'.repeat(22) }), ...(m === 'blind.answer' ? { class: 'basophil' } : {}) })
      expect(r, m).toMatchObject({ ok: false, error: { code: 'not_found' } })
    }

    ritaSaw = await take('rita', session.id, ritaAnswers)
    expect(ritaSaw.size).toBe(12)
    // Remy starts from the first cell: Rita's answers are not his.
    const remyFirst = await ok<BlindCellView>('remy', 'blind.next', { sessionId: session.id })
    expect(remyFirst).toMatchObject({ position: 0, answered: 0, answeredClass: null })
    expect((await ok<BlindSessionView[]>('remy', 'blind.list'))[0].answered).toBe(0)
    // Going back, Rita sees her own answer.
    expect(await ok('rita', 'blind.next', { sessionId: session.id, position: 0 })).toMatchObject({ answeredClass: ritaAnswers(0).class, answered: 12 })
    const remySaw = await take('remy', session.id, remyAnswers)
    expect([...remySaw.keys()]).toEqual([...ritaSaw.keys()])
    expect(await ok('rita', 'blind.next', { sessionId: session.id, position: 0 })).toMatchObject({ answeredClass: ritaAnswers(0).class })
  })

  it('attack 1: copying the session with the same recipe, or closing it and reading results, is refused to a reader', async () => {
    expect(await as('rita', 'blind.create', RECIPE)).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await as('rita', 'blind.close', { sessionId: session.id })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await as('rita', 'blind.results', { sessionId: session.id })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    // There is no seed to give: the old predictable one is gone from the contract.
    expect(await as('olga', 'blind.create', { ...RECIPE, seed: 1 })).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    // Even the organiser's copy with the same recipe has its own secret: its cells are other bytes.
    const copy = await create('olga', RECIPE)
    await ok('olga', 'blind.invite', { sessionId: copy.id, reader: 'rita' })
    const copySaw = await take('rita', copy.id, ritaAnswers)
    const live = new Set([...ritaSaw.values()].map(sha))
    expect([...copySaw.values()].filter((b) => live.has(sha(b)))).toEqual([])
  })

  it('attack 2: an all-generated session to match hashes is refused to a reader, and would match nothing', async () => {
    expect(await as('rita', 'blind.create', { ...RECIPE, realPerClass: 0 })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    for (const m of ['synthetic.generators', 'synthetic.grid', 'synthetic.report']) {
      expect(await as('rita', m, m === 'synthetic.generators' ? {} : { generatorId: 1 }), m).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    }
    const allGenerated = await create('olga', { ...RECIPE, name: 'all generated', realPerClass: 0, generatedPerClass: 6 })
    await ok('olga', 'blind.invite', { sessionId: allGenerated.id, reader: 'rita' })
    const gen = await take('rita', allGenerated.id, ritaAnswers)
    const live = new Set([...ritaSaw.values()].map(sha))
    expect([...gen.values()].filter((b) => live.has(sha(b)))).toEqual([])
  })

  it('attack 3: stored cells are refused to a reader, and rendering them the public way matches no served bytes', async () => {
    for (const [m, p] of [['cells.list', { datasetId: 1 }], ['cell.image', { id: 1 }], ['datasets.list', {}], ['slides.list', {}], ['jobs.list', {}]] as const) {
      expect(await as('rita', m, p), m).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    }
    // With the database file in hand (beyond what a reader has), the public render still matches nothing.
    const db = openStore(dbPath)
    const { sourceSize } = JSON.parse(db.prepare('SELECT recipe_json FROM blind_sessions WHERE id = ?').pluck().get(session.id) as string) as { sourceSize: number }
    const spec = { sourceSize, displaySize: 64 }
    const publicRenders = new Set<string>()
    for (const id of (db.prepare('SELECT id FROM images').pluck().all() as number[])) publicRenders.add(sha(await renderRealCell(getOriginalBytes(db, id)!, spec)))
    for (const s of listSyntheticImages(db, {})) publicRenders.add(sha(await renderGeneratedCell(syntheticPng(db, s.id)!, spec)))
    db.close()
    expect(publicRenders.size).toBe(20)
    for (const b of ritaSaw.values()) expect(publicRenders.has(sha(b))).toBe(false)
    // Same size and encoding for every served cell still.
    expect(new Set([...ritaSaw.values()].map((b) => b.length)).size).toBe(1)
  })

  it('the organiser closes; results per reader and pooled, with Cohen kappa; the secret shows only now', async () => {
    expect(await as('rita', 'blind.answer', { sessionId: session.id, cellId: [...ritaSaw.keys()][0], class: 'basophil' })).toMatchObject({ ok: true })
    await ok('olga', 'blind.close', { sessionId: session.id })
    expect(await as('rita', 'blind.answer', { sessionId: session.id, cellId: [...ritaSaw.keys()][0], class: 'basophil' })).toMatchObject({ ok: false, error: { code: 'conflict' } })
    expect(await as('rita', 'blind.results', { sessionId: session.id })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    const r = await ok<BlindResults>('olga', 'blind.results', { sessionId: session.id })
    expect(r.secret).toMatch(/^[0-9a-f]{64}$/)
    expect(r.readers.map((x) => [x.name, x.answered])).toEqual([['rita', 12], ['remy', 12]])
    // Each reader's detection rate is computed from their own answers, with its exact 95% CI.
    const order = r.cells.filter((c) => c.who === 'remy').map((c) => c.cellId)
    const truth = new Map(r.cells.map((c) => [c.cellId, c]))
    const remyRight = order.filter((id, i) => remyAnswers(i).origin === truth.get(id)!.origin).length
    expect(r.readers[1].detection!.rate).toMatchObject({ successes: remyRight, trials: 12 })
    expect(r.accuracy.all.trials).toBe(24)
    expect(r.agreement).toMatchObject({ method: 'cohen', readers: 2, class: { items: 12 } })
    // Rita answered class CLASSES[i%2] (i=0 re-answered basophil, the same), Remy CLASSES[(i+1)%2]: they never agree.
    expect(r.agreement!.class.observed).toBe(0)
    expect(r.cells.filter((c) => c.who === 'rita' && c.cellId === order[0])).toHaveLength(1)
  })
})
