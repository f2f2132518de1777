// Shipped generators: the 8-bit encoding round trip on a tiny conditional
// generator (in a temporary resources folder), its import into the store as
// one row per class and generation from it; then the generator this
// repository ships in resources/generators: size bound, loads, and a fresh
// database generates every class from it through `wbc gan generate` with no
// training.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initBackend, tf } from '../../../src/main/ml/model/tfjs-backend'
import { buildGenerator, ganSettings, getFlatWeights } from '../../../src/main/synthetic/dcgan'
import { generateCells } from '../../../src/main/synthetic/generate'
import { decodeWeights, ensureShippedGeneratorRow, findShipped, importShippedGenerators, listShippedGenerators, loadShippedWeights } from '../../../src/main/synthetic/shipped'
import { encodeWeights, writeShippedGenerator } from '../../../src/main/synthetic/ship'
import { checkpointGrid, listCheckpoints, listSyntheticImages, openStore, type Db } from '../../../src/main/store/index'
import { wbc } from '../../helpers/wbc'

let dir: string
let db: Db
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wbc-shipped-gan-'))
  db = openStore(':memory:')
  expect((await initBackend('wasm')).name).toBe('wasm')
})
afterAll(() => {
  db?.close()
  rmSync(dir, { recursive: true, force: true })
})

const card = {
  name: 'tiny-two',
  createdAt: '2026-12-06T00:00:00.000Z',
  step: 3,
  data: { dataset: 'test', attribution: 'test cells', licence: 'none', cells: 2, perClass: { a: 1, b: 1 }, leftOut: 'none' },
  training: { recipe: 'none', steps: 3, cpuHours: 0, wallHours: 0, command: '', resume: '', notes: [] }
}

