// How the renderer reaches the workstation: through the Electron preload
// (window.wbc) when it is there, otherwise over HTTP to `wbc serve`. Both give
// the same typed client generated from the contract; stores only see this.
import { API_METHODS, type ApiClient, type ApiEvents, type DesktopBridge, type EventName, type Result } from '../../../shared/api'
import { fromWire } from '../../../shared/wire'

export interface Transport {
  kind: 'desktop' | 'browser'
  api: ApiClient
  on<E extends EventName>(name: E, listener: (payload: ApiEvents[E]) => void): () => void
  /** A URL an <img> can show for a cell (a blob URL on the desktop; release it with releaseImageUrl). */
  cellImageUrl(id: number): Promise<string | null>
  releaseImageUrl(url: string): void
  /** The filesystem path of a dropped file or folder (desktop only). */
  pathForFile(file: File): string | null
  /** Make this desktop app a lab server's client (desktop only; the app asks the person and restarts). */
  connectLabServer?(address: string): Promise<Result<{ origin: string }>>
}

/** Dispatched on window when the core refuses a call because nobody is signed in any more (idle timeout, disabled account). */
export const SIGNED_OUT_EVENT = 'wbc:signed-out'

/** A refusal because nobody is signed in any more. */
function isSignedOut(r: Result<unknown>): boolean {
  return !r.ok && r.error.code === 'forbidden' && /sign in (first|again)$/.test(r.error.message)
}

function noticeSignOut(r: Result<unknown>): Result<unknown> {
  if (isSignedOut(r)) {
    globalThis.dispatchEvent?.(new Event(SIGNED_OUT_EVENT))
  }
  return r
}

function watchingSignOut(api: ApiClient): ApiClient {
  return Object.fromEntries(API_METHODS.map((m) => [m, async (input?: unknown) => noticeSignOut(await (api[m] as (i?: unknown) => Promise<Result<unknown>>)(input))])) as ApiClient
}

export function desktopTransport(bridge: DesktopBridge): Transport {
  return {
    kind: 'desktop',
    api: watchingSignOut(bridge.api),
    on: (name, listener) => bridge.on(name, listener),
    async cellImageUrl(id) {
      const r = await bridge.api['cell.image']({ id })
      if (!r.ok) return null
      return URL.createObjectURL(new Blob([r.value.bytes as Uint8Array<ArrayBuffer>], { type: r.value.mime }))
    },
    releaseImageUrl: (url) => URL.revokeObjectURL(url),
    pathForFile: (file) => bridge.pathForFile(file),
    connectLabServer: (address) => bridge.connectLabServer(address)
  }
}

export interface HttpTransportOptions {
  /** Where the server is; default the page's own origin. */
  base?: string
  fetch?: typeof fetch
  /** Builds the event stream; default the browser's EventSource. */
  eventSource?: (url: string) => EventSource
}

export function httpTransport(opts: HttpTransportOptions = {}): Transport {
  const base = (opts.base ?? '').replace(/\/$/, '')
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init))
  let source: EventSource | null = null
  const listeners = new Map<string, Set<(payload: unknown) => void>>()

  async function call(method: string, input: unknown): Promise<Result<unknown>> {
    try {
      const res = await doFetch(`${base}/api/${method}`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: input === undefined ? '' : JSON.stringify(input)
      })
      const text = await res.text()
      try {
        return fromWire(text) as Result<unknown>
      } catch {
        return { ok: false, error: { code: 'internal', message: `the server answered ${res.status} without a result` } }
      }
    } catch (err) {
      return { ok: false, error: { code: 'unavailable', message: `cannot reach the workstation: ${(err as Error).message}` } }
    }
  }

  function listen(on: EventSource, name: string): void {
    on.addEventListener(name, (e) => {
      let payload: unknown
      try {
        payload = fromWire((e as MessageEvent<string>).data)
      } catch {
        return
      }
      for (const l of [...(listeners.get(name) ?? [])]) l(payload)
    })
  }

  /** Known to have no session (signed out, or a call refused for want of one): no stream opens until a sign-in. */
  let sessionGone = false

  function ensureSource(name: string): void {
    if (!source && !sessionGone) {
      source = (opts.eventSource ?? ((url) => new EventSource(url)))(`${base}/api/events`)
      for (const known of listeners.keys()) listen(source, known)
    }
    if (listeners.has(name)) return
    listeners.set(name, new Set())
    if (source) listen(source, name)
  }

  /**
   * The server binds a stream to the session that opened it and ends it when
   * that session ends, and a browser does not retry a refused stream. So the
   * stream closes when the session is gone (sign-out, or a call refused for
   * want of one) and, after a sign-in, opens again under the new session for
   * whatever the screens listen to.
   */
  function closeSource(): void {
    sessionGone = true
    source?.close()
    source = null
  }
  function reopenSource(): void {
    closeSource()
    sessionGone = false
    const first = listeners.keys().next()
    if (!first.done) ensureSource(first.value)
  }

  async function called(m: string, input: unknown): Promise<Result<unknown>> {
    const r = await call(m, input)
    // session.state tells a page just loaded whether its cookie still holds a session.
    const nobody = m === 'session.state' && r.ok && (r.value as { user: unknown }).user === null
    const somebody = m === 'session.state' && r.ok && !nobody
    if ((m === 'session.login' || m === 'session.setup') && r.ok) reopenSource()
    else if ((m === 'session.logout' && r.ok) || isSignedOut(r) || nobody) closeSource()
    else if (somebody && sessionGone) reopenSource()
    return noticeSignOut(r)
  }

  const api = Object.fromEntries(API_METHODS.map((m) => [m, (input?: unknown) => called(m, input)])) as ApiClient

  return {
    kind: 'browser',
    api,
    on(name, listener) {
      ensureSource(name)
      const set = listeners.get(name)!
      set.add(listener as (payload: unknown) => void)
      return () => void set.delete(listener as (payload: unknown) => void)
    },
    cellImageUrl: async (id) => `${base}/api/cell-image/${id}`,
    releaseImageUrl: () => undefined,
    pathForFile: () => null
  }
}

/** The preload's bridge if this page runs in the desktop app, else HTTP. */
export function pickTransport(win: { wbc?: DesktopBridge } = globalThis as { wbc?: DesktopBridge }): Transport {
  return win.wbc ? desktopTransport(win.wbc) : httpTransport()
}

let current: Transport | null = null

/** The transport stores use; chosen once at startup (tests set their own). */
export function useTransport(): Transport {
  if (!current) current = pickTransport()
  return current
}

export function setTransport(t: Transport | null): void {
  current = t
}
