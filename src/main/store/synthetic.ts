// Synthetic cells: GAN generators, their checkpointed generator weights,
// generated cells with provenance, and quality reports. Generated cells are
// kept apart from `images` so they never enter a real dataset by accident.
import type { Db } from './db'
import { nowIso } from './db'
import { stmt } from './statements'
import { processAlive } from './live-process'

export type GeneratorStatus = 'created' | 'training' | 'stopped' | 'done' | 'failed'

export interface GeneratorRow {
  id: number
  name: string
  class: string
  preset: string
  settingsJson: string
  status: GeneratorStatus
  steps: number
  targetSteps: number
  backend: string
  trainingData: string
  attribution: string
  checkpointDir: string | null
  metricsJson: string
  createdAt: string
  updatedAt: string
}

const GEN_COLS = `id, name, class, preset, settings_json AS settingsJson, status, steps, target_steps AS targetSteps, backend,
  training_data AS trainingData, attribution, checkpoint_dir AS checkpointDir, metrics_json AS metricsJson,
  created_at AS createdAt, updated_at AS updatedAt`

export interface NewGenerator {
  name: string
  class: string
  preset: string
  settingsJson: string
  targetSteps: number
  trainingData?: string
  attribution?: string
  checkpointDir?: string | null
}

export function createGenerator(db: Db, g: NewGenerator): number {
  const at = nowIso()
  return Number(
    stmt(
      db,
      `INSERT INTO gan_generators (name, class, preset, settings_json, status, target_steps, training_data, attribution, checkpoint_dir, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'created', ?, ?, ?, ?, ?, ?)`
    ).run(g.name, g.class, g.preset, g.settingsJson, g.targetSteps, g.trainingData ?? '', g.attribution ?? '', g.checkpointDir ?? null, at, at)
      .lastInsertRowid
  )
}

export function getGenerator(db: Db, id: number): GeneratorRow | undefined {
  return stmt<[number], GeneratorRow>(db, `SELECT ${GEN_COLS} FROM gan_generators WHERE id = ?`).get(id)
}

export function getGeneratorByName(db: Db, name: string): GeneratorRow | undefined {
  return stmt<[string], GeneratorRow>(db, `SELECT ${GEN_COLS} FROM gan_generators WHERE name = ?`).get(name)
}

/**
 * The status to show: a generator recorded as training whose training process
 * (pid kept in its metrics) is gone was killed; it resumes from its checkpoint.
 */
export function effectiveGeneratorStatus(g: Pick<GeneratorRow, 'status' | 'metricsJson'>): GeneratorStatus {
  if (g.status !== 'training') return g.status
  const pid = (JSON.parse(g.metricsJson) as { pid?: unknown }).pid
  if (typeof pid !== 'number') return g.status
  return processAlive(pid) ? 'training' : 'stopped'
}

export function listGenerators(db: Db): GeneratorRow[] {
  return stmt<[], GeneratorRow>(db, `SELECT ${GEN_COLS} FROM gan_generators ORDER BY id`).all()
}

export function updateGenerator(
  db: Db,
  id: number,
  patch: Partial<Pick<GeneratorRow, 'status' | 'steps' | 'targetSteps' | 'backend' | 'metricsJson' | 'checkpointDir'>>
): void {
  const cur = getGenerator(db, id)
  if (!cur) throw new Error(`generator ${id} not found`)
  const next = { ...cur, ...patch }
  stmt(
    db,
    `UPDATE gan_generators SET status = ?, steps = ?, target_steps = ?, backend = ?, metrics_json = ?, checkpoint_dir = ?, updated_at = ? WHERE id = ?`
  ).run(next.status, next.steps, next.targetSteps, next.backend, next.metricsJson, next.checkpointDir, nowIso(), id)
}

export interface CheckpointRow {
  id: number
  generatorId: number
  step: number
  lossesJson: string
  createdAt: string
}

const CK_COLS = 'id, generator_id AS generatorId, step, losses_json AS lossesJson, created_at AS createdAt'

