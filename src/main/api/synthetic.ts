// The contract's synthetic-cell and blind-session methods. Generators and
// quality reports come from the synthetic service (store reads, no
// TensorFlow.js in the core worker). Blind-session methods go through the
// blind service (who sees and takes which session) and the blind core, which
// serves only origin-free views and the pre-rendered images until a session
// is closed; results are refused before.
import type { Method } from '../../shared/api'
import { generatorGrid, generatorSummaries, qualityReport, requireGenerator } from '../services/synthetic'
import { answerAs, cellImageFor, nextCellFor, readerOf, visibleSessions } from '../services/blind'
import { checkRecipe, closeSession, inviteReader, sessionReaders } from '../blind/session'
import { blindResults } from '../blind/results'
import type { Handlers } from './dispatch'
import type { ApiContext } from './handlers'

type SyntheticMethod = Extract<
  Method,
  'synthetic.generators' | 'synthetic.grid' | 'synthetic.report' | 'blind.list' | 'blind.create' | 'blind.next' | 'blind.cell' | 'blind.answer' | 'blind.close' | 'blind.results' | 'blind.invite' | 'blind.readers'
>

export function syntheticHandlers(ctx: ApiContext): Pick<Handlers, SyntheticMethod> {
  return {
    'synthetic.generators': () => generatorSummaries(ctx.db),
    'synthetic.grid': ({ generatorId }) => ({ mime: 'image/png' as const, bytes: generatorGrid(ctx.db, requireGenerator(ctx.db, generatorId)).png }),
    'synthetic.report': ({ generatorId, reportId }) => qualityReport(ctx.db, { generatorId, reportId }),
    'blind.list': (_input, { caller }) => visibleSessions(ctx.db, caller),
    'blind.create': (recipe, { caller }) => {
      // Checked here so a bad recipe is refused at once rather than as a failed job.
      checkRecipe(ctx.db, recipe)
      const job = ctx.jobs.start('blind', `blind session ${recipe.name}`, { ...recipe, createdBy: caller.name, createdByUser: caller.userId })
      return { jobId: job.id }
    },
    'blind.next': ({ sessionId, position }, { caller }) => nextCellFor(ctx.db, caller, sessionId, position),
    'blind.cell': ({ sessionId, cellId }, { caller }) => ({ mime: 'image/png' as const, bytes: cellImageFor(ctx.db, caller, sessionId, cellId) }),
    'blind.answer': (a, { caller }) => answerAs(ctx.db, caller, a),
    'blind.invite': ({ sessionId, reader }, { caller }) => inviteReader(ctx.db, sessionId, readerOf(caller), reader),
    'blind.readers': ({ sessionId }) => sessionReaders(ctx.db, sessionId),
    'blind.close': ({ sessionId }) => closeSession(ctx.db, sessionId),
    'blind.results': ({ sessionId }) => blindResults(ctx.db, sessionId)
  }
}
