// The eight-class model the app ships beside the five-class one
// (resources/models/wnet-pbc8): small enough, loadable, with its card, and
// doing on real PBC cells it was NOT trained on (a seeded sample of its
// held-out list, wnet-pbc8-heldout.csv, written by `wbc model ship`) what its
// card says. Its held-out five-class cells are the five-class model's too.
import { describe, it, expect } from 'vitest'
import { existsSync, mkdtempSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { evaluateFolder } from '../../src/main/ml/infer/evaluate-folder'
import { shippedModelPaths } from '../../src/main/ml/model/registry'
import { seededShuffle } from '../../src/main/stats'
import { isWbcClass } from '../../src/shared/cells'
import { REPO_ROOT, datasetPath } from '../helpers/datasets'

const DIR = join(REPO_ROOT, 'resources', 'models', 'wnet-pbc8')

describe('shipped eight-class model', () => {
  it('ships beside the five-class model, which stays the default folder, at most 20 MB, with its card', () => {
    const paths = shippedModelPaths({})
    expect(paths[0]).toBe(join(REPO_ROOT, 'resources', 'models', 'wnet-pbc'))
    expect(paths).toContain(DIR)
    expect(['model.json', 'weights.bin'].reduce((n, f) => n + statSync(join(DIR, f)).size, 0)).toBeLessThanOrEqual(20 * 1024 * 1024)
    const card = JSON.parse(readFileSync(join(DIR, 'card.json'), 'utf8'))
    expect(card.data.licence).toBe('CC BY 4.0')
    expect(card.model.classes).toEqual(['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte', 'ig', 'erythroblast', 'platelet'])
    expect(readFileSync(join(DIR, 'README.md'), 'utf8')).toContain('Acevedo A., Merino A.')
    // Its held-out five-class cells are the five-class model's held-out cells.
    const five = new Set(readFileSync(join(REPO_ROOT, 'resources', 'models', 'wnet-pbc-heldout.csv'), 'utf8').trim().split('\n').slice(1).map((r) => r.split(',')[1]))
    const mine = readFileSync(join(DIR, 'wnet-pbc8-heldout.csv'), 'utf8').trim().split('\n').slice(1).map((r) => r.split(','))
    expect(mine.filter(([f]) => isWbcClass(f!.split('/')[0]!)).map(([, h]) => h).sort()).toEqual([...five].sort())
  })

  it('classifies held-out real cells of the eight classes as its card reports', async () => {
    const rows = readFileSync(join(DIR, 'wnet-pbc8-heldout.csv'), 'utf8').trim().split('\n').slice(1)
    const byClass = new Map<string, { file: string; sha256: string }[]>()
    for (const row of rows) {
      const [file, sha256] = row.split(',')
      const cls = file!.split('/')[0]!
      byClass.set(cls, [...(byClass.get(cls) ?? []), { file: file!, sha256: sha256! }])
    }
    expect(byClass.size).toBe(8)
    // The fixture cells (test/fixtures/cells) hold some of each class's held-out cells; 6 per class are taken.
    const tree = mkdtempSync(join(tmpdir(), 'wbc-heldout8-'))
    for (const [cls, files] of byClass) {
      mkdirSync(join(tree, cls))
      const root = datasetPath(isWbcClass(cls) ? 'pbc-wbc' : 'pbc-other')
      const present = seededShuffle(files, 7).filter((f) => existsSync(join(root, f.file)))
      expect(present.length, cls).toBeGreaterThanOrEqual(6)
      for (const f of present.slice(0, 6)) {
        const src = join(root, f.file)
        // The list names exact images: a changed fixture must not pass silently.
        expect(createHash('sha256').update(readFileSync(src)).digest('hex')).toBe(f.sha256)
        symlinkSync(src, join(tree, cls, f.file.split('/')[1]!))
      }
    }
    const report = await evaluateFolder(tree, { model: DIR })
    expect(report.n).toBe(48)
    const card = JSON.parse(readFileSync(join(DIR, 'card.json'), 'utf8'))
    // 48 cells: allow the sampling error of a small sample around the card's figure.
    expect(report.accuracy).toBeGreaterThan(card.evaluation.uint8.accuracy - 0.12)
    expect(report.accuracy).toBeGreaterThan(0.6)
  })
})
