import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  addToDataset, appendLabel, clearPreprocessed, countImages, currentLabel, datasetImages, ensureDataset, ensureSlide, finishImportBatch,
  getImportBatch, getOriginalBytes, getPreprocessed, importFiles, insertImage, labelConflicts, labelCounts, labelHistory, listDatasets,
  listImages, listSlides, markInterruptedBatches, openStore, putPreprocessed, recordImportFile, setSlideStatus, startImportBatch, type Db
} from '../../../src/main/store/index'

let db: Db
let batch: number
beforeEach(() => {
  db = openStore(':memory:')
  batch = startImportBatch(db, { sourcePath: '/exports/day1', datasetId: null })
})
afterEach(() => db.close())

const image = (sha: string, slideId: number | null = null) =>
  insertImage(db, { sha256: sha, format: 'jpeg', width: 360, height: 363, bytes: Buffer.from(sha), fileName: `${sha}.jpg`, sourcePath: `/x/${sha}.jpg`, slideId, importBatchId: batch })

describe('images', () => {
  it('stores the original bytes once per content hash', () => {
    const a = image('aa')
    expect(a.created).toBe(true)
    expect(image('aa')).toEqual({ id: a.id, created: false })
    expect(countImages(db)).toBe(1)
    expect(getOriginalBytes(db, a.id)?.toString()).toBe('aa')
  })

  it('caches preprocessed pixels as a rebuildable cache', () => {
    const { id } = image('aa')
    putPreprocessed(db, id, 'r1', 2, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]))
    expect(Array.from(getPreprocessed(db, id, 'r1', 2)!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    expect(getPreprocessed(db, id, 'r1', 3)).toBeUndefined()
    expect(clearPreprocessed(db)).toBe(1)
    expect(getOriginalBytes(db, id)).toBeDefined()
  })
})

describe('labels', () => {
  it('keeps every label and derives the current one: expert > reviewer > first imported > model', () => {
    const { id } = image('aa')
    appendLabel(db, { imageId: id, class: 'lymphocyte', source: 'model', who: 'wnet-1' })
    expect(currentLabel(db, id)?.class).toBe('lymphocyte')
    appendLabel(db, { imageId: id, class: 'neutrophil', source: 'folder' })
    appendLabel(db, { imageId: id, class: 'basophil', source: 'manifest' })
    expect(currentLabel(db, id)?.class).toBe('neutrophil')
    expect(labelConflicts(db)).toEqual([{ imageId: id, sha256: 'aa', classes: ['basophil', 'neutrophil'] }])
    appendLabel(db, { imageId: id, class: 'monocyte', source: 'reviewer', who: 'ana', why: 'nucleus shape' })
    appendLabel(db, { imageId: id, class: 'eosinophil', source: 'reviewer', who: 'ana', why: 'second look' })
    expect(currentLabel(db, id)).toMatchObject({ class: 'eosinophil', source: 'reviewer', who: 'ana', why: 'second look' })
    expect(labelConflicts(db)).toEqual([])
    appendLabel(db, { imageId: id, class: 'monocyte', source: 'expert', who: 'dr b' })
    appendLabel(db, { imageId: id, class: 'neutrophil', source: 'model' })
    expect(currentLabel(db, id)).toMatchObject({ class: 'monocyte', source: 'expert' })
    expect(labelHistory(db, id).map((l) => l.class)).toEqual(['lymphocyte', 'neutrophil', 'basophil', 'monocyte', 'eosinophil', 'monocyte', 'neutrophil'])
  })

  it('counts images per current label, unlabelled under an empty key, overall and per dataset', () => {
    const a = image('aa').id
    const b = image('bb').id
    image('cc')
    appendLabel(db, { imageId: a, class: 'neutrophil', source: 'folder' })
    appendLabel(db, { imageId: b, class: 'neutrophil', source: 'folder' })
    expect(labelCounts(db)).toEqual({ '': 1, neutrophil: 2 })
    const d = ensureDataset(db, 'train')
    expect(addToDataset(db, d, [a, a])).toBe(1)
    expect(labelCounts(db, d)).toEqual({ neutrophil: 1 })
  })
})

describe('slides, datasets, import batches', () => {
  it('finds or creates slides by sample id and lists them with counts', () => {
    const s = ensureSlide(db, 'ORD-17', '/exports/day1')
    expect(ensureSlide(db, 'ORD-17', 'elsewhere')).toBe(s)
    image('aa', s)
    setSlideStatus(db, s, 'classified')
    expect(listSlides(db)).toMatchObject([{ sampleId: 'ORD-17', source: '/exports/day1', status: 'classified', imageCount: 1 }])
    expect(listImages(db, { slideId: s }).map((i) => i.sha256)).toEqual(['aa'])
  })

  it('lists datasets with their images and current labels', () => {
    const s = ensureSlide(db, 'S', 'src')
    const a = image('aa', s).id
    appendLabel(db, { imageId: a, class: 'eosinophil', source: 'folder' })
    const d = ensureDataset(db, 'set')
    expect(ensureDataset(db, 'set')).toBe(d)
    addToDataset(db, d, [a])
    expect(listDatasets(db)).toMatchObject([{ name: 'set', imageCount: 1 }])
    expect(datasetImages(db, d)).toEqual([{ imageId: a, sha256: 'aa', fileName: 'aa.jpg', format: 'jpeg', slideSampleId: 'S', class: 'eosinophil' }])
  })

  it('records file outcomes and marks batches of dead processes interrupted', () => {
    recordImportFile(db, batch, { path: 'a.jpg', status: 'failed', reason: 'truncated', message: 'cut short' })
    expect(importFiles(db, batch)).toMatchObject([{ path: 'a.jpg', status: 'failed', reason: 'truncated', conflict: false }])
    // A batch from this process stays running; one whose process is gone is interrupted.
    expect(markInterruptedBatches(db)).toBe(0)
    db.prepare('UPDATE import_batches SET pid = 2147483646 WHERE id = ?').run(batch)
    expect(markInterruptedBatches(db)).toBe(1)
    expect(getImportBatch(db, batch)?.status).toBe('interrupted')
    const b2 = startImportBatch(db, { sourcePath: '/y', datasetId: null })
    finishImportBatch(db, b2, 'done')
    expect(getImportBatch(db, b2)).toMatchObject({ status: 'done', sourcePath: '/y' })
  })
})
