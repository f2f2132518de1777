// `wbc serve`: browser mode. Serves the built renderer and the API contract
// over HTTP on 127.0.0.1 (or --host for a lab network), guarded by a random
// token printed at start, until interrupted.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { CliCommand } from '../context'
import { startServer } from '../../server/index'

export interface ServeCliOptions {
  port: string
  host: string
  db?: string
  /** Folders imports may come from (repeatable). */
  importRoot?: string[]
  tlsCert?: string
  tlsKey?: string
  redis?: string
  workerRedis?: string
}

function parsePort(text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`not a port: ${text}`)
  return n
}

/** Runs the server until SIGINT/SIGTERM; resolves with the exit code. */
export async function runServe(opts: ServeCliOptions, dbPath: string, out: (line: string) => void = console.log): Promise<number> {
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) throw new Error('give both --tls-cert and --tls-key')
  const tls = opts.tlsCert && opts.tlsKey ? { cert: readFileSync(resolve(opts.tlsCert)), key: readFileSync(resolve(opts.tlsKey)) } : undefined
  const queue = opts.redis ? { redisUrl: opts.redis, ...(opts.workerRedis ? { workerRedisUrl: opts.workerRedis } : {}) } : undefined
  const server = await startServer({ dbPath, host: opts.host, port: parsePort(opts.port), importRoots: opts.importRoot ?? [], ...(tls ? { tls } : {}), ...(queue ? { queue } : {}) })
  out(`WBC Workstation (browser mode) on ${server.url}`)
  out(`database: ${dbPath}`)
  out(`open: ${server.openUrl}`)
  out(`token: ${server.token}`)
  if (!server.rendererBuilt) out('warning: the renderer is not built (out/renderer missing): run `npm run build`; the API works meanwhile')
  for (const root of opts.importRoot ?? []) out(`imports from: ${resolve(root)}`)
  if (queue) out(`cross-validations and training runs go to worker machines through Redis (${redactRedis(queue.redisUrl)}); issue each one a credential: wbc worker-credential issue NAME`)
  if (opts.host !== '127.0.0.1' && opts.host !== 'localhost' && opts.host !== '::1') {
    out('warning: listening beyond this machine; anyone with the token can read and change this database')
    if (!tls) out('warning: plain HTTP on a network: the token and every image cross it readable; serve HTTPS with --tls-cert and --tls-key')
    if (!opts.importRoot?.length) out('note: no --import-root given: this server imports nothing')
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  await server.close()
  return 0
}

/** A Redis URL as printed: its password, if any, left out. */
export function redactRedis(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'an unreadable URL'
  }
}

export const serveCommand: CliCommand = (cli) => {
  cli.program
    .command('serve')
    .description('serve the workstation to a browser: the same UI and API as the desktop app, guarded by a token')
    .option('--port <n>', 'TCP port (0 picks a free one)', '7373')
    .option('--host <address>', 'address to listen on (127.0.0.1 = this machine only)', '127.0.0.1')
    .option('--db <file>', 'database file (default: as for every wbc command)')
    .option('--import-root <dir>', 'a folder imports may come from (repeatable); with any, nothing outside them can be listed or imported; on a network address without any, nothing can be imported', (v: string, prev: string[] = []) => [...prev, v])
    .option('--tls-cert <file>', 'PEM certificate (chain) to serve HTTPS')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--redis <url>', 'send cross-validations and training runs to worker machines (wbc worker) through this Redis: redis://[:password@]host:port (docs/scale.md)')
    .option('--worker-redis <url>', 'the Redis address handed to workers when they reach it under another name than --redis')
    .action(async (opts: ServeCliOptions) => {
      cli.exitCode = await runServe(opts, opts.db ? resolve(opts.db) : cli.dbPath(), (line) => cli.out(line))
    })
}
