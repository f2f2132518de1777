// The desktop app as a lab server's client, with `electron` mocked: the
// address rules (https, http only to this machine, no credentials); "Connect
// to lab server" answered only for the app's own page and only after the
// person confirms in a native dialog; and, once connected, a start that runs
// no core and no IPC and opens one window on the server's own page without a
// preload, in its own session partition, held to the server's origin, with a
// menu to disconnect.
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IPC_CONNECT_LAB_SERVER_CHANNEL } from '../../../src/shared/api'
import { labWindowOptions, parseLabServerUrl, readLabServer, saveLabServer } from '../../../src/main/electron/lab-server'
import { fakeIpcMain, fakeSession, fakeWebContents, invokeEvent } from './electron-mock'

const m = vi.hoisted(() => ({
  userData: '',
  windows: [] as { options: Record<string, unknown>; url?: string; events: Map<string, (...a: unknown[]) => void>; contentsEvents: Map<string, (...a: unknown[]) => void> }[],
  appEvents: new Map<string, (...a: unknown[]) => void>(),
  partitions: [] as string[],
  menu: null as null | { label?: string; submenu?: { label?: string; click?: () => void }[] }[],
  dialogAnswers: [] as number[],
  dialogs: [] as { message: string; detail?: string }[],
  relaunch: 0,
  quit: 0
}))
const ipcMain = fakeIpcMain()
const defaultSession = fakeSession()
const labSession = fakeSession()

vi.mock('electron', () => {
  class BrowserWindow {
    entry: (typeof m.windows)[number]
    webContents: { on: (name: string, fn: (...a: unknown[]) => void) => void }
    constructor(options: Record<string, unknown>) {
      this.entry = { options, events: new Map(), contentsEvents: new Map() }
      m.windows.push(this.entry)
      this.webContents = { on: (name, fn) => void this.entry.contentsEvents.set(name, fn) }
    }
    static fromWebContents() {
      return null
    }
    on(name: string, fn: (...a: unknown[]) => void) {
      this.entry.events.set(name, fn)
    }
    once(name: string, fn: (...a: unknown[]) => void) {
      this.entry.events.set(name, fn)
    }
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
      getPath: () => m.userData,
      requestSingleInstanceLock: () => true,
      on: (name: string, fn: (...a: unknown[]) => void) => m.appEvents.set(name, fn),
      whenReady: () => Promise.resolve(),
      relaunch: () => m.relaunch++,
      quit: () => m.quit++,
      exit: vi.fn()
    },
    BrowserWindow,
    Menu: {
      buildFromTemplate: (t: typeof m.menu) => t,
      setApplicationMenu: (menu: typeof m.menu) => (m.menu = menu)
    },
    dialog: {
      showErrorBox: vi.fn(),
      showMessageBox: async (...args: unknown[]) => {
        const opts = args.at(-1) as { message: string; detail?: string }
        m.dialogs.push(opts)
        return { response: m.dialogAnswers.shift() ?? 1 }
      }
    },
    ipcMain,
    protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
    session: {
      defaultSession,
      fromPartition: (p: string) => {
        m.partitions.push(p)
        return labSession
      }
    },
    webContents: { getAllWebContents: () => [] }
  }
})

const dirs: string[] = []
const freshUserData = () => {
  const d = mkdtempSync(join(tmpdir(), 'wbc-labclient-'))
  dirs.push(d)
  m.userData = d
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
beforeEach(() => {
  m.dialogs.length = 0
  m.dialogAnswers.length = 0
  m.relaunch = 0
  m.quit = 0
})

describe('lab server addresses', () => {
  it('takes https origins, http only to this machine, never credentials', () => {
    expect(parseLabServerUrl(' https://wbc.lab.example:7373/some/page?x=1 ')).toEqual({ ok: true, origin: 'https://wbc.lab.example:7373' })
    expect(parseLabServerUrl('http://127.0.0.1:7373')).toEqual({ ok: true, origin: 'http://127.0.0.1:7373' })
    expect(parseLabServerUrl('http://localhost:8080/')).toEqual({ ok: true, origin: 'http://localhost:8080' })
    expect(parseLabServerUrl('http://wbc.lab.example:7373')).toMatchObject({ ok: false, message: expect.stringMatching(/HTTPS only/) })
    expect(parseLabServerUrl('https://olga:secret@wbc.lab.example')).toMatchObject({ ok: false, message: expect.stringMatching(/user name and password/) })
    for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'app://wbc/index.html', 'wbc.lab.example', '', 42]) expect(parseLabServerUrl(bad).ok, String(bad)).toBe(false)
  })

  it('saves and forgets the choice; a damaged or unsafe saved value counts as none', () => {
    const dir = freshUserData()
    expect(readLabServer(dir)).toBeNull()
    saveLabServer(dir, 'https://wbc.lab.example')
    expect(readLabServer(dir)).toBe('https://wbc.lab.example')
    saveLabServer(dir, null)
    expect(readLabServer(dir)).toBeNull()
    saveLabServer(dir, 'http://evil.example')
    expect(readLabServer(dir)).toBeNull()
  })

  it('gives the remote window the hardened settings without a preload, in its own partition', () => {
    const o = labWindowOptions('https://wbc.lab.example')
    expect(o.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, partition: 'persist:lab-server' })
    expect(o.webPreferences).not.toHaveProperty('preload')
  })
})

