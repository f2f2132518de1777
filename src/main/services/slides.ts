// The slides service: a slide's rows as the shells list them, its cells page
// by page, and classifying it. The classification rules live here once, so
// the Review screen's job and `wbc classify --slide` follow the same ones: a
// signed slide is refused (reopen it first), a slide that was only imported
// becomes 'classified', one already in review keeps its status, and the
// counts reported apply the slide's Unidentified threshold as its
// differential does.
import type { CellSummary, ClassifyReport, SlideSummary } from '../../shared/api'
import { UNIDENTIFIED } from '../../shared/review'
import { CoreError, notFound } from '../errors'
import type { CellSelection } from '../ml/data/stored-cells'
import type { ClassifyOptions, ClassifyResult } from '../ml/infer/classify-cells'
import { classifySlideCells, groupCounts, groupOfLabel, reviewSettings } from '../review'
import { currentLabel, datasetImages, getImage, getOriginalBytes, listDatasets, listImages, listSlides, type Db, type ImageRow } from '../store'
import { getModel, listPredictions, type PredictionRow } from '../store/models'
import { latestPredictionsOfSlide } from '../store/review'
import { getSlide, getSlideBySampleId, setSlideStatus, type SlideRow } from '../store/slides'

export function slideSummaries(db: Db): SlideSummary[] {
  return listSlides(db).map((s) => ({
    id: s.id,
    sampleId: s.sampleId,
    source: s.source,
    status: s.status,
    cellCount: s.imageCount,
    model: slideModel(db, s.id),
    createdAt: s.createdAt,
    revision: s.revision
  }))
}

/** A slide by its sample id, else by its numeric row id (what a user types). */
export function findSlide(db: Db, ref: string): SlideRow {
  const bySample = getSlideBySampleId(db, ref)
  if (bySample) return bySample
  if (/^\d+$/.test(ref)) {
    const byId = getSlide(db, Number(ref))
    if (byId) return byId
  }
  throw new CoreError('not_found', `no slide "${ref}" (see \`wbc ls\`)`)
}

/** The slide, if it may be classified now (with this stored model, when one is named). */
export function requireClassifiable(db: Db, slideId: number, modelId?: number): SlideRow {
  const slide = getSlide(db, slideId)
  if (!slide) throw notFound(`slide ${slideId}`)
  if (slide.status === 'signed') throw new CoreError('conflict', `slide ${slide.sampleId} is signed: reopen it before classifying it again`)
  if (modelId !== undefined && !getModel(db, modelId)) throw notFound(`model ${modelId}`)
  return slide
}

/**
 * The ML core's classification options without the cell selection (the
 * slide is the selection). `store` (default true) also moves the slide along.
 */
export type ClassifySlideOptions = Omit<ClassifyOptions, keyof CellSelection>

export interface SlideClassification {
  report: ClassifyReport
  /**
   * Cells per gallery group as the slide's differential counts them (stored), or as the model's
   * calls fall under the slide's threshold (not stored). Read when asked: the Review screen's job
   * does not need them (the screen reloads the differential), the CLI prints them.
   */
  counts(): Record<string, number>
  /** The ML core's result (timings, engine, every prediction). */
  result: ClassifyResult
}

/**
 * The ML core, imported once: a dynamic import() of a module already loaded
 * still goes through the module loader (from source, tsx's hooks on their
 * own thread), tens of ms on a busy machine, on every slide.
 */
let mlCore: Promise<typeof import('../ml/infer/classify-cells')> | undefined

