// The model the app ships (resources/models): present, small enough, loadable
// without tfjs-node, and doing on real PBC cells it was NOT trained on what
// its card says. The held-out list (resources/models/wnet-pbc-heldout.csv) was
// written by the shipping code (`wbc model ship`, then still a script) from the training run's seeded
// split; the test takes a seeded sample of 12 cells per class from it.
import { describe, it, expect } from 'vitest'
import { mkdtempSync, mkdirSync, readFileSync, statSync, readdirSync, symlinkSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { shippedModelPath } from '../../src/main/ml/model/registry'
import { evaluateFolder } from '../../src/main/ml/infer/evaluate-folder'
import { seededShuffle } from '../../src/main/stats'
import { WBC_CLASSES } from '../../src/shared/cells'
import { REPO_ROOT, datasetPath } from '../helpers/datasets'

const MODELS = join(REPO_ROOT, 'resources', 'models')

describe('shipped default model', () => {
  it('is in resources/models, at most 20 MB, with its card', () => {
    const path = shippedModelPath()
    expect(path, 'no shipped model found in resources/models').toBeTruthy()
    const dir = path!.endsWith('.json') ? join(path!, '..') : path!
    const bytes = ['model.json', 'weights.bin'].reduce((n, f) => n + statSync(join(dir, f)).size, 0)
    expect(bytes).toBeLessThanOrEqual(20 * 1024 * 1024)
    expect(existsSync(join(MODELS, 'README.md'))).toBe(true)
    const card = JSON.parse(readFileSync(join(MODELS, 'card.json'), 'utf8'))
    expect(card.data.licence).toBe('CC BY 4.0')
  })

  it('classifies held-out real cells it was not trained on as its card reports', async () => {
    const rows = readFileSync(join(MODELS, 'wnet-pbc-heldout.csv'), 'utf8').trim().split('\n').slice(1)
    const byClass = new Map<string, { file: string; sha256: string }[]>()
    for (const row of rows) {
      const [file, sha256] = row.split(',')
      const cls = file!.split('/')[0]!
      byClass.set(cls, [...(byClass.get(cls) ?? []), { file: file!, sha256: sha256! }])
    }
    expect([...byClass.keys()].sort()).toEqual([...WBC_CLASSES].sort())
    const tree = mkdtempSync(join(tmpdir(), 'wbc-heldout-'))
    for (const [cls, files] of byClass) {
      mkdirSync(join(tree, cls))
      for (const f of seededShuffle(files, 7).slice(0, 12)) {
        const src = join(datasetPath('pbc-wbc'), f.file)
        // The list names exact images: a changed dataset must not pass silently.
        expect(createHash('sha256').update(readFileSync(src)).digest('hex')).toBe(f.sha256)
        symlinkSync(src, join(tree, cls, f.file.split('/')[1]!))
      }
    }
    expect(readdirSync(tree).length).toBe(5)
    const report = await evaluateFolder(tree)
    expect(report.n).toBe(60)
    const card = JSON.parse(readFileSync(join(MODELS, 'card.json'), 'utf8'))
    const cardAccuracy = card.evaluation.shipped?.accuracy ?? card.evaluation.uint8?.accuracy
    expect(typeof cardAccuracy).toBe('number')
    // 60 cells: allow the sampling error of a small sample around the card's figure.
    expect(report.accuracy).toBeGreaterThan(cardAccuracy - 0.12)
    expect(report.accuracy).toBeGreaterThan(0.6)
  })
})
