// The contract's synthetic-cell jobs: starting (or resuming) a class's GAN
// training and generating cells from a generator, as jobs (tasks/gan.ts).
import type { Method } from '../../shared/api'
import { defaultGeneratorName } from '../../shared/synthetic'
import { getGenerator, getGeneratorByName, listDatasets } from '../store'
import type { Handlers } from './dispatch'
import { ApiFailure, notFound } from './errors'
import type { ApiContext } from './handlers'

type GanMethod = Extract<Method, 'gan.start' | 'synthetic.generate'>

export function ganHandlers(ctx: Pick<ApiContext, 'db' | 'jobs'>): Pick<Handlers, GanMethod> {
  return {
    'gan.start': (p) => {
      const name = p.name ?? defaultGeneratorName(p.class, p.preset)
      const existing = getGeneratorByName(ctx.db, name)
      if (existing && existing.class !== p.class) throw new ApiFailure('conflict', `generator ${name} makes ${existing.class}, not ${p.class}`)
      if (p.datasetId !== undefined && !listDatasets(ctx.db).some((d) => d.id === p.datasetId)) throw notFound(`dataset ${p.datasetId}`)
      const busy = ctx.jobs.list().find((j) => j.state === 'running' && j.kind === 'gan' && j.title.startsWith(`${name}:`))
      if (busy) throw new ApiFailure('conflict', `generator ${name} is already training`)
      const job = ctx.jobs.start('gan', `${name}: ${p.class}, ${p.preset} preset, to step ${p.steps}`, { ...p, name })
      return { jobId: job.id }
    },
    'synthetic.generate': ({ generatorId, count, seed }) => {
      const g = getGenerator(ctx.db, generatorId)
      if (!g) throw notFound(`generator ${generatorId}`)
      if (g.steps === 0) throw new ApiFailure('conflict', `generator ${g.name} has no checkpoint yet: train it first`)
      const job = ctx.jobs.start('generate', `${count} ${g.class} cells from ${g.name}`, { generatorId, count, seed })
      return { jobId: job.id }
    }
  }
}
