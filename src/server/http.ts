// Browser mode's HTTP transport for the contract: the same methods and events
// the Electron preload exposes, for a second specialist's browser or the e2e
// tests.
//
//   POST /api/<method>        JSON payload in, JSON Result out ({ok,value}|{ok,error})
//   GET  /api/events          Server-Sent Events: `id`, `event: <name>` + JSON payload; bound to
//                             the session, replayed after a dropped connection (./event-stream)
//   GET  /api/cell-image/<id> the cell's image bytes, for <img src>
//   GET  /*                   the built renderer (out/renderer)
//
// People sign in (session.login) and get a session: an HttpOnly,
// SameSite=Strict cookie (Secure over TLS) bound to their user id, ended by
// session.logout or after an idle time (../main/people/sessions). Each API call carries
// the session's user to the dispatcher, which enforces the method's roles.
// The token printed at start only bootstraps: with it (header, or the cookie
// a first visit to `/?token=...` sets) and while no user exists, the first
// admin can be created (session.setup). The pages themselves are the public
// app bundle (no data), so the sign-in screen loads for anyone. Bodies are
// JSON only (no form posts, so no CSRF from other sites), the Host header
// must name this server (no DNS rebinding), and every response carries a
// strict CSP.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import { timingSafeEqual } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import { fail, isMethod, type CellImage, type Result } from '../shared/api'
import type { SessionUser } from '../shared/people'
import { createSessionStore, type SessionStore } from '../main/people/sessions'

/** The cookie that carries a browser's session id (HttpOnly, SameSite=Strict). */
export const SESSION_COOKIE = 'wbc_session'
import type { Principal } from '../main/api/dispatch'
import { CONTENT_SECURITY_POLICY } from '../shared/security'
import { toWire } from '../shared/wire'
import type { Workstation } from '../main/api'
import { handleWorkerCall } from './worker-routes'
import { createEventStreams } from './event-stream'

export const TOKEN_COOKIE = 'wbc_token'
const MAX_BODY = 1 << 20

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=()'
}

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json'
}

export interface WbcServerOptions {
  workstation: Pick<Workstation, 'dispatch' | 'events'>
  /** The built renderer (out/renderer); requests for pages answer 503 with a hint when it is missing. */
  rendererDir: string
  token: string
  /** Host names the Host header may carry (default: loopback names only); null accepts any (a lab-network bind). */
  allowedHosts?: string[] | null
  /** PEM certificate chain and key: serve HTTPS, and mark the cookie Secure. */
  tls?: { cert: string | Buffer; key: string | Buffer }
  /** Signed-in sessions (default: in memory, 30 minutes idle). */
  sessions?: SessionStore
}

function tokenMatches(given: string | undefined, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === name) return decodeURIComponent(v.join('='))
  }
  return undefined
}

function requestToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim()
  const header = req.headers['x-wbc-token']
  if (typeof header === 'string') return header
  return cookie(req, TOKEN_COOKIE)
}

function send(res: ServerResponse, status: number, body: string | Uint8Array, type: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store', ...extra })
  res.end(body)
}

function sendResult(res: ServerResponse, status: number, result: Result<unknown>): void {
  send(res, status, toWire(result), 'application/json; charset=utf-8')
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      // Too large: keep draining (the caller is already authenticated) so the client gets its 413, not a reset.
      if (size <= MAX_BODY) chunks.push(c)
    })
    req.on('end', () => {
      if (size > MAX_BODY) reject(Object.assign(new Error('request body too large'), { status: 413 }))
      else resolve(Buffer.concat(chunks).toString('utf8'))
    })
    req.on('error', reject)
  })
}

function hostAllowed(req: IncomingMessage, allowed: readonly string[] | null): boolean {
  if (allowed === null) return true
  const host = req.headers.host
  if (!host) return false
  const name = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase()
  return allowed.includes(name)
}

