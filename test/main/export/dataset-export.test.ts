import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { exportDataset } from '../../../src/main/export/dataset-export'
import { importPath } from '../../../src/main/import/index'
import { appendLabel, getImageBySha256, openStore } from '../../../src/main/store/index'
import { storeContent } from '../import/content'
import { copyCells, tempDir, writeFile } from '../import/fixtures'

const dir = tempDir('wbc-export-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('exportDataset', () => {
  it('writes the original bytes as class folders plus a manifest that imports back to the same images, labels and slides', async () => {
    const src = join(dir, 'study')
    copyCells('pbc-wbc', 'eosinophil', 3, src, 'SLIDE-A/EO', 60)
    copyCells('pbc-wbc', 'basophil', 2, src, 'SLIDE-A/BA', 60)
    copyCells('pbc-other', 'platelet', 2, src, 'SLIDE-B/PLT', 6)
    const unlabelled = copyCells('pbc-wbc', 'monocyte', 2, src, 'SLIDE-C', 60)
    const db = openStore(join(dir, 'a.sqlite'))
    const first = await importPath(db, src, { dataset: 'study' })
    expect(first.counts.imported).toBe(9)
    // A reviewer's relabel is what the export carries as the class.
    const relabelled = getImageBySha256(db, first.files.find((f) => f.path.startsWith('SLIDE-A/EO'))!.sha256!)!
    appendLabel(db, { imageId: relabelled.id, class: 'neutrophil', source: 'reviewer', who: 'ana' })

    const out = join(dir, 'out')
    const r = exportDataset(db, 'study', out)
    expect(r.images).toBe(9)
    expect(r.classes).toEqual({ '': 2, basophil: 2, eosinophil: 2, neutrophil: 1, platelet: 2 })
    expect(readdirSync(out).sort()).toEqual(['basophil', 'eosinophil', 'manifest.csv', 'neutrophil', 'platelet', 'unlabelled'])
    const manifest = readFileSync(join(out, 'manifest.csv'), 'utf8').trim().split('\n')
    expect(manifest[0]).toBe('file,class,slide,sha256')
    for (const line of manifest.slice(1)) {
      const [file, , , sha] = line.split(',')
      expect(createHash('sha256').update(readFileSync(join(out, file))).digest('hex')).toBe(sha)
    }
    expect(manifest.filter((l) => l.includes(',,SLIDE-C,'))).toHaveLength(2)
    expect(unlabelled).toHaveLength(2)

    const back = openStore(join(dir, 'b.sqlite'))
    const again = await importPath(back, out, { dataset: 'study' })
    expect(again.counts).toMatchObject({ imported: 9, failed: 0, conflicts: 0 })
    const a = storeContent(db)
    const b = storeContent(back)
    expect(b.images).toEqual(a.images)
    expect(b.current).toEqual(a.current)
    expect(b.datasets).toEqual(a.datasets)
    expect(b.slides).toEqual(a.slides)

    // Importing the export into the store it came from adds nothing.
    const same = await importPath(db, out, { dataset: 'study' })
    expect(same.counts).toMatchObject({ imported: 0, duplicate: 9, failed: 0 })
    expect(() => exportDataset(db, 'study', out)).toThrow(/not empty/)
    expect(() => exportDataset(db, 'nope', join(dir, 'x'))).toThrow(/no dataset/)
    writeFile(join(dir, 'unused'), '')
    db.close()
    back.close()
  })

  it('neutralises class and slide names that a spreadsheet would run as formulas, and imports them back unchanged', async () => {
    const src = join(dir, 'hostile')
    copyCells('pbc-wbc', 'eosinophil', 1, src, '@SLIDE/EO', 70)
    copyCells('pbc-wbc', 'basophil', 1, src, '@SLIDE/=1+2', 70)
    const db = openStore(join(dir, 'c.sqlite'))
    expect((await importPath(db, src, { dataset: 'hostile', keepUnknownClasses: true })).counts.imported).toBe(2)
    const out = join(dir, 'out-hostile')
    exportDataset(db, 'hostile', out)
    const text = readFileSync(join(out, 'manifest.csv'), 'utf8')
    for (const line of text.trim().split('\n').slice(1)) {
      for (const cell of line.split(',')) expect(cell).not.toMatch(/^[=+\-@\t\r]/)
      expect(line).toContain(",'@SLIDE,")
    }
    expect(text).toMatch(/^'=1\+2\//m)
    const back = openStore(join(dir, 'd.sqlite'))
    expect((await importPath(back, out, { dataset: 'hostile', keepUnknownClasses: true })).counts).toMatchObject({ imported: 2, failed: 0, conflicts: 0 })
    expect(storeContent(back).current).toEqual(storeContent(db).current)
    expect(storeContent(back).slides).toEqual(storeContent(db).slides)
    expect(JSON.stringify(storeContent(back).current)).toContain('=1+2')
    db.close()
    back.close()
  })
})
