// The one implementation of the contract in src/shared/api.ts: each handler
// receives an already validated input and calls the core (store, import,
// ml ...). Transport-agnostic: the Electron IPC shell and the HTTP server
// both reach these through dispatch().
import { existsSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import type { CellSummary, SlideSummary } from '../../shared/api'
import { currentLabel, datasetImages, getImage, getOriginalBytes, labelCounts, listDatasets, listImages, listSlides, type Db, type ImageRow } from '../store'
import type { Handlers } from './dispatch'
import type { EventBus } from './events'
import type { JobRunner } from './jobs'
import { ApiFailure, notFound } from './errors'
import { listFolder } from './folders'
import { displayImage } from './images'
import { reviewHandlers } from './review'

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
          // Predictions arrive with the ml core; until a slide is classified it has no model.
          model: null,
          createdAt: s.createdAt
        })
      ),
    'cells.list': ({ slideId, datasetId, offset, limit }) => {
      if (slideId !== undefined) {
        const slide = listSlides(ctx.db).find((s) => s.id === slideId)
        if (!slide) throw notFound(`slide ${slideId}`)
        const rows = listImages(ctx.db, { slideId, offset, limit })
        return { total: slide.imageCount, offset, cells: rows.map((r) => cellSummary(ctx.db, r)) }
      }
      if (!listDatasets(ctx.db).some((d) => d.id === datasetId)) throw notFound(`dataset ${datasetId}`)
      const all = datasetImages(ctx.db, datasetId!)
      const page = all.slice(offset, offset + limit)
      return {
        total: all.length,
        offset,
        cells: page.map((d) => cellSummary(ctx.db, getImage(ctx.db, d.imageId)!))
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
    ...reviewHandlers(ctx)
  }
}

function cellSummary(db: Db, image: ImageRow): CellSummary {
  const label = currentLabel(db, image.id)
  return {
    id: image.id,
    slideId: image.slideId,
    label: label?.class ?? null,
    labelSource: label?.source ?? null,
    prediction: null,
    width: image.width,
    height: image.height,
    format: image.format,
    fileName: image.fileName
  }
}
