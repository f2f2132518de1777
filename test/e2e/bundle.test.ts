// The electron-vite bundle of the main side: every worker entry the core
// starts exists beside index.js and runs as bundled (the desktop app runs
// these files, not the TypeScript sources the other tests use; a bundling
// fault such as a clashing `require` shim only shows here). Needs
// `npm run build` first, as the browser tests do.
import { describe, it, expect } from 'vitest'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { WORKER_SOURCES, type WorkerEntry } from '../../src/main/workers'
import { REPO_ROOT } from '../helpers/datasets'

const OUT_MAIN = join(REPO_ROOT, 'out', 'main')
const scratch = mkdtempSync(join(tmpdir(), 'wbc-bundle-'))
const dbPath = join(scratch, 'wbc.sqlite')

// What each entry is started with, as the core starts it.
const WORKER_DATA: Record<WorkerEntry, unknown> = {
  'core-worker': { shell: 'browser', version: 'test', dbPath },
  'job-worker': { kind: 'import', params: { path: mkdtempSync(join(scratch, 'empty-')) }, dbPath },
  'training-worker': undefined,
  'infer-worker': undefined,
  // A worker machine's fold whose snapshot is missing: it loads, then says it failed.
  'fold-worker': { job: { kind: 'crossval-fold', runId: 1, fold: 0, snapshot: { sha256: '0'.repeat(64), bytes: 0 }, spec: {}, settings: {}, threads: 0, validateEachEpoch: false }, snapshotPath: join(scratch, 'none.bin'), checkpointDir: join(scratch, 'ckpt'), threads: 0 }
}

/**
 * The first thing a worker does: an error, its first message, or staying up
 * quietly for `quietMs` after it came online. A worker expected to speak gets
 * a long quiet window: on a loaded machine loading the bundle alone can take
 * seconds, and "running" must not be mistaken for its answer.
 */
function firstOutcome(file: string, workerData: unknown, quietMs: number): Promise<string> {
  const worker = new Worker(pathToFileURL(file), { workerData })
  return new Promise<string>((resolve) => {
    worker.on('error', (e) => resolve(`error: ${e.message}`))
    worker.on('message', (m: { type?: string }) => resolve(`message: ${m?.type ?? typeof m}`))
    worker.on('online', () => setTimeout(() => resolve('running'), quietMs))
  }).finally(() => worker.terminate())
}

describe('main-side bundle', () => {
  it('has been built', () => {
    expect(existsSync(join(OUT_MAIN, 'index.js')), 'run `npm run build` first').toBe(true)
  })

  it.each(Object.keys(WORKER_SOURCES) as WorkerEntry[])('runs the bundled %s', async (entry) => {
    const file = join(OUT_MAIN, `${entry}.js`)
    expect(existsSync(file), `${file} missing: electron.vite.config.ts must build every WORKER_SOURCES entry`).toBe(true)
    // The core worker says it is ready, the job worker reports progress on the
    // empty folder's import; the ML workers wait quietly for requests; the
    // fold worker reports its missing snapshot.
    const expected: Record<WorkerEntry, string> = {
      'core-worker': 'message: ready',
      'job-worker': 'message: progress',
      'training-worker': 'running',
      'infer-worker': 'running',
      'fold-worker': 'message: failed'
    }
    const quietMs = expected[entry] === 'running' ? 1500 : 45_000
    const outcome = await firstOutcome(file, WORKER_DATA[entry], quietMs)
    expect(outcome).toBe(expected[entry])
  }, 60_000)
})
