// The contract's synthetic-cell and blind-session methods. Generators and
// quality reports come from the synthetic service (store reads, no
// TensorFlow.js in the core worker). Blind-session methods serve only origin-free views and the
// pre-rendered images until a session is closed; results are refused before.
import type { Method } from '../../shared/api'
import { generatorGrid, generatorSummaries, qualityReport, requireGenerator } from '../services/synthetic'
import { BlindSessionError, answerCell, cellImage, checkRecipe, closeSession, listSessionViews, nextCell } from '../blind/session'
import { blindResults } from '../blind/results'
import type { Handlers } from './dispatch'
import { ApiFailure } from './errors'
import type { ApiContext } from './handlers'

type SyntheticMethod = Extract<
  Method,
  'synthetic.generators' | 'synthetic.grid' | 'synthetic.report' | 'blind.list' | 'blind.create' | 'blind.next' | 'blind.cell' | 'blind.answer' | 'blind.close' | 'blind.results'
>

/** Blind-session errors as contract errors. */
function blind<T>(f: () => T): T {
  try {
    return f()
  } catch (err) {
    if (err instanceof BlindSessionError) throw new ApiFailure(err.code, err.message)
    throw err
  }
}

export function syntheticHandlers(ctx: ApiContext): Pick<Handlers, SyntheticMethod> {
  return {
    'synthetic.generators': () => generatorSummaries(ctx.db),
    'synthetic.grid': ({ generatorId }) => ({ mime: 'image/png' as const, bytes: generatorGrid(ctx.db, requireGenerator(ctx.db, generatorId)).png }),
    'synthetic.report': ({ generatorId, reportId }) => qualityReport(ctx.db, { generatorId, reportId }),
    'blind.list': () => listSessionViews(ctx.db),
    'blind.create': (recipe, { caller }) => {
      // Checked here so a bad recipe is refused at once rather than as a failed job.
      blind(() => checkRecipe(ctx.db, recipe))
      const job = ctx.jobs.start('blind', `blind session ${recipe.name}`, { ...recipe, createdBy: caller.name })
      return { jobId: job.id }
    },
    'blind.next': ({ sessionId, position }) => blind(() => nextCell(ctx.db, sessionId, position)),
    'blind.cell': ({ sessionId, cellId }) => blind(() => ({ mime: 'image/png' as const, bytes: cellImage(ctx.db, sessionId, cellId) })),
    'blind.answer': (a, { caller }) => blind(() => answerCell(ctx.db, { ...a, who: caller.name, userId: caller.userId })),
    'blind.close': ({ sessionId }) => blind(() => closeSession(ctx.db, sessionId)),
    'blind.results': ({ sessionId }) => blind(() => blindResults(ctx.db, sessionId))
  }
}