export function createWbcServer(opts: WbcServerOptions): Server & { closeEvents(): void } {
  const { workstation, token } = opts
  const sessions = opts.sessions ?? createSessionStore()
  const cookieFlags = `HttpOnly; SameSite=Strict; Path=/${opts.tls ? '; Secure' : ''}`
  const allowedHosts = opts.allowedHosts === null ? null : (opts.allowedHosts ?? ['127.0.0.1', 'localhost', '::1']).map((h) => h.toLowerCase())
  const streams = createEventStreams({
    subscribe: (listener) => workstation.events.subscribe(listener),
    sessionUser: (id) => sessions.peek(id),
    stillAllowed: async (id) => {
      const userId = sessions.peek(id)
      return userId !== undefined && (await workstation.dispatch('jobs.list', {}, { userId })).ok
    }
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req, allowedHosts)) return send(res, 421, 'unknown host', 'text/plain; charset=utf-8')
    const url = new URL(req.url ?? '/', 'http://wbc.invalid')

    // First visit with ?token=: set the cookie and drop the token from the address bar.
    const queryToken = url.searchParams.get('token')
    if (queryToken !== null && req.method === 'GET' && !url.pathname.startsWith('/api/')) {
      if (!tokenMatches(queryToken, token)) return send(res, 401, 'wrong token', 'text/plain; charset=utf-8')
      url.searchParams.delete('token')
      return send(res, 303, '', 'text/plain; charset=utf-8', {
        Location: url.pathname + (url.search || ''),
        'Set-Cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; ${cookieFlags}`
      })
    }

    if (url.pathname.startsWith('/api/')) return handleApi(req, res, url)
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed', 'text/plain; charset=utf-8')
    return serveStatic(res, url.pathname)
  }

  /** The session's user, as the dispatcher's principal (null: nobody signed in). */
  function principalOf(req: IncomingMessage): { principal: Principal; sessionId: string | undefined } {
    const sessionId = cookie(req, SESSION_COOKIE)
    const userId = sessions.touch(sessionId)
    return { principal: userId === undefined ? null : { userId }, sessionId }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const name = url.pathname.slice('/api/'.length)
    // Worker machines: their own credential, never a session (./worker-routes).
    if (name.startsWith('worker/')) return handleWorkerCall(req, res, name.slice('worker/'.length), workstation)
    const { principal, sessionId } = principalOf(req)
    if (name === 'events' && req.method === 'GET') {
      // Job events name folders and results: only for those who may list jobs (the dispatcher decides).
      const may = await workstation.dispatch('jobs.list', {}, principal)
      if (!may.ok) return sendResult(res, may.error.code === 'forbidden' ? 403 : 500, may)
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' })
      const lastEventId = req.headers['last-event-id']
      streams.open(res, sessionId!, typeof lastEventId === 'string' ? lastEventId : undefined)
      return
    }
    const image = /^cell-image\/(\d{1,15})$/.exec(name)
    if (image && req.method === 'GET') {
      const result = (await workstation.dispatch('cell.image', { id: Number(image[1]) }, principal)) as Result<CellImage>
      if (!result.ok) return sendResult(res, result.error.code === 'not_found' ? 404 : result.error.code === 'forbidden' ? 403 : 400, result)
      return send(res, 200, result.value.bytes, result.value.mime, { 'Cache-Control': 'private, max-age=3600' })
    }
    if (req.method !== 'POST') return sendResult(res, 405, fail('invalid_input', 'use POST for API methods'))
    if (!isMethod(name)) return sendResult(res, 404, fail('unknown_method', `no such method: ${name.slice(0, 80)}`))
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      return sendResult(res, 415, fail('invalid_input', 'send the payload as application/json'))
    }
    let payload: unknown
    try {
      const body = await readBody(req)
      payload = body.trim() === '' ? undefined : JSON.parse(body)
    } catch (err) {
      const status = (err as { status?: number }).status ?? 400
      return sendResult(res, status, fail('invalid_input', status === 413 ? 'payload too large' : 'payload is not valid JSON'))
    }
    // The start token bootstraps the first admin, and only that.
    if (name === 'session.setup' && !tokenMatches(requestToken(req), token)) {
      return sendResult(res, 403, fail('forbidden', 'creating the first admin needs the start token: open the address `wbc serve` printed'))
    }
    const result = await workstation.dispatch(name, payload, principal)
    if ((name === 'session.login' || name === 'session.setup') && result.ok) {
      // A fresh session id at every sign-in (no fixation); any session this browser had ends, and its event streams.
      sessions.drop(sessionId)
      streams.endSession(sessionId)
      const id = sessions.create((result.value as SessionUser).id)
      return send(res, 200, toWire(result), 'application/json; charset=utf-8', { 'Set-Cookie': `${SESSION_COOKIE}=${id}; ${cookieFlags}` })
    }
    if (name === 'session.logout' && result.ok) {
      sessions.drop(sessionId)
      streams.endSession(sessionId)
      return send(res, 200, toWire(result), 'application/json; charset=utf-8', { 'Set-Cookie': `${SESSION_COOKIE}=; ${cookieFlags}; Max-Age=0` })
    }
    sendResult(res, !result.ok && result.error.code === 'forbidden' ? 403 : 200, result)
  }

  async function serveStatic(res: ServerResponse, pathname: string): Promise<void> {
    const root = opts.rendererDir
    let rel: string
    try {
      rel = normalize(decodeURIComponent(pathname)).replace(/^[/\\]+/, '')
    } catch {
      return send(res, 400, 'bad path', 'text/plain; charset=utf-8')
    }
    let file = join(root, rel || 'index.html')
    if (!file.startsWith(root.endsWith(sep) ? root : root + sep) || rel.includes('\0')) return send(res, 404, 'not found', 'text/plain; charset=utf-8')
    // Unknown paths without an extension are app routes: hand out the app.
    if (!extname(file)) file = join(root, 'index.html')
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file')
      const body = await readFile(file)
      const immutable = file.includes(`${sep}assets${sep}`)
      send(res, 200, body, STATIC_TYPES[extname(file)] ?? 'application/octet-stream', {
        'Cache-Control': immutable ? 'private, max-age=31536000, immutable' : 'no-store'
      })
    } catch {
      if (file.endsWith('index.html')) {
        return send(res, 503, 'The renderer is not built: run `npm run build` first.', 'text/plain; charset=utf-8')
      }
      send(res, 404, 'not found', 'text/plain; charset=utf-8')
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      console.error('request failed:', err)
      if (!res.headersSent) sendResult(res, 500, fail('internal', 'request failed'))
      else res.end()
    })
  }
  // HTTPS on a lab network: the token, the cookie and every cell image would otherwise cross it in clear.
  const server: Server = opts.tls ? createTlsServer({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' }, listener) : createServer(listener)
  const closeEvents = (): void => streams.close()
  server.on('close', closeEvents)
  return Object.assign(server, { closeEvents })
}
