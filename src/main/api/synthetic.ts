// The contract's synthetic-cell and blind-session methods. Generators and
// quality reports are read from the store (no TensorFlow.js in the core
// worker). Blind-session methods serve only origin-free views and the
// pre-rendered images until a session is closed; results are refused before.
import type { Method } from '../../shared/api'
import type { GeneratorSummary, QualityReport } from '../../shared/synthetic'
import {
  checkpointGrid,
  countSyntheticImages,
  effectiveGeneratorStatus,
  getGenerator,
  getSyntheticReport,
  latestCheckpoint,
  latestReportFor,
  listCheckpoints,
  listGenerators,
  type GeneratorRow
} from '../store'
import { BlindSessionError, answerCell, cellImage, closeSession, createBlindSession, listSessionViews, nextCell } from '../blind/session'
import { blindResults } from '../blind/results'
import type { Handlers } from './dispatch'
import { ApiFailure, notFound } from './errors'
import type { ApiContext } from './handlers'

type SyntheticMethod = Extract<
  Method,
  'synthetic.generators' | 'synthetic.grid' | 'synthetic.report' | 'blind.list' | 'blind.create' | 'blind.next' | 'blind.cell' | 'blind.answer' | 'blind.close' | 'blind.results'
>

function generatorSummary(ctx: ApiContext, g: GeneratorRow): GeneratorSummary {
  const withGrid = listCheckpoints(ctx.db, g.id).filter((c) => checkpointGrid(ctx.db, c.id))
  return {
    id: g.id,
    name: g.name,
    class: g.class,
    preset: g.preset,
    status: effectiveGeneratorStatus(g),
    steps: g.steps,
    targetSteps: g.targetSteps,
    size: (JSON.parse(g.settingsJson) as { size: number }).size,
    backend: g.backend,
    metrics: Object.fromEntries(Object.entries(JSON.parse(g.metricsJson) as Record<string, unknown>).filter(([k, v]) => typeof v === 'number' && k !== 'pid')) as Record<string, number>,
    cells: countSyntheticImages(ctx.db, g.id),
    gridStep: withGrid.at(-1)?.step ?? null,
    trainingData: g.trainingData,
    attribution: g.attribution,
    reportId: latestReportFor(ctx.db, g.id)?.id ?? null,
    updatedAt: g.updatedAt
  }
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
    'synthetic.generators': () => listGenerators(ctx.db).map((g) => generatorSummary(ctx, g)),
    'synthetic.grid': ({ generatorId }) => {
      const g = getGenerator(ctx.db, generatorId)
      if (!g) throw notFound(`generator ${generatorId}`)
      const withGrid = listCheckpoints(ctx.db, g.id).filter((c) => checkpointGrid(ctx.db, c.id))
      const ck = withGrid.at(-1) ?? latestCheckpoint(ctx.db, g.id)
      const png = ck && checkpointGrid(ctx.db, ck.id)
      if (!png) throw notFound(`a sample grid of generator ${g.name}`)
      return { mime: 'image/png' as const, bytes: new Uint8Array(png.buffer, png.byteOffset, png.byteLength) }
    },
    'synthetic.report': ({ generatorId, reportId }) => {
      const row = reportId !== undefined ? getSyntheticReport(ctx.db, reportId) : latestReportFor(ctx.db, generatorId!)
      if (!row) {
        if (reportId !== undefined) throw notFound(`quality report ${reportId}`)
        return null
      }
      return { ...(JSON.parse(row.reportJson) as QualityReport), id: row.id }
    },
    'blind.list': () => listSessionViews(ctx.db),
    'blind.create': async ({ who, ...recipe }) => {
      try {
        return await createBlindSession(ctx.db, { ...recipe, createdBy: who })
      } catch (err) {
        if (err instanceof BlindSessionError) throw new ApiFailure(err.code, err.message)
        throw err
      }
    },
    'blind.next': ({ sessionId, position }) => blind(() => nextCell(ctx.db, sessionId, position)),
    'blind.cell': ({ sessionId, cellId }) => blind(() => ({ mime: 'image/png' as const, bytes: cellImage(ctx.db, sessionId, cellId) })),
    'blind.answer': (a) => blind(() => answerCell(ctx.db, a)),
    'blind.close': ({ sessionId }) => blind(() => closeSession(ctx.db, sessionId)),
    'blind.results': ({ sessionId }) => blind(() => blindResults(ctx.db, sessionId))
  }
}
