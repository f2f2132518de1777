// A blind session through the contract dispatcher, as the renderer drives it:
// every payload sent back before the session closes is inspected for anything
// that could tell a real cell from a generated one (fields, values, image
// size, encoding, PNG chunks, ids, order). Then the closed session's report is
// checked against the answers given.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { openWorkstation, type Workstation } from '../../../src/main/api'
import type { JobSnapshot, Result } from '../../../src/shared/api'
import type { BlindCellView, BlindResults, BlindSessionView } from '../../../src/shared/synthetic'
import { importPath } from '../../../src/main/import'
import { openStore } from '../../../src/main/store'
import { initBackend } from '../../../src/main/ml/model/tfjs-backend'
import { trainGenerator } from '../../../src/main/synthetic/generators'
import { generateCells } from '../../../src/main/synthetic/generate'
import { pngChunkTypes } from '../../../src/main/blind/render'
import { clopperPearson } from '../../../src/main/stats'
import { restoreCsvText } from '../../../src/main/export/csv-cell'
import { realCells, datasetPath } from '../../helpers/datasets'

const CLASSES = ['basophil', 'neutrophil']
let dir: string
let ws: Workstation
/** Every value the core sent back, in order, with the method that produced it. */
const sent: { method: string; result: Result<unknown> }[] = []