describe('shipped generators', () => {
  it('8-bit round trip: large tensors within half a quantisation step, small ones exact, under half the float32 size', () => {
    const s = ganSettings('tiny', { classes: ['a', 'b'], generator: { upsample: 'last' } })
    const g = buildGenerator(s)
    const flat = getFlatWeights(g)
    const { bytes, tensors } = encodeWeights(g)
    const back = decodeWeights(bytes, tensors)
    expect(back.length).toBe(flat.length)
    expect(bytes.length).toBeLessThan(flat.length * 4 * 0.5)
    let off = 0
    for (const t of tensors) {
      const n = t.shape.reduce((a, b) => a * b, 1)
      for (let i = off; i < off + n; i++) {
        if (t.dtype === 'float32') expect(back[i]).toBe(flat[i])
        else expect(Math.abs(back[i] - flat[i])).toBeLessThanOrEqual(t.scale! / 2 + 1e-7)
      }
      off += n
    }
    expect(tensors.some((t) => t.dtype === 'uint8') && tensors.some((t) => t.dtype === 'float32')).toBe(true)
    expect(() => decodeWeights(bytes.subarray(1), tensors)).toThrow()
    g.dispose()
  })

  it('a conditional generator becomes one stored row per class that generates its own class', async () => {
    const root = join(dir, 'generators')
    const s = ganSettings('tiny', { classes: ['a', 'b'], generator: { upsample: 'last' } })
    const g = buildGenerator(s)
    await writeShippedGenerator(join(root, 'tiny-two'), s, getFlatWeights(g), card)
    g.dispose()
    const [shipped] = listShippedGenerators(root)
    expect(shipped.card.classes).toEqual(['a', 'b'])
    expect(findShipped('tiny-two', 'b', root)?.class).toBe('b')
    expect(findShipped('tiny-two-a', undefined, root)?.class).toBe('a')
    expect(findShipped('tiny-two', 'c', root)).toBeUndefined()
    importShippedGenerators(db, root)
    const rowA = ensureShippedGeneratorRow(db, shipped, 'a')
    const rowB = ensureShippedGeneratorRow(db, shipped, 'b')
    importShippedGenerators(db, root)
    expect(ensureShippedGeneratorRow(db, shipped, 'a').id).toBe(rowA.id)
    expect([rowA.name, rowA.class, rowB.class, rowA.status, rowA.steps, rowA.preset]).toEqual(['tiny-two-a', 'a', 'b', 'done', 3, 'shipped'])
    expect(() => ensureShippedGeneratorRow(db, shipped, 'c')).toThrow(/does not generate c/)
    // Each row's sample grid came with the generator (no tensors needed to import it).
    expect(listCheckpoints(db, rowB.id).map((c) => c.step)).toEqual([3])
    expect(checkpointGrid(db, listCheckpoints(db, rowB.id)[0].id)?.subarray(1, 4).toString()).toBe('PNG')
    // A later shipped step (an updated install): the same rows get it as a new checkpoint.
    const g2 = buildGenerator(s)
    await writeShippedGenerator(join(root, 'tiny-two'), s, getFlatWeights(g2), { ...card, step: 9 })
    g2.dispose()
    importShippedGenerators(db, root)
    expect(listCheckpoints(db, rowA.id).map((c) => c.step)).toEqual([3, 9])
    expect(ensureShippedGeneratorRow(db, listShippedGenerators(root)[0], 'a').steps).toBe(9)
    const ra = await generateCells(db, { generatorId: rowA.id, count: 3, seed: 1 })
    const rb = await generateCells(db, { generatorId: rowB.id, count: 3, seed: 1 })
    expect(listSyntheticImages(db, { generatorId: rowA.id }).map((r) => r.class)).toEqual(['a', 'a', 'a'])
    expect(listSyntheticImages(db, { generatorId: rowB.id }).map((r) => r.class)).toEqual(['b', 'b', 'b'])
    // Same seed, other label: other cells.
    const sha = (id: number) => listSyntheticImages(db, { generatorId: id }).map((r) => r.sha256)
    expect(sha(rowA.id)).not.toEqual(sha(rowB.id))
    expect(ra.ids).toHaveLength(3)
    expect(rb.ids).toHaveLength(3)
  })

  it('the repository ships a five-class generator: small, loads, and a fresh database generates every class with `wbc gan generate`', async () => {
    const shipped = listShippedGenerators()
    expect(shipped.length).toBeGreaterThanOrEqual(1)
    const g = shipped.find((x) => x.card.name === 'wbc-five-class-64')!
    expect(g).toBeDefined()
    expect(g.card.classes).toEqual(['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte'])
    // Size bound: 8-bit weights, under 1 MB (the classifier's bound is 20 MB).
    const bytes = statSync(join(g.dir, 'weights.bin')).size
    expect(bytes).toBe(g.card.weights.bytes)
    expect(bytes).toBeLessThan(1_000_000)
    expect(g.card.data.attribution).toMatch(/CC BY 4\.0/)
    const w = loadShippedWeights(g)
    const model = buildGenerator(g.card.settings)
    expect(w.length).toBe(getFlatWeights(model).length)
    model.dispose()
    const file = join(dir, 'fresh.sqlite')
    const ls = await wbc(['gan', 'ls', '--db', file, '--json'])
    expect(ls.code).toBe(0)
    // A fresh database lists the shipped generator's classes, as the Synthetic screen does.
    const rows = JSON.parse(ls.out) as { name: string; preset: string; steps: number }[]
    expect(rows.map((r) => r.name).sort()).toEqual(g.card.classes.map((c) => `wbc-five-class-64-${c}`).sort())
    expect(rows.every((r) => r.preset === 'shipped' && r.steps === g.card.step)).toBe(true)
    for (const cls of g.card.classes) {
      const r = await wbc(['gan', 'generate', 'wbc-five-class-64', '--class', cls, '-n', '2', '--db', file, '--json'])
      expect(r.code, r.err).toBe(0)
      expect(JSON.parse(r.out)).toMatchObject({ generator: { class: cls }, count: 2, checkpoint: { step: g.card.step } })
    }
    const store = openStore(file)
    try {
      expect(listSyntheticImages(store, {}).length).toBe(10)
    } finally {
      store.close()
    }
    const bad = await wbc(['gan', 'generate', 'wbc-five-class-64', '-n', '1', '--db', file])
    expect(bad.code).not.toBe(0)
    expect(bad.err).toMatch(/--class/)
    tf.disposeVariables()
  })
})
