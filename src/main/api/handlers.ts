// The one implementation of the contract in src/shared/api.ts: each handler
// receives an already validated input, calls a core service
// (src/main/services: slides, imports, models, runs, synthetic; review and
// blind sessions through their own cores) and returns what it gives; the
// workflow rules live in the services. Transport-agnostic: the Electron IPC
// shell and the HTTP server both reach these through dispatch().
import { existsSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import type { Db } from '../store'
import { datasetSummaries } from '../services/imports'
import { cellOriginal, cellPage, requireClassifiable, slideSummaries } from '../services/slides'
import type { Handlers } from './dispatch'
import type { EventBus } from './events'
import type { JobRunner } from './jobs'
import { ApiFailure, notFound } from './errors'
import { listFolder } from './folders'
import { allowedPath, type ImportRoots } from './import-roots'
import { displayImage } from './images'
import { reviewHandlers } from './review'
import { orderHandlers } from './order'
import { modelHandlers } from './models'
import { ganHandlers } from './gan'
import { syntheticHandlers } from './synthetic'
import { lisHandlers } from './lis'
import type { OutboxCourier } from '../lis'
import { peopleHandlers } from './people'
import { workerHandlers } from './workers'
import type { LabQueue } from '../queue/lab-queue'

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
  /** Folders imports may come from (./import-roots); null: anywhere. */
  importRoots: ImportRoots
  /** The background sender of the LIS outbox (absent where nothing sends, e.g. a contract test). */
  outbox?: OutboxCourier
  /** How long a browser session may sit idle (shown to the UI); null where the shell has no such limit. */
  sessionIdleMinutes?: number | null
  /** The training queue, on a lab server started with Redis (docs/scale.md); absent: training runs here. */
  labQueue?: LabQueue
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
    'datasets.list': () => datasetSummaries(ctx.db),
    'slides.list': () => slideSummaries(ctx.db),
    'slides.classify': ({ slideId, modelId }) => {
      const slide = requireClassifiable(ctx.db, slideId, modelId)
      const job = ctx.jobs.start('classify', slide.sampleId, { slideId, ...(modelId !== undefined ? { modelId } : {}) })
      return { jobId: job.id }
    },
    'cells.list': (sel) => cellPage(ctx.db, sel),
    'cell.image': async ({ id }) => {
      const { bytes, format } = cellOriginal(ctx.db, id)
      return displayImage(bytes, format)
    },
    'folders.list': ({ path }) => listFolder(path, ctx.importRoots),
    'import.start': async ({ path: given, dataset, keepUnknownClasses }) => {
      if (!isAbsolute(given)) throw new ApiFailure('invalid_input', 'give the full path of the folder (it is read on the machine running the workstation)')
      const path = await allowedPath(given, ctx.importRoots)
      if (!existsSync(path)) throw new ApiFailure('not_found', `no such file or folder: ${path}`)
      const job = ctx.jobs.start('import', path, { path, dataset, keepUnknownClasses, confineTo: ctx.importRoots })
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
    ...orderHandlers(ctx),
    ...modelHandlers(ctx),
    ...syntheticHandlers(ctx),
    ...ganHandlers(ctx),
    ...lisHandlers(ctx),
    ...peopleHandlers(ctx),
    ...workerHandlers(ctx)
  }
}