describe('"Connect to lab server" from the local page', () => {
  it('is answered only for the app’s own page, checks the address, and connects only when the person confirms', async () => {
    const dir = freshUserData()
    const { registerConnectLabServer } = await import('../../../src/main/electron/app')
    registerConnectLabServer(ipcMain, ['app://wbc'])
    const connect = (url: string, address: unknown) => ipcMain.handlers.get(IPC_CONNECT_LAB_SERVER_CHANNEL)!(invokeEvent(url), address)

    // A page from anywhere else (a hostile page, a frame) cannot even ask.
    expect(await connect('https://evil.example/', 'https://evil.example')).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await connect('app://wbc/index.html', 'http://wbc.lab.example')).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(m.dialogs).toEqual([])

    // The person declines in the native dialog: nothing is saved, nothing restarts.
    m.dialogAnswers.push(1)
    expect(await connect('app://wbc/index.html', 'https://wbc.lab.example:7373/')).toMatchObject({ ok: false, error: { code: 'cancelled' } })
    expect(m.dialogs[0]!.message).toBe('Connect this workstation to the lab server https://wbc.lab.example:7373?')
    expect(existsSync(join(dir, 'lab-server.json'))).toBe(false)

    // Confirmed: saved, and the app restarts (relaunch, then quit through before-quit, which closes the core).
    m.dialogAnswers.push(0)
    expect(await connect('app://wbc/index.html', 'https://wbc.lab.example:7373/')).toEqual({ ok: true, value: { origin: 'https://wbc.lab.example:7373' } })
    expect(JSON.parse(readFileSync(join(dir, 'lab-server.json'), 'utf8'))).toEqual({ origin: 'https://wbc.lab.example:7373' })
    await new Promise((r) => setImmediate(r))
    expect([m.relaunch, m.quit]).toEqual([1, 1])
  })
})

describe('the app connected to a lab server', () => {
  it('opens no core and no IPC, one window on the server’s page held to its origin, and a menu to disconnect', async () => {
    const dir = freshUserData()
    saveLabServer(dir, 'https://wbc.lab.example:7373')
    vi.resetModules()
    ipcMain.handlers.clear()
    const { startDesktopApp } = await import('../../../src/main/electron/app')
    startDesktopApp()
    await vi.waitFor(() => expect(m.windows.at(-1)?.url).toBe('https://wbc.lab.example:7373/'))
    const win = m.windows.at(-1)!
    expect(win.options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, partition: 'persist:lab-server' })
    expect(win.options.webPreferences).not.toHaveProperty('preload')
    // No contract on IPC: the page reaches the server over HTTPS like a browser, nothing else.
    expect([...ipcMain.handlers.keys()]).toEqual([])
    expect(m.partitions).toContain('persist:lab-server')
    expect(labSession.setPermissionRequestHandler).toHaveBeenCalled()
    expect(await labSession.askPermission('media')).toBe(false)

    // Navigation stays on the server's origin; new windows are refused.
    const contents = fakeWebContents('https://wbc.lab.example:7373/')
    m.appEvents.get('web-contents-created')!({}, contents)
    const away = { preventDefault: vi.fn() }
    contents.emit('will-navigate', away, 'https://evil.example/phish')
    expect(away.preventDefault).toHaveBeenCalled()
    const within = { preventDefault: vi.fn() }
    contents.emit('will-navigate', within, 'https://wbc.lab.example:7373/#/review/3')
    expect(within.preventDefault).not.toHaveBeenCalled()
    expect(contents.openWindow({ url: 'https://wbc.lab.example:7373/x' })).toEqual({ action: 'deny' })
    // The title keeps naming the server.
    const title = { preventDefault: vi.fn() }
    win.events.get('page-title-updated')!(title)
    expect(title.preventDefault).toHaveBeenCalled()

    // Unreachable (a certificate the computer does not trust, say): the person is told, and may disconnect.
    m.dialogAnswers.push(1)
    win.contentsEvents.get('did-fail-load')!({}, -202, 'ERR_CERT_AUTHORITY_INVALID', 'https://wbc.lab.example:7373/', true)
    await vi.waitFor(() => expect(m.relaunch).toBe(1))
    expect(m.dialogs.at(-1)).toMatchObject({ message: 'Cannot reach the lab server https://wbc.lab.example:7373', detail: expect.stringMatching(/ERR_CERT_AUTHORITY_INVALID.*never skip the check/) })
    expect(readLabServer(dir)).toBeNull()

    // The menu names the server and disconnects.
    saveLabServer(dir, 'https://wbc.lab.example:7373')
    const items = m.menu![0]!.submenu!
    expect(items[0]!.label).toBe('Connected to https://wbc.lab.example:7373')
    items.find((i) => i.label?.startsWith('Disconnect'))!.click!()
    expect(readLabServer(dir)).toBeNull()
    expect(m.relaunch).toBe(2)
  })
})
