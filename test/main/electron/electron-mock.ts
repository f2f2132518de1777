// A stand-in for the `electron` module (its binary cannot be downloaded here):
// just enough surface for the shell's wiring, recording what the shell does.
import { EventEmitter } from 'node:events'
import { vi } from 'vitest'

export type Handler = (event: unknown, ...args: unknown[]) => unknown

export function fakeIpcMain() {
  const handlers = new Map<string, Handler>()
  return {
    handlers,
    handle: vi.fn((channel: string, fn: Handler) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`)
      handlers.set(channel, fn)
    }),
    removeHandler: vi.fn((channel: string) => handlers.delete(channel))
  }
}

export function fakeWebContents(url = 'app://wbc/index.html') {
  const emitter = new EventEmitter()
  let openHandler: ((d: unknown) => unknown) | undefined
  return Object.assign(emitter, {
    send: vi.fn(),
    getURL: () => url,
    isDestroyed: () => false,
    setWindowOpenHandler: vi.fn((h: (d: unknown) => unknown) => (openHandler = h)),
    openWindow: (details: unknown) => openHandler?.(details)
  })
}

export function fakeSession() {
  let permissionRequest: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined
  let permissionCheck: (() => boolean) | undefined
  let headers: ((d: { responseHeaders?: Record<string, string[]> }, cb: (r: unknown) => void) => void) | undefined
  return {
    setPermissionRequestHandler: vi.fn((h: typeof permissionRequest) => (permissionRequest = h)),
    setPermissionCheckHandler: vi.fn((h: typeof permissionCheck) => (permissionCheck = h)),
    setDevicePermissionHandler: vi.fn(),
    webRequest: { onHeadersReceived: vi.fn((h: typeof headers) => (headers = h)) },
    askPermission: (p: string) => new Promise<boolean>((resolve) => permissionRequest!({}, p, resolve)),
    checkPermission: () => permissionCheck!(),
    respond: (responseHeaders: Record<string, string[]>) =>
      new Promise<{ responseHeaders: Record<string, string[]> }>((resolve) => headers!({ responseHeaders }, resolve as (r: unknown) => void))
  }
}

/** An IPC invoke event from a frame at `url` (a sub-frame when `parent` is set). */
export function invokeEvent(url: string, parent = false, window = defaultWindow) {
  return { senderFrame: { url, parent: parent ? {} : null }, sender: window }
}

/** The webContents an IPC call comes from: its id keys the window's signed-in user. */
export function fakeSender(id: number) {
  const emitter = new EventEmitter()
  return Object.assign(emitter, { id })
}
const defaultWindow = fakeSender(1)
