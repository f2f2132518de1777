// Finding and starting this package's worker-thread entries, the same way from
// TypeScript sources (tsx, vitest, the CLI) and from the electron-vite bundle,
// where each entry is its own rollup input beside out/main/index.js (see
// electron.vite.config.ts; the names there are the names here).
//
// From sources a worker starts through a tiny eval'd bootstrap that registers
// tsx's ESM loader inside the worker and then imports the .ts entry:
// `new Worker(tsUrl, { execArgv: ['--import', 'tsx'] })` fails on Node 20
// (the worker's entry is resolved before the hook exists).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker, type WorkerOptions } from 'node:worker_threads'

/** Every worker entry the core starts, by bundle name, with its source file under src/main. */
export const WORKER_SOURCES = {
  'core-worker': 'api/core-worker.ts',
  'job-worker': 'api/job-worker.ts',
  'training-worker': 'ml/train/training-worker.ts',
  'infer-worker': 'ml/infer/inference-worker.ts',
  'fold-worker': 'queue/fold-worker.ts'
} as const

export type WorkerEntry = keyof typeof WORKER_SOURCES

// `here` is a variable on purpose: bundlers rewrite `new URL(literal, import.meta.url)` into assets.
const here = import.meta.url

export function workerEntryUrl(entry: WorkerEntry): URL {
  const candidates = here.endsWith('.ts')
    ? [new URL(`./${WORKER_SOURCES[entry]}`, here)]
    : // The bundle: this module may sit in index.js or in chunks/ one level down.
      [new URL(`./${entry}.js`, here), new URL(`../${entry}.js`, here)]
  return candidates.find((u) => existsSync(fileURLToPath(u))) ?? candidates[0]!
}

/** Start a worker; TypeScript sources get tsx registered inside the worker first. */
export function spawnWorker(url: URL, options: WorkerOptions = {}): Worker {
  if (url.pathname.endsWith('.ts')) {
    const tsx = import.meta.resolve('tsx/esm/api')
    const boot =
      `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}) })` +
      `.catch((err) => { setImmediate(() => { throw err }) })`
    return new Worker(boot, { ...options, eval: true })
  }
  return new Worker(url, options)
}