/** Stores the generator's weights at a step (replacing an earlier save of the same step). */
export function saveGeneratorCheckpoint(
  db: Db,
  generatorId: number,
  step: number,
  weights: Float32Array,
  gridPng?: Uint8Array | null,
  losses: Record<string, number> = {}
): number {
  const bytes = Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength)
  const found = stmt<[number, number], { id: number }>(db, 'SELECT id FROM gan_checkpoints WHERE generator_id = ? AND step = ?').get(generatorId, step)
  if (found) {
    stmt(db, 'UPDATE gan_checkpoints SET weights = ?, grid_png = ?, losses_json = ? WHERE id = ?').run(bytes, gridPng ? Buffer.from(gridPng) : null, JSON.stringify(losses), found.id)
    return found.id
  }
  return Number(
    stmt(db, 'INSERT INTO gan_checkpoints (generator_id, step, weights, grid_png, losses_json, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      generatorId,
      step,
      bytes,
      gridPng ? Buffer.from(gridPng) : null,
      JSON.stringify(losses),
      nowIso()
    ).lastInsertRowid
  )
}

export function listCheckpoints(db: Db, generatorId: number): CheckpointRow[] {
  return stmt<[number], CheckpointRow>(db, `SELECT ${CK_COLS} FROM gan_checkpoints WHERE generator_id = ? ORDER BY step`).all(generatorId)
}

export function getCheckpoint(db: Db, id: number): CheckpointRow | undefined {
  return stmt<[number], CheckpointRow>(db, `SELECT ${CK_COLS} FROM gan_checkpoints WHERE id = ?`).get(id)
}

/** The newest checkpoint of a generator (highest step), if any. */
export function latestCheckpoint(db: Db, generatorId: number): CheckpointRow | undefined {
  return stmt<[number], CheckpointRow>(db, `SELECT ${CK_COLS} FROM gan_checkpoints WHERE generator_id = ? ORDER BY step DESC LIMIT 1`).get(generatorId)
}

export function checkpointWeights(db: Db, checkpointId: number): Float32Array | undefined {
  const row = stmt<[number], { weights: Buffer }>(db, 'SELECT weights FROM gan_checkpoints WHERE id = ?').get(checkpointId)
  if (!row) return undefined
  // Copy: the Buffer may not be 4-byte aligned.
  const copy = new Uint8Array(row.weights.byteLength)
  copy.set(row.weights)
  return new Float32Array(copy.buffer)
}

export function checkpointGrid(db: Db, checkpointId: number): Buffer | undefined {
  return stmt<[number], { grid_png: Buffer | null }>(db, 'SELECT grid_png FROM gan_checkpoints WHERE id = ?').get(checkpointId)?.grid_png ?? undefined
}

export interface NewSyntheticImage {
  generatorId: number
  checkpointId: number
  step: number
  seed: number
  drawIndex: number
  class: string
  width: number
  height: number
  sha256: string
  png: Uint8Array
}

/** A stored generated cell: what was inserted, without the image bytes. */
export interface SyntheticImageRow extends Omit<NewSyntheticImage, 'png'> {
  id: number
  createdAt: string
}

const SYN_COLS = `id, generator_id AS generatorId, checkpoint_id AS checkpointId, step, seed, draw_index AS drawIndex, class, width, height, sha256, created_at AS createdAt`

