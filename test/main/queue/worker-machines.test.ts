// Training on worker machines through the queue, end to end: a lab server
// (the real core host and HTTP server, BullMQ on a private redis-server)
// and two `wbc worker` processes (the real CLI in child processes). A 4-fold
// cross-validation at 32 px on 30 real cells, started through the contract
// as the UI starts it, finishes with the same folds and per-fold results as
// the same cross-validation run locally; one worker is SIGKILLed mid-fold and
// its fold finishes on the other, resumed from the last checkpoint it
// uploaded (no epoch trained twice). A training run trains there too, as it
// would locally. Then a cancel reaches the remaining worker while it trains,
// and revoking its credential stops it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { smallStore, FIVE, type SmallStore } from '../ml/train/cross-validation-fixtures'
import { startWorkstationHost, type HostedWorkstation } from '../../../src/main/api/host'
import { createWbcServer } from '../../../src/server/http'
import { issueWorkerCredential, LOCAL_OPERATOR } from '../../../src/main/people'
import { getRun, listModels, listRemoteAttempts, runEpochs, runFolds, runImages, type RemoteAttemptRow } from '../../../src/main/store/index'
import { crossValidate, type CrossvalReport, type FoldRecord } from '../../../src/main/ml/train/cross-validation'
import { trainRun, type TrainRunReport } from '../../../src/main/ml/train/training-run'
import type { JobSnapshot } from '../../../src/shared/api'
import { REPO_ROOT } from '../../helpers/datasets'
import { redisAvailable, REDIS_MISSING, startRedis, type TestRedis } from '../../helpers/redis'

const HAVE_REDIS = redisAvailable()
if (!HAVE_REDIS) console.warn(`worker-machine tests skipped: ${REDIS_MISSING}`)

const EPOCHS = 5
const REQUEST = { dataset: 'pbc-wbc', architecture: 'wnet', inputSize: 32, folds: 4, epochs: EPOCHS, batchSize: 5, learningRate: 1e-3, seed: 3 } as const

let s: SmallStore
let redis: TestRedis
let ws: HostedWorkstation
let server: ReturnType<typeof createWbcServer>
let url: string
const workers: { proc: ChildProcess; out: string; exit: Promise<number | null> }[] = []

function startWorker(name: string, secretFile: string): void {
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'bin/wbc.js'), 'worker', '--server', url, '--token-file', secretFile, '--threads', '0', '--cache', join(s.root, `cache-${name}`)], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const w = { proc, out: '', exit: new Promise<number | null>((r) => proc.once('exit', (code) => r(code))) }
  proc.stdout!.on('data', (c: Buffer) => (w.out += c.toString()))
  proc.stderr!.on('data', (c: Buffer) => (w.out += c.toString()))
  workers.push(w)
}

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${workers.map((w, i) => `--- worker ${i + 1}:\n${w.out}`).join('\n')}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function job(jobId: string): Promise<JobSnapshot> {
  const r = await ws.dispatch('jobs.get', { jobId }, 'local-operator')
  if (!r.ok) throw new Error(r.error.message)
  return r.value as JobSnapshot
}

