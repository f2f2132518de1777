// The `wbc` CLI in-process (same code as bin/wbc.js) with captured output.
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { wbc } from '../helpers/wbc'
import { copyCells, tempDir, writeFile } from '../main/import/fixtures'

const dir = tempDir('wbc-cli-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('wbc', () => {
  const db = join(dir, 'cli.sqlite')
  const set = join(dir, 'cells')
  copyCells('pbc-wbc', 'neutrophil', 3, set, 'NE', 60)
  copyCells('pbc-wbc', 'lymphocyte', 2, set, 'LY', 60)

  it('imports with a summary, lists counts per label, and a second import adds nothing', async () => {
    const first = await wbc(['import', set, '--db', db])
    expect(first.code).toBe(0)
    expect(first.out).toMatch(/^5 new images from .*cells into dataset "cells"; 0 already in the store, 0 failed/)
    const ls = await wbc(['ls', '--json', '--db', db])
    expect(JSON.parse(ls.out)).toMatchObject({ images: 5, labels: { lymphocyte: 2, neutrophil: 3 }, datasets: [{ name: 'cells', imageCount: 5 }] })
    const text = await wbc(['--db', db, 'ls'])
    expect(text.out).toMatch(/5 images\n\s+lymphocyte\s+2\n\s+neutrophil\s+3/)
    const again = await wbc(['import', set, '--db', db, '--json'])
    expect(JSON.parse(again.out).counts).toMatchObject({ imported: 0, duplicate: 5 })
  })

  it('exits non-zero when a file failed and names it with its reason', async () => {
    const bad = join(dir, 'bad')
    copyCells('pbc-wbc', 'monocyte', 1, bad, 'MO', 60)
    writeFile(join(bad, 'MO', 'empty.jpg'), '')
    const r = await wbc(['import', bad, '--db', db])
    expect(r.code).toBe(1)
    expect(r.out).toContain('MO/empty.jpg: the file is empty (0 bytes)')
    const j = await wbc(['import', bad, '--db', db, '--json'])
    expect(j.code).toBe(1)
    expect(JSON.parse(j.out).files).toContainEqual(expect.objectContaining({ path: 'MO/empty.jpg', status: 'failed', reason: 'zero-byte' }))
  })

  it('keeps a class folder it does not know under its own label by default, as the Import screen does', async () => {
    const tree = join(dir, 'unknown-class')
    copyCells('pbc-wbc', 'neutrophil', 1, tree, 'NE', 61)
    copyCells('pbc-wbc', 'lymphocyte', 1, tree, 'Wobble', 62)
    const kept = JSON.parse((await wbc(['import', tree, '--db', join(dir, 'keep.sqlite'), '--json'])).out)
    expect(kept.counts).toMatchObject({ imported: 2, failed: 0 })
    expect(kept.files.map((f: { class?: string }) => f.class).sort()).toEqual(['neutrophil', 'wobble'])
    const refused = await wbc(['import', tree, '--db', join(dir, 'refuse.sqlite'), '--json', '--no-keep-unknown-classes'])
    expect(refused.code).toBe(1)
    expect(JSON.parse(refused.out).files).toContainEqual(expect.objectContaining({ status: 'failed', reason: 'unknown-class' }))
  })

  it('exports a dataset as class folders and a manifest', async () => {
    const out = join(dir, 'exported')
    const r = await wbc(['export', 'dataset', 'cells', out, '--db', db])
    expect(r.code).toBe(0)
    expect(readdirSync(out).sort()).toEqual(['lymphocyte', 'manifest.csv', 'neutrophil'])
    const missing = await wbc(['export', 'dataset', 'nope', join(dir, 'x'), '--db', db])
    expect(missing.code).toBe(1)
    expect(missing.err).toMatch(/no dataset named "nope"/)
  })

  it('uses WBC_DB when --db is not given', async () => {
    const envDb = join(dir, 'env.sqlite')
    const r = await wbc(['ls', '--json'], { WBC_DB: envDb })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out)).toMatchObject({ db: envDb, images: 0 })
    expect(existsSync(envDb)).toBe(true)
  })

  it('rejects an unknown command', async () => {
    const r = await wbc(['frobnicate'])
    expect(r.code).not.toBe(0)
    expect(r.err).toMatch(/unknown command/)
  })
})
