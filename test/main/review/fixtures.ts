// A real slide for the review tests: real cells from test/fixtures/cells copied
// into an analyser-style slide folder (no class folders: the cells arrive
// unlabelled), imported with the import core into a temp SQLite store. The
// model output is a TEST FIXTURE written straight into the predictions table
// (a stand-in model row and chosen probabilities), so each test knows which
// call and confidence every cell carries without running a network.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { WBC_CLASSES } from '../../../src/shared/cells'
import { importPath } from '../../../src/main/import'
import { insertModel, listImages, openStore, putPredictions, type Db } from '../../../src/main/store'
import { copyCells } from '../import/fixtures'

/** One planned cell: where the real image comes from, and the model output the fixture gives it (none: not classified). */
export interface PlannedCell {
  dataset: 'pbc-wbc' | 'pbc-other'
  /** The class folder it comes from (its true class). */
  truth: string
  predicted?: { label: string; confidence: number; unidentified?: boolean }
}

export interface SlideFixture {
  db: Db
  dir: string
  slideId: number
  modelId: number
  /** Cell ids in plan order. */
  ids: number[]
  close(): void
}

export function fakeProbabilities(label: string, confidence: number): Record<string, number> {
  const rest = (1 - confidence) / (WBC_CLASSES.length - 1)
  return Object.fromEntries(WBC_CLASSES.map((c) => [c, c === label ? confidence : rest]))
}

/** Stand-in for a trained model: a models row without usable weights, only there so predictions can name it. */
export function fixtureModel(db: Db, name = 'W-Net test fixture'): number {
  return insertModel(db, {
    name,
    architecture: 'wnet',
    inputSize: 128,
    classes: WBC_CLASSES,
    preprocessRecipe: 'wnet-central-crop-v1',
    topology: {},
    weightSpecs: [],
    weights: new Uint8Array(0),
    provenance: 'imported'
  })
}

export function predict(db: Db, modelId: number, imageId: number, p: NonNullable<PlannedCell['predicted']>): void {
  putPredictions(db, [
    { imageId, modelId, probabilities: fakeProbabilities(p.label, p.confidence), topClass: p.label, confidence: p.confidence, unidentified: p.unidentified ?? null }
  ])
}

export async function realSlide(plan: readonly PlannedCell[], sampleId = 'SLIDE-A'): Promise<SlideFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'wbc-review-'))
  const exportRoot = join(dir, 'export')
  mkdirSync(exportRoot)
  // How many of each class folder we need, then copy them under the slide folder.
  const taken = new Map<string, number>()
  const files: string[] = []
  for (const c of plan) {
    const key = `${c.dataset}/${c.truth}`
    const offset = taken.get(key) ?? 0
    taken.set(key, offset + 1)
    files.push(basename(copyCells(c.dataset, c.truth, 1, exportRoot, sampleId, offset)[0]!))
  }
  const db = openStore(join(dir, 'wbc.db'))
  const report = await importPath(db, exportRoot, { dataset: null, cachePixels: false })
  if (report.counts.imported !== plan.length) throw new Error(`fixture import: ${JSON.stringify(report.counts)}`)
  const images = listImages(db)
  const slideId = images[0]!.slideId!
  const idByFile = new Map(images.map((i) => [i.fileName, i.id]))
  const ids = files.map((f) => idByFile.get(f)!)
  const modelId = fixtureModel(db)
  plan.forEach((c, i) => c.predicted && predict(db, modelId, ids[i]!, c.predicted))
  return {
    db,
    dir,
    slideId,
    modelId,
    ids,
    close() {
      db.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/**
 * The slide most tests use (14 real cells). Index -> what the fixture model
 * said. Threshold default 0.8.
 */
export const PLAN: readonly PlannedCell[] = [
  /* 0 */ { dataset: 'pbc-wbc', truth: 'neutrophil', predicted: { label: 'neutrophil', confidence: 0.99 } },
  /* 1 */ { dataset: 'pbc-wbc', truth: 'neutrophil', predicted: { label: 'neutrophil', confidence: 0.9 } },
  /* 2 */ { dataset: 'pbc-wbc', truth: 'neutrophil', predicted: { label: 'neutrophil', confidence: 0.95 } },
  /* 3 */ { dataset: 'pbc-wbc', truth: 'neutrophil', predicted: { label: 'neutrophil', confidence: 0.7 } },
  /* 4 */ { dataset: 'pbc-wbc', truth: 'lymphocyte', predicted: { label: 'lymphocyte', confidence: 0.97 } },
  /* 5 */ { dataset: 'pbc-wbc', truth: 'lymphocyte', predicted: { label: 'lymphocyte', confidence: 0.85 } },
  /* 6 */ { dataset: 'pbc-wbc', truth: 'lymphocyte' },
  /* 7 */ { dataset: 'pbc-wbc', truth: 'eosinophil', predicted: { label: 'eosinophil', confidence: 0.92 } },
  /* 8 */ { dataset: 'pbc-wbc', truth: 'eosinophil', predicted: { label: 'eosinophil', confidence: 0.88 } },
  /* 9 */ { dataset: 'pbc-wbc', truth: 'monocyte', predicted: { label: 'monocyte', confidence: 0.93 } },
  /* 10 */ { dataset: 'pbc-wbc', truth: 'monocyte', predicted: { label: 'lymphocyte', confidence: 0.86 } },
  /* 11 */ { dataset: 'pbc-wbc', truth: 'basophil', predicted: { label: 'lymphocyte', confidence: 0.6 } },
  /* 12 */ { dataset: 'pbc-other', truth: 'platelet', predicted: { label: 'lymphocyte', confidence: 0.55 } },
  /* 13 */ { dataset: 'pbc-other', truth: 'platelet', predicted: { label: 'monocyte', confidence: 0.9, unidentified: true } }
]
