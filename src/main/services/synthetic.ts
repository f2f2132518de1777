// The synthetic-cells service: generators as the shells list them, a
// generator's sample grid, its quality reports, and the rules a GAN training
// or a generation request must pass before a job starts (a generator's name
// keeps its class, one training per generator, generation needs a
// checkpoint). Reads go straight to the store: no TensorFlow.js.
import { importShippedGenerators } from '../synthetic/shipped'
import { join } from 'node:path'
import { checkGeneratorName, type GeneratorSummary, type QualityReport } from '../../shared/synthetic'
import { workDirOf } from '../paths'
import { CoreError, notFound } from '../errors'
import {
  checkpointGrid,
  countSyntheticImages,
  effectiveGeneratorStatus,
  getGenerator,
  getGeneratorByName,
  getSyntheticReport,
  latestCheckpoint,
  latestReportFor,
  listCheckpoints,
  listDatasets,
  listGenerators,
  type Db,
  type GeneratorRow
} from '../store'

/** Where a generator's resumable training state is kept: beside the database (workDirOf), one folder per generator name (a checked name: never '.', '..' or a separator). */
export function ganCheckpointDir(dbPath: string, name: string): string {
  return join(workDirOf(dbPath), 'gan', checkGeneratorName(name))
}

/** The latest checkpoint that has a sample grid (a checkpoint written mid-step may not have one yet). */
function latestGridCheckpoint(db: Db, generatorId: number) {
  return listCheckpoints(db, generatorId).filter((c) => checkpointGrid(db, c.id)).at(-1)
}

export function generatorSummary(db: Db, g: GeneratorRow): GeneratorSummary {
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
    cells: countSyntheticImages(db, g.id),
    gridStep: latestGridCheckpoint(db, g.id)?.step ?? null,
    trainingData: g.trainingData,
    attribution: g.attribution,
    reportId: latestReportFor(db, g.id)?.id ?? null,
    updatedAt: g.updatedAt
  }
}

/** Every generator; shipped ones (resources/generators) become rows on first sight, so a fresh install lists them. */
export function generatorSummaries(db: Db): GeneratorSummary[] {
  importShippedGenerators(db)
  return listGenerators(db).map((g) => generatorSummary(db, g))
}

export function requireGenerator(db: Db, id: number): GeneratorRow {
  const g = getGenerator(db, id)
  if (!g) throw notFound(`generator ${id}`)
  return g
}

/** A generator by id or by name (what a user types). */
export function findGenerator(db: Db, ref: string): GeneratorRow {
  const g = /^\d+$/.test(ref) ? getGenerator(db, Number(ref)) : getGeneratorByName(db, ref)
  if (!g) throw new CoreError('not_found', `no generator ${ref} (wbc gan ls lists them)`)
  return g
}

/** The generator's newest sample grid (PNG) and the step it shows. */
export function generatorGrid(db: Db, g: GeneratorRow): { step: number; png: Uint8Array } {
  const ck = latestGridCheckpoint(db, g.id) ?? latestCheckpoint(db, g.id)
  const png = ck && checkpointGrid(db, ck.id)
  if (!ck || !png) throw notFound(`a sample grid of generator ${g.name}`)
  return { step: ck.step, png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength) }
}

/** A quality report by id, else the generator's latest (null when it has none yet). */
export function qualityReport(db: Db, q: { generatorId?: number; reportId?: number }): (QualityReport & { id: number }) | null {
  const row = q.reportId !== undefined ? getSyntheticReport(db, q.reportId) : latestReportFor(db, q.generatorId!)
  if (!row) {
    if (q.reportId !== undefined) throw notFound(`quality report ${q.reportId}`)
    return null
  }
  return { ...(JSON.parse(row.reportJson) as QualityReport), id: row.id }
}

/**
 * A GAN training request may start: a generator's name keeps the class it
 * makes, the dataset exists, and a generator trains once at a time.
 * `running`: the work now running (the job runner's list; its GAN jobs are titled `<name>: ...`).
 */
export function checkGanStart(db: Db, p: { name: string; class: string; datasetId?: number }, running: readonly { kind: string; title: string; state: string }[]): void {
  const existing = getGeneratorByName(db, p.name)
  if (existing && existing.class !== p.class) throw new CoreError('conflict', `generator ${p.name} makes ${existing.class}, not ${p.class}`)
  if (p.datasetId !== undefined && !listDatasets(db).some((d) => d.id === p.datasetId)) throw notFound(`dataset ${p.datasetId}`)
  if (running.some((j) => j.state === 'running' && j.kind === 'gan' && j.title.startsWith(`${p.name}:`))) throw new CoreError('conflict', `generator ${p.name} is already training`)
}

/** The generator to generate cells from, if it has a checkpoint. */
export function requireTrainedGenerator(db: Db, id: number): GeneratorRow {
  const g = requireGenerator(db, id)
  if (g.steps === 0) throw new CoreError('conflict', `generator ${g.name} has no checkpoint yet: train it first`)
  return g
}

/** The generators of a quality report: each trained, one per class (refused before a job starts). */
export function checkQualityReport(db: Db, ids: number[]): GeneratorRow[] {
  const gens = ids.map((id) => requireTrainedGenerator(db, id))
  const classes = new Set(gens.map((g) => g.class))
  if (classes.size !== gens.length) throw new CoreError('invalid_input', 'give one generator per class')
  return gens
}