/** Stores a generated cell unless the same (checkpoint, seed, index) exists; returns its id and whether it was new. */
export function insertSyntheticImage(db: Db, img: NewSyntheticImage): { id: number; created: boolean } {
  const found = stmt<[number, number, number], { id: number }>(
    db,
    'SELECT id FROM synthetic_images WHERE checkpoint_id = ? AND seed = ? AND draw_index = ?'
  ).get(img.checkpointId, img.seed, img.drawIndex)
  if (found) return { id: found.id, created: false }
  const id = Number(
    stmt(
      db,
      `INSERT INTO synthetic_images (generator_id, checkpoint_id, step, seed, draw_index, class, width, height, sha256, png, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    ).run(img.generatorId, img.checkpointId, img.step, img.seed, img.drawIndex, img.class, img.width, img.height, img.sha256, Buffer.from(img.png), nowIso())
      .lastInsertRowid
  )
  return { id, created: true }
}

export function syntheticPng(db: Db, id: number): Buffer | undefined {
  return stmt<[number], { png: Buffer }>(db, 'SELECT png FROM synthetic_images WHERE id = ?').get(id)?.png
}

export function listSyntheticImages(db: Db, opts: { generatorId?: number; class?: string; checkpointId?: number } = {}): SyntheticImageRow[] {
  return stmt<[{ g: number | null; k: number | null; c: string | null }], SyntheticImageRow>(
    db,
    `SELECT ${SYN_COLS} FROM synthetic_images
     WHERE (@g IS NULL OR generator_id = @g) AND (@k IS NULL OR checkpoint_id = @k) AND (@c IS NULL OR class = @c)
     ORDER BY id`
  ).all({ g: opts.generatorId ?? null, k: opts.checkpointId ?? null, c: opts.class ?? null })
}

export function countSyntheticImages(db: Db, generatorId: number): number {
  return stmt<[number], { n: number }>(db, 'SELECT count(*) AS n FROM synthetic_images WHERE generator_id = ?').get(generatorId)!.n
}

export interface NewSyntheticReport {
  model: string
  settings: unknown
  report: unknown
  generators: { generatorId: number; checkpointId: number | null; class: string; gridPng?: Uint8Array | null }[]
}

export function saveSyntheticReport(db: Db, r: NewSyntheticReport): number {
  return db.transaction(() => {
    const id = Number(
      stmt(db, 'INSERT INTO synthetic_reports (model, settings_json, report_json, created_at) VALUES (?, ?, ?, ?)').run(
        r.model,
        JSON.stringify(r.settings ?? {}),
        JSON.stringify(r.report),
        nowIso()
      ).lastInsertRowid
    )
    const ins = stmt(db, 'INSERT INTO synthetic_report_generators (report_id, generator_id, checkpoint_id, class, grid_png) VALUES (?, ?, ?, ?, ?)')
    for (const g of r.generators) ins.run(id, g.generatorId, g.checkpointId, g.class, g.gridPng ? Buffer.from(g.gridPng) : null)
    return id
  }).immediate()
}

export interface SyntheticReportRow {
  id: number
  model: string
  settingsJson: string
  reportJson: string
  createdAt: string
  generators: { generatorId: number; checkpointId: number | null; class: string; hasGrid: boolean }[]
}

export function getSyntheticReport(db: Db, id: number): SyntheticReportRow | undefined {
  const row = stmt<[number], Omit<SyntheticReportRow, 'generators'>>(
    db,
    'SELECT id, model, settings_json AS settingsJson, report_json AS reportJson, created_at AS createdAt FROM synthetic_reports WHERE id = ?'
  ).get(id)
  if (!row) return undefined
  const generators = stmt<[number], { generatorId: number; checkpointId: number | null; class: string; hasGrid: number }>(
    db,
    `SELECT generator_id AS generatorId, checkpoint_id AS checkpointId, class, grid_png IS NOT NULL AS hasGrid
     FROM synthetic_report_generators WHERE report_id = ? ORDER BY class`
  )
    .all(id)
    .map((g) => ({ ...g, hasGrid: g.hasGrid === 1 }))
  return { ...row, generators }
}

/** The newest report that covers a generator, if any. */
export function latestReportFor(db: Db, generatorId: number): SyntheticReportRow | undefined {
  const id = stmt<[number], { id: number }>(
    db,
    'SELECT report_id AS id FROM synthetic_report_generators WHERE generator_id = ? ORDER BY report_id DESC LIMIT 1'
  ).get(generatorId)?.id
  return id === undefined ? undefined : getSyntheticReport(db, id)
}

export function reportGrid(db: Db, reportId: number, generatorId: number): Buffer | undefined {
  return (
    stmt<[number, number], { grid_png: Buffer | null }>(db, 'SELECT grid_png FROM synthetic_report_generators WHERE report_id = ? AND generator_id = ?').get(
      reportId,
      generatorId
    )?.grid_png ?? undefined
  )
}
