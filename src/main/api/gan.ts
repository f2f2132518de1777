// The contract's synthetic-cell jobs: starting (or resuming) a class's GAN
// training, generating cells from a generator and the quality report, as jobs (tasks/gan.ts),
// once the synthetic service has checked the request.
import type { Method } from '../../shared/api'
import { defaultGeneratorName } from '../../shared/synthetic'
import { checkGanStart, checkQualityReport, requireTrainedGenerator } from '../services/synthetic'
import type { Handlers } from './dispatch'
import type { ApiContext } from './handlers'

type GanMethod = Extract<Method, 'gan.start' | 'synthetic.generate' | 'synthetic.runReport'>

export function ganHandlers(ctx: Pick<ApiContext, 'db' | 'jobs'>): Pick<Handlers, GanMethod> {
  return {
    'gan.start': (p) => {
      const name = p.name ?? defaultGeneratorName(p.class, p.preset)
      checkGanStart(ctx.db, { name, class: p.class, datasetId: p.datasetId }, ctx.jobs.list())
      const job = ctx.jobs.start('gan', `${name}: ${p.class}, ${p.preset} preset, to step ${p.steps}`, { ...p, name })
      return { jobId: job.id }
    },
    'synthetic.generate': ({ generatorId, count, seed }) => {
      const g = requireTrainedGenerator(ctx.db, generatorId)
      const job = ctx.jobs.start('generate', `${count} ${g.class} cells from ${g.name}`, { generatorId, count, seed })
      return { jobId: job.id }
    },
    'synthetic.runReport': (p) => {
      const gens = checkQualityReport(ctx.db, p.generatorIds)
      const job = ctx.jobs.start('quality', `quality report: ${gens.map((g) => g.name).join(', ')}`, { ...p })
      return { jobId: job.id }
    }
  }
}
