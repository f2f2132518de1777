// Measures the same cross-validation trained by 1 and by 2 `wbc worker`
// processes through the lab queue (docs/scale.md), in one run: for each
// setting a fresh database (the same real fixture cells), a private Redis, a
// lab server (core host + HTTP) and the workers, started and connected before
// the clock starts; the wall time is from crossval.start to the job's end
// (the server's snapshot, queueing, training, uploads and the summary).
// Usage: npx tsx scripts/bench-workers.ts [--per-class 12] [--epochs 6] [--size 32] [--folds 4] [--threads 1]
import { spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openStore } from '../src/main/store/index'
import { importPath } from '../src/main/import/index'
import { issueWorkerCredential, LOCAL_OPERATOR } from '../src/main/people'
import { startWorkstationHost } from '../src/main/api/host'
import { createWbcServer } from '../src/server/http'
import { WBC_CLASSES } from '../src/shared/cells'
import type { JobSnapshot } from '../src/shared/api'
import { startRedis } from './private-redis'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const arg = (name: string, d: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1]! : d
}
const perClass = Number(arg('per-class', '12'))
const epochs = Number(arg('epochs', '6'))
const size = Number(arg('size', '32'))
const folds = Number(arg('folds', '4'))
const threads = arg('threads', '1')

async function measure(workerCount: number): Promise<{ seconds: number; accuracy: number | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'wbc-bench-workers-'))
  const tree = join(dir, 'pbc-wbc')
  for (const cls of WBC_CLASSES) {
    mkdirSync(join(tree, cls), { recursive: true })
    const src = join(ROOT, 'test/fixtures/cells/pbc-wbc', cls)
    for (const f of readdirSync(src).sort().slice(0, perClass)) copyFileSync(join(src, f), join(tree, cls, f))
  }
  const dbPath = join(dir, 'wbc.sqlite')
  const db = openStore(dbPath)
  await importPath(db, tree, { dataset: 'pbc-wbc' })
  const secrets = Array.from({ length: workerCount }, (_, i) => {
    const file = join(dir, `w${i + 1}.secret`)
    writeFileSync(file, issueWorkerCredential(db, LOCAL_OPERATOR, `w${i + 1}`).secret, { mode: 0o600 })
    return file
  })
  db.close()
  const redis = await startRedis()
  const ws = await startWorkstationHost({ shell: 'browser', version: 'bench', dbPath, queue: { redisUrl: redis.url } })
  const server = createWbcServer({ workstation: ws, rendererDir: dir, token: 'b'.repeat(32) })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`
  const procs = secrets.map((file, i) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin/wbc.js'), 'worker', '--server', url, '--token-file', file, '--threads', threads, '--cache', join(dir, `cache-${i}`)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    p.stdout!.on('data', (c: Buffer) => (out += c.toString()))
    return { p, ready: () => /serving/.test(out) }
  })
  while (!procs.every((w) => w.ready())) await new Promise((r) => setTimeout(r, 100))
  try {
    const t0 = Date.now()
    const started = await ws.dispatch('crossval.start', { dataset: 'pbc-wbc', inputSize: size, folds, epochs, batchSize: 5, learningRate: 1e-3, seed: 1 }, 'local-operator')
    if (!started.ok) throw new Error(started.error.message)
    const jobId = (started.value as { jobId: string }).jobId
    for (;;) {
      const j = await ws.dispatch('jobs.get', { jobId }, 'local-operator')
      const snap = j.ok ? (j.value as JobSnapshot<'crossval'>) : undefined
      if (snap && snap.state !== 'running') {
        if (snap.state !== 'succeeded') throw new Error(`the cross-validation ${snap.state}: ${snap.error?.message}`)
        return { seconds: (Date.now() - t0) / 1000, accuracy: snap.result?.accuracy ?? null }
      }
      await new Promise((r) => setTimeout(r, 200))
    }
  } finally {
    for (const w of procs) w.p.kill('SIGTERM')
    server.closeEvents()
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
    await ws.close()
    await redis.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

const rows: string[] = []
const load0 = loadavg()[0]!
for (const n of [1, 2]) {
  const r = await measure(n)
  rows.push(`| ${n} | ${threads} | ${r.seconds.toFixed(1)} | ${r.accuracy === null ? '-' : (r.accuracy * 100).toFixed(1) + '%'} |`)
  console.error(`${n} worker(s): ${r.seconds.toFixed(1)} s`)
}
console.log(`${folds}-fold cross-validation, W-Net ${size} px, ${perClass * 5} cells, ${epochs} epochs, batch 5; ${cpus().length} cores, load average ${load0.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`)
console.log('| workers | threads each | wall time (s) | overall accuracy |\n|---|---|---|---|')
for (const r of rows) console.log(r)
process.exit(0)
