// The contract's synthetic-cell and blind-session methods. Generators and
// quality reports come from the synthetic service (store reads, no
// TensorFlow.js in the core worker). Blind-session methods serve only origin-free views and the
// pre-rendered images until a session is closed; results are refused before.
import type { Method } from '../../shared/api'
import { generatorGrid, generatorSummaries, qualityReport, requireGenerator } from '../services/synthetic'
import { BlindSessionError, answerCell, cellImage, checkRecipe, closeSession, inviteReader, listSessionViews, nextCell, sessionReaders } from '../blind/session'
import { invitedBlindSessionIds, isInvitedToBlindSession, type BlindReader } from '../store'
import type { Caller } from '../../shared/people'
import { blindResults } from '../blind/results'
import type { Handlers } from './dispatch'
import { ApiFailure } from './errors'
import type { ApiContext } from './handlers'

type SyntheticMethod = Extract<
  Method,
  'synthetic.generators' | 'synthetic.grid' | 'synthetic.report' | 'blind.list' | 'blind.create' | 'blind.next' | 'blind.cell' | 'blind.answer' | 'blind.close' | 'blind.results' | 'blind.invite' | 'blind.readers'
>

/** The organiser sees every session; anyone else (a reader) only those they are invited to. */
const organises = (caller: Caller): boolean => caller.roles.includes('organiser')
const readerOf = (caller: Caller): BlindReader => ({ userId: caller.userId, name: caller.name })

/**
 * A reader may take a session only when invited to it. Any other session is
 * `not_found` to them (not `forbidden`), so a reader cannot even learn which
 * session ids exist.
 */
function mayTake(ctx: ApiContext, caller: Caller, sessionId: number): void {
  if (organises(caller)) return
  if (caller.userId === null || !isInvitedToBlindSession(ctx.db, sessionId, caller.userId)) throw new ApiFailure('not_found', `blind session ${sessionId} not found`)
}

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
    'blind.list': (_input, { caller }) =>
      organises(caller)
        ? listSessionViews(ctx.db)
        : listSessionViews(ctx.db, { only: caller.userId === null ? new Set() : invitedBlindSessionIds(ctx.db, caller.userId), reader: readerOf(caller) }),
    'blind.create': (recipe, { caller }) => {
      // Checked here so a bad recipe is refused at once rather than as a failed job.
      blind(() => checkRecipe(ctx.db, recipe))
      const job = ctx.jobs.start('blind', `blind session ${recipe.name}`, { ...recipe, createdBy: caller.name })
      return { jobId: job.id }
    },
    'blind.next': ({ sessionId, position }, { caller }) => {
      mayTake(ctx, caller, sessionId)
      return blind(() => nextCell(ctx.db, sessionId, readerOf(caller), position))
    },
    'blind.cell': ({ sessionId, cellId }, { caller }) => {
      mayTake(ctx, caller, sessionId)
      return blind(() => ({ mime: 'image/png' as const, bytes: cellImage(ctx.db, sessionId, cellId) }))
    },
    'blind.answer': (a, { caller }) => {
      mayTake(ctx, caller, a.sessionId)
      return blind(() => answerCell(ctx.db, readerOf(caller), a))
    },
    'blind.invite': ({ sessionId, reader }, { caller }) => blind(() => inviteReader(ctx.db, sessionId, readerOf(caller), reader)),
    'blind.readers': ({ sessionId }) => blind(() => sessionReaders(ctx.db, sessionId)),
    'blind.close': ({ sessionId }) => blind(() => closeSession(ctx.db, sessionId)),
    'blind.results': ({ sessionId }) => blind(() => blindResults(ctx.db, sessionId))
  }
}
