// Finding and starting this package's worker-thread entries, the same way from
// TypeScript sources (tsx, vitest) and from the electron-vite bundle, where each
// entry is its own rollup input beside out/main/index.js.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker, type WorkerOptions } from 'node:worker_threads'

export type WorkerEntry = 'job-worker' | 'core-worker'

export function workerEntryUrl(entry: WorkerEntry, here = import.meta.url): URL {
  const candidates = here.endsWith('.ts')
    ? [new URL(`./${entry}.ts`, here)]
    : [new URL(`./${entry}.js`, here), new URL(`../${entry}.js`, here)]
  return candidates.find((u) => existsSync(fileURLToPath(u))) ?? candidates[0]!
}

/** Start a worker; TypeScript sources get tsx registered inside the worker first. */
export function spawnWorker(url: URL, options: WorkerOptions): Worker {
  if (url.pathname.endsWith('.ts')) {
    const tsx = import.meta.resolve('tsx/esm/api')
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}) })`
    return new Worker(boot, { ...options, eval: true })
  }
  return new Worker(url, options)
}
