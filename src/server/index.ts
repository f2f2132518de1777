// Browser mode: the workstation core (in its worker thread) behind the HTTP
// transport, with a fresh random token per start.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startWorkstationHost } from '../main/api/host'
import { resolveImportRoots } from '../main/api/import-roots'
import { createWbcServer } from './http'
import { createSessionStore } from '../main/people/sessions'
import type { QueueSettings } from '../main/queue/lab-queue'

export interface ServeOptions {
  dbPath: string
  host?: string
  /** 0 picks a free port. */
  port?: number
  /** Default: out/renderer of this checkout. */
  rendererDir?: string
  /** Default: 32 random bytes, hex. */
  token?: string
  /**
   * Folders imports may come from (src/main/api/import-roots). Without any,
   * a loopback server imports from anywhere (today's single-user behaviour)
   * and a server on the network imports nothing.
   */
  importRoots?: readonly string[]
  /** PEM certificate chain and private key: serve HTTPS (a lab network). */
  tls?: { cert: string | Buffer; key: string | Buffer }
  /** Minutes a signed-in browser session may sit idle (default 30). */
  idleMinutes?: number
  /** Train on worker machines through a Redis-backed queue (docs/scale.md). */
  queue?: QueueSettings
}

export interface RunningServer {
  url: string
  /** The address to open: url with the token, which sets the cookie. */
  openUrl: string
  token: string
  host: string
  port: number
  rendererBuilt: boolean
  close(): Promise<void>
}

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
export const DEFAULT_RENDERER_DIR = join(REPO_ROOT, 'out', 'renderer')

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return '0.0.0'
  }
}

const isLoopback = (host: string): boolean => host === '127.0.0.1' || host === '::1' || host === 'localhost'

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1'
  const rendererDir = resolve(opts.rendererDir ?? DEFAULT_RENDERER_DIR)
  const token = opts.token ?? randomBytes(32).toString('hex')
  const importRoots = opts.importRoots?.length ? resolveImportRoots(opts.importRoots) : isLoopback(host) ? null : []
  const sessions = createSessionStore({ idleMinutes: opts.idleMinutes })
  const workstation = await startWorkstationHost({ shell: 'browser', version: packageVersion(), dbPath: opts.dbPath, importRoots, sessionIdleMinutes: sessions.idleMinutes, ...(opts.queue ? { queue: opts.queue } : {}) })
  // On a lab network the Host header carries the machine's name or address: accept what we bound to.
  const allowedHosts = isLoopback(host) ? ['127.0.0.1', 'localhost', '::1'] : null
  const server = createWbcServer({ workstation, rendererDir, token, allowedHosts, sessions, ...(opts.tls ? { tls: opts.tls } : {}) })
  try {
    await new Promise<void>((res, rej) => {
      server.once('error', rej)
      server.listen(opts.port ?? 7373, host, () => res())
    })
  } catch (err) {
    await workstation.close()
    throw err
  }
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 7373)
  const shownHost = host.includes(':') ? `[${host}]` : host
  const url = `${opts.tls ? 'https' : 'http'}://${shownHost}:${port}/`
  return {
    url,
    openUrl: `${url}?token=${token}`,
    token,
    host,
    port,
    rendererBuilt: existsSync(join(rendererDir, 'index.html')),
    async close() {
      server.closeEvents()
      server.closeAllConnections()
      await new Promise<void>((res) => server.close(() => res()))
      await workstation.close()
    }
  }
}