async function call<T>(method: string, payload?: unknown): Promise<T> {
  const r = await ws.dispatch(method, payload, 'local-operator')
  sent.push({ method, result: r })
  if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`)
  return r.value as T
}

/** blind.create starts a job; its result is the session (the job's end event is what the renderer sees too). */
async function create(recipe: unknown): Promise<BlindSessionView> {
  const { jobId } = await call<{ jobId: string }>('blind.create', recipe)
  const end = await new Promise<JobSnapshot>((resolve) => {
    const off = ws.events.subscribe((e) => {
      if (e.name === 'job.finished' && e.payload.id === jobId) {
        off()
        resolve(e.payload)
      }
    })
  })
  sent.push({ method: 'job.finished', result: { ok: true, value: end } })
  if (end.state !== 'succeeded') throw new Error(`blind.create job ${end.state}: ${end.error?.message}`)
  return end.result as BlindSessionView
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wbc-blind-'))
  // Real cells: a small class-folder tree imported as the lab would.
  for (const cls of CLASSES) {
    mkdirSync(join(dir, 'real', cls), { recursive: true })
    for (const f of realCells('pbc-wbc', cls, 6)) cpSync(f, join(dir, 'real', cls, f.split('/').pop()!))
  }
  const dbPath = join(dir, 'wbc.sqlite')
  const db = openStore(dbPath)
  await importPath(db, join(dir, 'real'))
  // Generated cells: tiny GANs, a few steps each.
  await initBackend('wasm')
  for (const cls of CLASSES) {
    const r = await trainGenerator(db, { name: `${cls}-tiny`, class: cls, preset: 'tiny', real: { folder: datasetPath('pbc-wbc') }, maxReal: 16, steps: 2, checkpointDir: join(dir, `ck-${cls}`), checkpointEvery: 2 })
    await generateCells(db, { generatorId: r.generator.id, count: 6, seed: 5 })
  }
  db.close()
  ws = openWorkstation({ shell: 'browser', version: 'test', dbPath })
})
afterAll(async () => {
  await ws?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Keys and string values of a payload, with image bytes left out (they are checked as images). */
function walk(v: unknown, out: string[] = []): string[] {
  if (v instanceof Uint8Array) return out
  if (Array.isArray(v)) v.forEach((x) => walk(x, out))
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(k), walk(x, out)
  else if (typeof v === 'string') out.push(v)
  return out
}

const SOURCE_WORDS = /real|synthetic|generat|fake|\bgan\b|origin|source|image_?id|step|seed|checkpoint|provenance/i

describe('blind session over the contract', () => {
  it('creates from a recipe, serves cells without any tell of their origin, takes answers, and reports when closed', async () => {
    const session = await create({ name: 'Morning session', classes: CLASSES, realPerClass: 4, generatedPerClass: 4, askOrigin: true, displaySize: 96 })
    expect(session).toMatchObject({ status: 'open', total: 16, answered: 0, askOrigin: true, classes: CLASSES, displaySize: 96 })
    await call('blind.list')

    // The expert works through the session from the keyboard.
    const answers = new Map<string, { class: string; origin: 'real' | 'generated' | null }>()
    const images: Uint8Array[] = []
    const order: string[] = []
    let cell = await call<BlindCellView | null>('blind.next', { sessionId: session.id })
    let i = 0
    while (cell) {
      order.push(cell.cellId)
      expect(cell.position).toBe(i)
      const img = await call<{ mime: string; bytes: Uint8Array }>('blind.cell', { sessionId: session.id, cellId: cell.cellId })
      expect(img.mime).toBe('image/png')
      images.push(img.bytes)
      const a = { class: CLASSES[(i * 7) % 2], origin: i % 5 === 4 ? null : i % 3 === 0 ? ('real' as const) : ('generated' as const) }
      answers.set(cell.cellId, a)
      const r = await call<{ answered: number; total: number; next: BlindCellView | null }>('blind.answer', { sessionId: session.id, cellId: cell.cellId, ...a })
      expect(r.answered).toBe(i + 1)
      cell = r.next
      i++
    }
    expect(i).toBe(16)
    // Going back shows the expert's own class answer, nothing else.
    const back = await call<BlindCellView>('blind.next', { sessionId: session.id, position: 0 })
    expect(back.answeredClass).toBe(answers.get(order[0])!.class)
    // Results are refused while open.
    const early = await ws.dispatch('blind.results', { sessionId: session.id }, 'local-operator')
    sent.push({ method: 'blind.results', result: early })
    expect(early.ok).toBe(false)
    // A second session from the same recipe: its own secret, so its own order and renders, and fresh ids.
    const twin = await create({ name: 'Twin', classes: CLASSES, realPerClass: 4, generatedPerClass: 4, askOrigin: true, displaySize: 96 })
    const twinFirst = await call<BlindCellView>('blind.next', { sessionId: twin.id })

    // ---- Everything sent so far (the session is open): no origin information.
    for (const { method, result } of sent) {
      // askOrigin (may the expert be asked?) is about the session, not a cell.
      for (const s of walk(result).filter((k) => k !== 'askOrigin')) expect(s, `${method} sent "${s}"`).not.toMatch(SOURCE_WORDS)
    }
    // Same size, encoding and byte-level layout for every image.
    expect(new Set(images.map((b) => b.length)).size).toBe(1)
    const chunks = images.map((b) => pngChunkTypes(b).filter((t) => t !== 'IDAT').join(','))
    expect(new Set(chunks)).toEqual(new Set(['IHDR,IEND']))
    const metas = await Promise.all(images.map((b) => sharp(b).metadata()))
    for (const m of metas) {
      expect([m.format, m.width, m.height, m.channels, m.depth, m.hasAlpha, m.isProgressive]).toEqual(['png', 96, 96, 3, 'uchar', false, false])
      expect(m.exif ?? m.icc ?? m.xmp ?? m.iptc).toBeUndefined()
    }
    // Header bytes (signature + IHDR) identical for all.
    expect(new Set(images.map((b) => Buffer.from(b.subarray(0, 33)).toString('hex'))).size).toBe(1)
    // Ids: random, opaque, per session.
    expect(new Set(order).size).toBe(16)
    for (const id of order) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(order).not.toContain(twinFirst.cellId)

    // ---- Close, then the truth.
    const closed = await call<BlindSessionView>('blind.close', { sessionId: session.id })
    expect(closed.status).toBe('closed')
    const late = await ws.dispatch('blind.answer', { sessionId: session.id, cellId: order[0], class: 'basophil' }, 'local-operator')
    expect(late.ok).toBe(false)
    const sentBefore = sent.length
    const res = await call<BlindResults>('blind.results', { sessionId: session.id })
    expect(res.cells.map((c) => c.cellId)).toEqual(order)
    const origins = res.cells.map((c) => c.origin)
    expect(origins.filter((o) => o === 'real')).toHaveLength(8)
    // The secret is shown now, 256 bits, and nowhere before the close.
    expect(res.secret).toMatch(/^[0-9a-f]{64}$/)
    for (const { result } of sent.slice(0, sentBefore)) expect(JSON.stringify(result)).not.toContain(res.secret!)
    expect(JSON.stringify(res.recipe)).not.toMatch(/seed|secret/)
    // Order not grouped by origin (shuffled): several runs, both halves mixed.
    const runs = origins.reduce((n, o, k) => n + (k > 0 && o !== origins[k - 1] ? 1 : 0), 1)
    expect(runs).toBeGreaterThanOrEqual(4)
    expect(new Set(origins.slice(0, 8)).size).toBe(2)
    // Real cells are images of the store; generated ones are not.
    for (const c of res.cells) expect(c.origin === 'real' ? c.imageId !== null && c.syntheticImageId === null : c.syntheticImageId !== null && c.imageId === null).toBe(true)

    // The report's arithmetic, recomputed from the answers given.
    const idx = (k: string) => CLASSES.indexOf(k)
    const expectConf = (pick: (o: string) => boolean) => {
      const m = [[0, 0], [0, 0]]
      for (const c of res.cells) if (pick(c.origin)) m[idx(c.trueClass)][idx(answers.get(c.cellId)!.class)]++
      return m
    }
    expect(res.confusion.all).toEqual(expectConf(() => true))
    expect(res.confusion.real).toEqual(expectConf((o) => o === 'real'))
    expect(res.confusion.generated).toEqual(expectConf((o) => o === 'generated'))
    const right = (o: string) => res.cells.filter((c) => c.origin === o && answers.get(c.cellId)!.class === c.trueClass).length
    expect(res.accuracy.real).toMatchObject({ successes: right('real'), trials: 8, rate: right('real') / 8 })
    expect(res.accuracy.generated).toMatchObject({ successes: right('generated'), trials: 8 })
    const withOrigin = res.cells.filter((c) => answers.get(c.cellId)!.origin !== null)
    const detected = withOrigin.filter((c) => answers.get(c.cellId)!.origin === c.origin).length
    expect(res.detection!.rate).toMatchObject({ successes: detected, trials: withOrigin.length })
    expect(res.detection!.rate.ci95).toEqual(clopperPearson(detected, withOrigin.length))
    expect(res.unanswered).toBe(0)
    // CSV: a header and one row per cell, in presentation order.
    const csv = res.csv.trim().split('\n')
    expect(csv[0]).toBe('position,cell_id,origin,true_class,answered_class,class_correct,answered_origin,origin_correct,who,answered_at,image_id,synthetic_image_id')
    expect(csv).toHaveLength(17)
    // A cell id may start with '-': the CSV neutralises it against spreadsheets (export/csv-cell), the reader takes it off.
    expect(csv[1].split(',').slice(0, 3).map(restoreCsvText)).toEqual(['1', order[0], res.cells[0].origin])
  })

  it('refuses unknown cells, foreign sessions and answers a session does not ask for', async () => {
    const s = await create({ name: 'No origin asked', classes: CLASSES, realPerClass: 1, generatedPerClass: 1, askOrigin: false, displaySize: 64 })
    const first = await call<BlindCellView>('blind.next', { sessionId: s.id })
    const bad = await ws.dispatch('blind.cell', { sessionId: s.id, cellId: 'A'.repeat(22) }, 'local-operator')
    expect(bad.ok ? null : bad.error.code).toBe('not_found')
    const other = await ws.dispatch('blind.cell', { sessionId: 1, cellId: first.cellId }, 'local-operator')
    expect(other.ok ? null : other.error.code).toBe('not_found')
    const asked = await ws.dispatch('blind.answer', { sessionId: s.id, cellId: first.cellId, class: 'basophil', origin: 'real' }, 'local-operator')
    expect(asked.ok ? null : asked.error.code).toBe('invalid_input')
    const wrongClass = await ws.dispatch('blind.answer', { sessionId: s.id, cellId: first.cellId, class: 'monocyte' }, 'local-operator')
    expect(wrongClass.ok ? null : wrongClass.error.code).toBe('invalid_input')
    const tooMany = await ws.dispatch('blind.create', { name: 'x', classes: CLASSES, realPerClass: 50, generatedPerClass: 1 }, 'local-operator')
    expect(tooMany.ok ? null : tooMany.error.code).toBe('conflict')
  })
})