/** Classifies a slide's cells by the workflow's rules (see the header). */
export async function classifySlide(db: Db, slideId: number, o: ClassifySlideOptions = {}): Promise<SlideClassification> {
  const slide = requireClassifiable(db, slideId, typeof o.model === 'number' ? o.model : undefined)
  const store = o.store ?? true
  o.onProgress?.({ task: 'classify', done: 0, total: 0, unit: 'cell', message: 'loading the model and the cells' })
  // Loaded on use: the shells' read paths never load TensorFlow.js.
  const { classifyCells } = await (mlCore ??= import('../ml/infer/classify-cells'))
  const r = await classifyCells(db, { ...o, slideId: slide.id, store })
  // Re-read: a reviewer may have started on the slide while the model ran.
  if (store && getSlide(db, slide.id)?.status === 'imported') setSlideStatus(db, slide.id, 'classified')
  const threshold = reviewSettings(db, slide.id).unidentifiedThreshold
  const below = (p: { unidentified: boolean | null; confidence: number }): boolean => p.unidentified === true || p.confidence < threshold
  const counts = (): Record<string, number> => {
    if (store) return groupCounts(db, slide.id)
    const c: Record<string, number> = {}
    for (const p of r.predictions) {
      const group = below(p) ? UNIDENTIFIED : groupOfLabel(p.topClass)
      c[group] = (c[group] ?? 0) + 1
    }
    return c
  }
  return {
    report: {
      slideId: slide.id,
      model: { id: r.modelId, name: getModel(db, r.modelId)?.name ?? `model ${r.modelId}` },
      classified: r.cells,
      unidentified: r.predictions.filter(below).length,
      seconds: r.seconds.total
    },
    counts,
    result: r
  }
}

/** The model most of the slide's cells carry their latest prediction from (null before any classification). */
function slideModel(db: Db, slideId: number): SlideSummary['model'] {
  const perModel = new Map<number, number>()
  for (const p of latestPredictionsOfSlide(db, slideId).values()) perModel.set(p.modelId, (perModel.get(p.modelId) ?? 0) + 1)
  let best: number | null = null
  for (const [id, n] of perModel) if (best === null || n > perModel.get(best)!) best = id
  if (best === null) return null
  return { id: best, name: getModel(db, best)?.name ?? `model ${best}` }
}

/** One page of a slide's or a dataset's cells with their labels and latest predictions. */
export function cellPage(db: Db, sel: { slideId?: number; datasetId?: number; offset: number; limit: number }): { total: number; offset: number; cells: CellSummary[] } {
  const { slideId, datasetId, offset, limit } = sel
  if (slideId !== undefined) {
    const slide = listSlides(db).find((s) => s.id === slideId)
    if (!slide) throw notFound(`slide ${slideId}`)
    const rows = listImages(db, { slideId, offset, limit })
    const predictions = latestPredictions(db, rows.map((r) => r.id))
    // Where the review shows each cell (a class, or Unidentified under the threshold), so a
    // preview never shows the model's call for a cell the review has put in Unidentified.
    const groups = new Map(classifySlideCells(db, slideId).map((c) => [c.id, c.group]))
    return { total: slide.imageCount, offset, cells: rows.map((r) => ({ ...cellSummary(db, r, predictions), reviewGroup: groups.get(r.id) ?? null })) }
  }
  if (!listDatasets(db).some((d) => d.id === datasetId)) throw notFound(`dataset ${datasetId}`)
  const all = datasetImages(db, datasetId!)
  const page = all.slice(offset, offset + limit)
  const predictions = latestPredictions(db, page.map((x) => x.imageId))
  return { total: all.length, offset, cells: page.map((d) => cellSummary(db, getImage(db, d.imageId)!, predictions)) }
}

/** A cell's original file as stored, for display. */
export function cellOriginal(db: Db, id: number): { bytes: Uint8Array; format: string } {
  const image = getImage(db, id)
  const bytes = image && getOriginalBytes(db, id)
  if (!image || !bytes) throw notFound(`cell ${id}`)
  return { bytes, format: image.format }
}

/** The latest prediction of each of these cells (the one review shows when several models ran). */
function latestPredictions(db: Db, imageIds: number[]): Map<number, PredictionRow> {
  const out = new Map<number, PredictionRow>()
  for (const p of listPredictions(db, { imageIds })) {
    const seen = out.get(p.imageId)
    if (!seen || p.createdAt > seen.createdAt || (p.createdAt === seen.createdAt && p.id > seen.id)) out.set(p.imageId, p)
  }
  return out
}

function cellSummary(db: Db, image: ImageRow, predictions: Map<number, PredictionRow>): CellSummary {
  const p = predictions.get(image.id)
  const label = currentLabel(db, image.id)
  return {
    id: image.id,
    slideId: image.slideId,
    label: label?.class ?? null,
    labelSource: label?.source ?? null,
    prediction: p ? { label: p.topClass, confidence: p.confidence, modelId: p.modelId } : null,
    width: image.width,
    height: image.height,
    format: image.format,
    fileName: image.fileName
  }
}
