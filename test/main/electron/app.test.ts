// The desktop shell's startup with `electron` mocked: the real core host opens
// a temp database, and the window, session, protocol and IPC come up hardened.
import { afterAll, describe, expect, it, vi } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { API_METHODS, IPC_CONNECT_LAB_SERVER_CHANNEL, ipcChannel } from '../../../src/shared/api'
import { fakeIpcMain, fakeSession, fakeWebContents, invokeEvent } from './electron-mock'

const m = vi.hoisted(() => ({
  windows: [] as { options: Record<string, unknown>; url?: string }[],
  appEvents: new Map<string, (...a: unknown[]) => void>(),
  schemes: [] as unknown[],
  protocolHandlers: new Map<string, (req: Request) => Promise<Response>>(),
  errors: [] as string[]
}))
const ipcMain = fakeIpcMain()
const session = fakeSession()
const contents = fakeWebContents()

vi.mock('electron', () => {
  class BrowserWindow {
    entry: { options: Record<string, unknown>; url?: string }
    constructor(options: Record<string, unknown>) {
      this.entry = { options }
      m.windows.push(this.entry)
    }
    once() {}
    show() {}
    async loadURL(url: string) {
      this.entry.url = url
    }
  }
  return {
    app: {
      isPackaged: true,
      getVersion: () => '1.2.3',
      getAppPath: () => '/nonexistent/app',
      getPath: () => '/nonexistent/userdata',
      requestSingleInstanceLock: () => true,
      on: (name: string, fn: (...a: unknown[]) => void) => m.appEvents.set(name, fn),
      whenReady: () => Promise.resolve(),
      quit: vi.fn(),
      exit: vi.fn()
    },
    BrowserWindow,
    dialog: { showErrorBox: (title: string, text: string) => m.errors.push(`${title}: ${text}`) },
    ipcMain,
    protocol: {
      registerSchemesAsPrivileged: (s: unknown[]) => m.schemes.push(...s),
      handle: (scheme: string, fn: (req: Request) => Promise<Response>) => m.protocolHandlers.set(scheme, fn)
    },
    session: { defaultSession: session },
    webContents: { getAllWebContents: () => [contents] }
  }
})

const dir = mkdtempSync(join(tmpdir(), 'wbc-electron-'))
process.env.WBC_DB = join(dir, 'wbc.sqlite')

afterAll(async () => {
  // Let the shell close the core host as it would on quit.
  m.appEvents.get('before-quit')?.({ preventDefault: () => undefined })
  await new Promise((r) => setTimeout(r, 500))
  delete process.env.WBC_DB
  rmSync(dir, { recursive: true, force: true })
})

describe('desktop shell startup', () => {
  it('opens one hardened window on app://wbc over a working core', async () => {
    const { startDesktopApp } = await import('../../../src/main/electron/app')
    startDesktopApp()
    await vi.waitFor(() => expect(m.windows[0]?.url).toBeDefined(), { timeout: 30_000 })
    expect(m.errors).toEqual([])
    expect(m.schemes).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }])
    expect(m.windows).toHaveLength(1)
    const { options, url } = m.windows[0]!
    expect(url).toBe('app://wbc/index.html')
    expect(options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true })
    expect(String((options.webPreferences as { preload: string }).preload)).toMatch(/preload[\\/]index\.cjs$/)

    // Session and navigation hardening are installed.
    expect(session.setPermissionRequestHandler).toHaveBeenCalled()
    expect(session.webRequest.onHeadersReceived).toHaveBeenCalled()
    m.appEvents.get('web-contents-created')!({}, contents)
    const nav = { preventDefault: vi.fn() }
    contents.emit('will-navigate', nav, 'https://evil.example/')
    expect(nav.preventDefault).toHaveBeenCalled()

    // Every contract method is on IPC and reaches the real core in its worker; beside them only "Connect to lab server".
    expect([...ipcMain.handlers.keys()].sort()).toEqual([...API_METHODS.map(ipcChannel), IPC_CONNECT_LAB_SERVER_CHANNEL].sort())
    const call = (method: string, payload?: unknown) => ipcMain.handlers.get(ipcChannel(method as never))!(invokeEvent('app://wbc/index.html'), payload)
    // Nobody is signed in yet, and no user exists: the window creates the first admin and is signed in as them.
    expect(await call('app.info')).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await call('session.state')).toMatchObject({ ok: true, value: { needsSetup: true, user: null } })
    expect(await call('session.setup', { name: 'ada', password: 'ada has a long password' })).toMatchObject({ ok: true, value: { name: 'ada', roles: ['admin'] } })
    const info = await call('app.info')
    expect(info).toMatchObject({ ok: true, value: { shell: 'desktop', version: '1.2.3', dbPath: join(dir, 'wbc.sqlite') } })
    const foreign = await ipcMain.handlers.get(ipcChannel('app.info'))!(invokeEvent('https://evil.example/'))
    expect(foreign).toMatchObject({ ok: false, error: { code: 'forbidden' } })

    // The app protocol serves the renderer folder with the CSP, and nothing outside it.
    const serve = m.protocolHandlers.get('app')!
    const missing = await serve(new Request('app://wbc/../../package.json'))
    expect(missing.status).toBe(404)
  })
})
