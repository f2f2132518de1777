// The one implementation of the contract in src/shared/api.ts: each handler
// receives an already validated input and calls the core (store, import,
// ml ...). Transport-agnostic: the Electron IPC shell and the HTTP server
// both reach these through dispatch().
import { existsSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import type { CellSummary, SlideSummary } from '../../shared/api'
import { currentLabel, datasetImages, getImage, getOriginalBytes, labelCounts, listDatasets, listImages, listSlides, type Db, type ImageRow } from '../store'
import { getModel, listPredictions, type PredictionRow } from '../store/models'
import { latestPredictionsOfSlide } from '../store/review'
import { getSlide } from '../store/slides'
import type { Handlers } from './dispatch'
import type { EventBus } from './events'
import type { JobRunner } from './jobs'
import { ApiFailure, notFound } from './errors'
import { listFolder } from './folders'
import { displayImage } from './images'
import { reviewHandlers } from './review'
import { modelHandlers } from './models'
import { ganHandlers } from './gan'
import { syntheticHandlers } from './synthetic'

export interface ApiContext {
  shell: 'desktop' | 'browser'
  version: string
  dbPath: string
  /** The main-side connection for reads; jobs write through their own. */
  db: Db
  events: EventBus
  jobs: JobRunner
  /** The ML backend once the ml core has chosen one. */
  mlBackend: () => string | null
}

export function createHandlers(ctx: ApiContext): Handlers {
  return {
    'app.info': () => ({
      name: 'WBC Workstation',
      version: ctx.version,
      shell: ctx.shell,
      mlBackend: ctx.mlBackend(),
      dbPath: ctx.dbPath,
      storeReady: true
    }),
    'datasets.list': () =>
      listDatasets(ctx.db).map((d) => ({
        id: d.id,
        name: d.name,
        description: d.description,
        imageCount: d.imageCount,
        labelCounts: labelCounts(ctx.db, d.id),
        createdAt: d.createdAt
      })),
    'slides.list': () =>
      listSlides(ctx.db).map(
        (s): SlideSummary => ({
          id: s.id,
          sampleId: s.sampleId,
          source: s.source,
          status: s.status,
          cellCount: s.imageCount,
          model: slideModel(ctx.db, s.id),
          createdAt: s.createdAt
        })
      ),
    'slides.classify': ({ slideId, modelId }) => {
      const slide = getSlide(ctx.db, slideId)
      if (!slide) throw notFound(`slide ${slideId}`)
      if (slide.status === 'signed') throw new ApiFailure('conflict', `slide ${slide.sampleId} is signed: reopen it before classifying it again`)
      if (modelId !== undefined && !getModel(ctx.db, modelId)) throw notFound(`model ${modelId}`)
      const job = ctx.jobs.start('classify', slide.sampleId, { slideId, ...(modelId !== undefined ? { modelId } : {}) })
      return { jobId: job.id }
    },
    'cells.list': ({ slideId, datasetId, offset, limit }) => {
      if (slideId !== undefined) {
        const slide = listSlides(ctx.db).find((s) => s.id === slideId)
        if (!slide) throw notFound(`slide ${slideId}`)
        const rows = listImages(ctx.db, { slideId, offset, limit })
        const predictions = latestPredictions(ctx.db, rows.map((r) => r.id))
        return { total: slide.imageCount, offset, cells: rows.map((r) => cellSummary(ctx.db, r, predictions)) }
      }
      if (!listDatasets(ctx.db).some((d) => d.id === datasetId)) throw notFound(`dataset ${datasetId}`)
      const all = datasetImages(ctx.db, datasetId!)
      const page = all.slice(offset, offset + limit)
      const predictions = latestPredictions(ctx.db, page.map((x) => x.imageId))
      return {
        total: all.length,
        offset,
        cells: page.map((d) => cellSummary(ctx.db, getImage(ctx.db, d.imageId)!, predictions))
      }
    },
    'cell.image': async ({ id }) => {
      const image = getImage(ctx.db, id)
      const bytes = image && getOriginalBytes(ctx.db, id)
      if (!image || !bytes) throw notFound(`cell ${id}`)
      return displayImage(bytes, image.format)
    },
    'folders.list': ({ path }) => listFolder(path),
    'import.start': ({ path, dataset, keepUnknownClasses }) => {
      if (!isAbsolute(path)) throw new ApiFailure('invalid_input', 'give the full path of the folder (it is read on the machine running the workstation)')
      if (!existsSync(path)) throw new ApiFailure('not_found', `no such file or folder: ${path}`)
      const job = ctx.jobs.start('import', path, { path, dataset, keepUnknownClasses })
      return { jobId: job.id }
    },
    'jobs.get': ({ jobId }) => {
      const job = ctx.jobs.get(jobId)
      if (!job) throw notFound(`job ${jobId}`)
      return job
    },
    'jobs.list': () => ctx.jobs.list(),
    'jobs.cancel': ({ jobId }) => {
      if (!ctx.jobs.get(jobId)) throw notFound(`job ${jobId}`)
      return { cancelled: ctx.jobs.cancel(jobId) }
    },
    ...reviewHandlers(ctx),
    ...modelHandlers(ctx),
    ...syntheticHandlers(ctx),
    ...ganHandlers(ctx)
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

/** The latest prediction of each of these cells (the one review shows when several models ran). */
function latestPredictions(db: Db, imageIds: number[]): Map<number, PredictionRow> {
  const out = new Map<number, PredictionRow>()
  for (const p of listPredictions(db, { imageIds })) {
    const seen = out.get(p.imageId)
    if (!seen || p.createdAt > seen.createdAt || (p.createdAt === seen.createdAt && p.id > seen.id)) out.set(p.imageId, p)
  }
  return out
}

function cellSummary(db: Db, image: ImageRow, predictions: Map<number, PredictionRow> = new Map()): CellSummary {
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
