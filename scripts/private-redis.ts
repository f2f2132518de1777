// A private Redis for the tests and benchmarks that need the training queue
// (test/main/queue, scripts/bench-workers.ts): Debian's redis-server
// (installed by `npm run setup` and CI) started on a free port in a temp
// folder, with the settings BullMQ's docs require (maxmemory-policy
// noeviction: a queue whose keys Redis may evict loses jobs) and append-only
// persistence as a lab server would run it; stopped and removed after. Tests
// call redisAvailable() to skip, with the reason shown, where it is not
// installed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const REDIS_MISSING = 'redis-server is not installed (npm run setup installs it; Debian: apt-get install redis-server)'

export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

export interface TestRedis {
  url: string
  stop(): Promise<void>
}

export async function startRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'wbc-redis-'))
  const port = await freePort()
  const proc: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--maxmemory-policy', 'noeviction', '--save', '', '--protected-mode', 'yes'],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  )
  let output = ''
  proc.stdout!.on('data', (c: Buffer) => (output += c.toString()))
  proc.stderr!.on('data', (c: Buffer) => (output += c.toString()))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000)
    const check = (): void => {
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer)
        resolve()
      } else if (proc.exitCode !== null) {
        clearTimeout(timer)
        reject(new Error(`redis-server exited: ${output}`))
      } else setTimeout(check, 50)
    }
    check()
  })
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise<void>((r) => proc.once('exit', () => r()))
        proc.kill('SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