beforeAll(async () => {
  if (!HAVE_REDIS) return
  s = await smallStore({ 'pbc-wbc': { classes: FIVE, perClass: 6 } })
  redis = await startRedis()
  for (const name of ['w1', 'w2']) writeFileSync(join(s.root, `${name}.secret`), issueWorkerCredential(s.db, LOCAL_OPERATOR, name).secret, { mode: 0o600 })
  // Short locks so a killed worker's fold is taken over within seconds (the default is 30 s).
  ws = await startWorkstationHost({ shell: 'browser', version: 'test', dbPath: s.db.name, queue: { redisUrl: redis.url, prefix: 'wbc-test', lockMs: 3000, stalledMs: 1500 } })
  server = createWbcServer({ workstation: ws, rendererDir: mkdtempSync(join(tmpdir(), 'wbc-no-renderer-')), token: 't'.repeat(32) })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`
}, 60_000)

afterAll(async () => {
  for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL')
  if (server) {
    server.closeEvents()
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
  }
  await ws?.close()
  await redis?.stop()
  s?.db.close()
  if (s) rmSync(s.root, { recursive: true, force: true })
})

describe.skipIf(!HAVE_REDIS)(`training on worker machines${HAVE_REDIS ? '' : ` (skipped: ${REDIS_MISSING})`}`, () => {
  it('runs a 4-fold cross-validation on two workers, survives a SIGKILL mid-fold, and matches the local run', async () => {
    const progress: { done: number; total: number }[] = []
    ws.events.subscribe((e) => {
      if (e.name === 'job.progress' && e.payload.kind === 'crossval' && e.payload.progress.total > 0) progress.push(e.payload.progress)
    })
    startWorker('w1', join(s.root, 'w1.secret'))
    const started = await ws.dispatch('crossval.start', REQUEST, 'local-operator')
    if (!started.ok) throw new Error(started.error.message)
    const jobId = (started.value as { jobId: string }).jobId
    const runId = await until('the run', async () => ((await job(jobId)).progress.metrics?.runId as number | undefined))

    // Worker 1 alone takes the first fold; once it has uploaded two epochs it is killed, mid-fold.
    const victim = await until('worker 1 two epochs into a fold', () => listRemoteAttempts(s.db, runId).find((a) => a.status === 'training' && a.lastEpoch >= 2))
    startWorker('w2', join(s.root, 'w2.secret'))
    workers[0]!.proc.kill('SIGKILL')
    await workers[0]!.exit

    const finished = await until('the cross-validation job', async () => {
      const j = await job(jobId)
      return j.state !== 'running' && j
    }, 300_000)
    expect(finished.state, finished.error?.message).toBe('succeeded')
    const run = getRun(s.db, runId)!
    expect(run.status).toBe('done')
    const remote = run.metrics as CrossvalReport
    expect(remote.folds).toHaveLength(4)
    expect(remote.overall.total).toBe(30)

    // The killed fold: superseded at epoch >= 2 on worker 1, finished on worker 2 from exactly that epoch.
    const attempts = listRemoteAttempts(s.db, runId).filter((a) => a.fold === victim.fold)
    const first = attempts[0] as RemoteAttemptRow
    const last = attempts[attempts.length - 1] as RemoteAttemptRow
    expect(attempts.length).toBeGreaterThanOrEqual(2)
    expect(first).toMatchObject({ credentialId: 1, status: 'superseded', startedFromEpoch: 0 })
    expect(first.lastEpoch).toBeGreaterThanOrEqual(2)
    expect(first.lastEpoch).toBeLessThan(EPOCHS)
    expect(last).toMatchObject({ credentialId: 2, status: 'done', startedFromEpoch: first.lastEpoch })
    const resumedEpochs = Array.from({ length: EPOCHS - first.lastEpoch }, (_, i) => first.lastEpoch + 1 + i)
    expect(last.worker.trainedEpochs).toEqual(resumedEpochs)
    const victimRecord = runFolds(s.db, runId).find((f) => f.fold === victim.fold)!.metrics as FoldRecord
    expect(victimRecord.resumedFromEpoch).toBe(first.lastEpoch)
    expect(victimRecord.worker).toMatchObject({ host: expect.any(String), backend: expect.any(String), tfjs: expect.any(String), node: process.version })
    // Every fold: each epoch recorded once; every attempt that finished trained only epochs no other attempt had.
    for (let f = 0; f < 4; f++) {
      expect(runEpochs(s.db, runId, f).map((e) => e.epoch)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1))
      const done = listRemoteAttempts(s.db, runId).filter((a) => a.fold === f && a.status === 'done')
      expect(done).toHaveLength(1)
    }
    // Progress reached the job like a local job's, to the end.
    expect(progress.length).toBeGreaterThan(3)
    expect(progress[progress.length - 1]!.done).toBe(progress[progress.length - 1]!.total)

    // The same cross-validation in this process: same folds, same per-fold results.
    const local = await crossValidate(s.db, {
      dataset: 'pbc-wbc', inputSize: 32, k: 4, seed: 3, workers: 0, fresh: true,
      settings: { epochs: EPOCHS, batchSize: 5, learningRate: 1e-3, schedule: { kind: 'constant' }, balance: 'none', augment: false }
    })
    expect(local.foldPlan).toBe(remote.foldPlan)
    expect(runImages(s.db, local.runId).map((im) => [im.imageId, im.fold])).toEqual(runImages(s.db, runId).map((im) => [im.imageId, im.fold]))
    expect(remote.folds.map((f) => f.accuracy)).toEqual(local.folds.map((f) => f.accuracy))
    expect(remote.table10.rows).toEqual(local.table10.rows)
    const scores = (id: number) => runFolds(s.db, id).flatMap((f) => (f.metrics as FoldRecord).scores)
    const diff = Math.max(...scores(runId).map((v, i) => Math.abs(v - scores(local.runId)[i]!)))
    console.log(`remote vs local fold scores: largest difference ${diff}`)
    expect(diff).toBeLessThan(1e-5)
    // Generous: about a minute on two idle cores, several under a loaded machine's full test suite.
  }, 420_000)

  it('a training run trains on a worker machine; its model and validation figures are the local run\'s', async () => {
    const started = await ws.dispatch('train.start', { dataset: 'pbc-wbc', inputSize: 32, epochs: 3, batchSize: 5, learningRate: 1e-3, seed: 5, validationShare: 0.2 }, 'local-operator')
    if (!started.ok) throw new Error(started.error.message)
    const jobId = (started.value as { jobId: string }).jobId
    const finished = await until('the training job', async () => {
      const j = await job(jobId)
      return j.state !== 'running' && j
    }, 180_000)
    expect(finished.state, finished.error?.message).toBe('succeeded')
    const result = finished.result as { runId: number; modelId: number; accuracy: number }
    const remote = getRun(s.db, result.runId)!.metrics as TrainRunReport
    expect(remote).toMatchObject({ status: 'done', modelId: result.modelId, trainCells: 24, validationCells: 6 })
    expect(remote.history.map((h) => h.epoch)).toEqual([1, 2, 3])
    expect(listModels(s.db, { runId: result.runId }).map((m) => m.id)).toEqual([result.modelId])
    expect(listRemoteAttempts(s.db, result.runId)).toMatchObject([{ credentialId: 2, status: 'done', startedFromEpoch: 0 }])
    const local = await trainRun(s.db, {
      dataset: 'pbc-wbc', inputSize: 32, seed: 5, validationShare: 0.2, workers: 0, fresh: true,
      settings: { epochs: 3, batchSize: 5, learningRate: 1e-3, schedule: { kind: 'constant' }, balance: 'none', augment: false }
    })
    expect(remote.history.map((h) => h.validation?.accuracy)).toEqual(local.history.map((h) => h.validation?.accuracy))
    expect(remote.history.map((h) => h.trainLoss)).toEqual(local.history.map((h) => h.trainLoss))
  }, 240_000)

  it('a cancel reaches the worker training the run, and a revoked credential stops the worker', async () => {
    const w2 = workers[1]!
    const started = await ws.dispatch('crossval.start', { ...REQUEST, seed: 4, epochs: 40 }, 'local-operator')
    if (!started.ok) throw new Error(started.error.message)
    const jobId = (started.value as { jobId: string }).jobId
    const runId = await until('the run', async () => ((await job(jobId)).progress.metrics?.runId as number | undefined))
    await until('worker 2 training', () => listRemoteAttempts(s.db, runId).find((a) => a.status === 'training' && a.lastEpoch >= 1))
    const cancelled = await ws.dispatch('jobs.cancel', { jobId }, 'local-operator')
    expect(cancelled).toEqual({ ok: true, value: { cancelled: true } })
    await until('the job cancelled', async () => (await job(jobId)).state === 'cancelled')
    expect(getRun(s.db, runId)!.status).toBe('cancelled')
    await until('the worker told', () => /stopped \(the run was cancelled\)/.test(w2.out))
    expect(listRemoteAttempts(s.db, runId).every((a) => a.status === 'cancelled')).toBe(true)
    expect(w2.proc.exitCode).toBeNull()

    const revoked = await ws.dispatch('workers.revoke', { name: 'w2' }, 'local-operator')
    expect(revoked.ok).toBe(true)
    expect(await w2.exit).toBe(3)
    expect(w2.out).toMatch(/revoked/)
  }, 120_000)
})
