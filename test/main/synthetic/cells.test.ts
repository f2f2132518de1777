// Real cells for GAN training and quality checks, from a folder and from the
// store's labelled images, preprocessed alike (W-Net's crop).
import { afterAll, describe, expect, it } from 'vitest'
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { importPath } from '../../../src/main/import'
import { openStore } from '../../../src/main/store'
import { realCellsOfClass } from '../../../src/main/synthetic/cells'
import { realCells } from '../../helpers/datasets'

const dir = mkdtempSync(join(tmpdir(), 'wbc-gan-cells-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('real cells for the GAN', () => {
  it('reads the same pixels from a class folder and from the store, and samples with a seed', async () => {
    mkdirSync(join(dir, 'real', 'eosinophil'), { recursive: true })
    for (const f of realCells('pbc-wbc', 'eosinophil', 5)) cpSync(f, join(dir, 'real', 'eosinophil', f.split('/').pop()!))
    const db = openStore(':memory:')
    try {
      await importPath(db, join(dir, 'real'))
      const fromFolder = await realCellsOfClass({ folder: join(dir, 'real') }, 'eosinophil', 24)
      const fromStore = await realCellsOfClass({ db }, 'eosinophil', 24)
      expect([fromFolder.count, fromStore.count]).toEqual([5, 5])
      // Both sorted by file name / import order: the same cells, the same pixels.
      expect(Buffer.from(fromStore.pixels).equals(Buffer.from(fromFolder.pixels))).toBe(true)
      const a = await realCellsOfClass({ db }, 'eosinophil', 24, { limit: 3, seed: 9 })
      const b = await realCellsOfClass({ db }, 'eosinophil', 24, { limit: 3, seed: 9 })
      expect(a.refs).toEqual(b.refs)
      expect(a.count).toBe(3)
      await expect(realCellsOfClass({ db }, 'basophil', 24)).rejects.toThrow(/no real basophil/)
    } finally {
      db.close()
    }
  })
})
