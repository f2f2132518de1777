// The desktop shell: one hardened window over the workstation core. The core
// (store, import, ml ...) runs in a worker thread (see ../api/host); this file
// only wires windows, the app:// protocol and IPC. The main bundle is ESM, so
// paths come from import.meta.url, not __dirname. Connected to a lab server
// (./lab-server), the app runs no core and shows the server's own page.
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, webContents } from 'electron'
import type { IpcMain } from 'electron'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startWorkstationHost } from '../api/host'
import type { Workstation } from '../api'
import { forwardEvents, isTrustedSender, registerIpc } from './ipc'
import { createSessionStore } from '../people/sessions'
import { labWindowOptions, LAB_PARTITION, parseLabServerUrl, readLabServer, saveLabServer } from './lab-server'
import { fail, IPC_CONNECT_LAB_SERVER_CHANNEL, ok, type Result } from '../../shared/api'
import { serveAppFile } from './protocol'
import { APP_HOST, APP_ORIGIN, APP_SCHEME, appOrigins, hardenContents, hardenSession, windowOptions } from './security'

/** out/main (the bundle's folder); its siblings are out/preload and out/renderer. */
const here = fileURLToPath(new URL('.', import.meta.url))

/**
 * better-sqlite3 built for Electron's ABI, kept apart from node_modules so the
 * plain-Node build the CLI and tests use is never touched (docs/desktop.md).
 */
export function electronSqliteBinding(appRoot: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.WBC_SQLITE_BINDING, join(appRoot, 'native', 'electron', 'better_sqlite3.node')]
  return candidates.find((p): p is string => !!p && existsSync(p))
}

export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.WBC_DB || join(app.getPath('userData'), 'wbc.sqlite')
}

export function startDesktopApp(): void {
  // Must happen before 'ready': app:// is a standard, secure origin for the CSP and fetch.
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }])
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }

  const labServer = readLabServer(app.getPath('userData'))
  if (labServer) {
    startLabServerClient(labServer)
    return
  }

  const devServer = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined
  const origins = appOrigins(devServer)
  let workstation: Workstation | null = null

  app.on('web-contents-created', (_event, contents) => hardenContents(contents, origins))
  app.on('window-all-closed', () => app.quit())
  app.on('before-quit', (event) => {
    if (!workstation) return
    // Let running jobs stop and the database close before the process goes.
    event.preventDefault()
    const ws = workstation
    workstation = null
    void ws.close().finally(() => app.quit())
  })

  void app.whenReady().then(async () => {
    hardenSession(session.defaultSession)
    const rendererRoot = join(here, '../renderer')
    protocol.handle(APP_SCHEME, (request) => serveAppFile(rendererRoot, request))

    const dbPath = defaultDbPath()
    // The desktop's sign-ins end after the same idle time as a browser's (session.state tells the page).
    const sessions = createSessionStore()
    try {
      workstation = await startWorkstationHost({
        shell: 'desktop',
        version: app.getVersion(),
        dbPath,
        nativeBinding: electronSqliteBinding(app.getAppPath()),
        sessionIdleMinutes: sessions.idleMinutes
      })
    } catch (err) {
      dialog.showErrorBox(
        'WBC Workstation cannot open its database',
        `${(err as Error).message}\n\nDatabase: ${dbPath}\nIf this mentions NODE_MODULE_VERSION, better-sqlite3 needs its Electron build: see docs/desktop.md.`
      )
      app.exit(1)
      return
    }
    registerIpc(ipcMain, workstation, origins, sessions)
    registerConnectLabServer(ipcMain, origins)
    forwardEvents(workstation, () => webContents.getAllWebContents(), origins)

    const win = new BrowserWindow(windowOptions(join(here, '../preload/index.cjs')))
    win.once('ready-to-show', () => win.show())
    await win.loadURL(devServer ?? `${APP_ORIGIN}/index.html`)
  })
}

/** Restarts the app once this one has closed its core (before-quit), e.g. into or out of lab-server mode. */
function restart(): void {
  app.relaunch()
  app.quit()
}

/**
 * The local page's "Connect to lab server": only the app's own top-level page
 * may ask, only for an https address (http only to this machine), and only the
 * person at the machine decides, in a native dialog the page cannot reach.
 */
export function registerConnectLabServer(ipc: Pick<IpcMain, 'handle'>, origins: readonly string[]): void {
  ipc.handle(IPC_CONNECT_LAB_SERVER_CHANNEL, async (event, address: unknown): Promise<Result<{ origin: string }>> => {
    if (!isTrustedSender(event, origins)) return fail('forbidden', 'refused a call from outside the app')
    const parsed = parseLabServerUrl(address)
    if (!parsed.ok) return fail('invalid_input', parsed.message)
    const window = BrowserWindow.fromWebContents(event.sender)
    const options = {
      type: 'question' as const,
      buttons: ['Connect', 'Cancel'],
      defaultId: 1,
      cancelId: 1,
      title: 'Connect to lab server',
      message: `Connect this workstation to the lab server ${parsed.origin}?`,
      detail:
        'The app restarts and shows the lab server\'s sign-in; slides, review and results are then the server\'s. ' +
        'This computer\'s own database stays as it is, unused, until you choose Lab server > Disconnect.'
    }
    const choice = window ? await dialog.showMessageBox(window, options) : await dialog.showMessageBox(options)
    if (choice.response !== 0) return fail('cancelled', 'not connected')
    saveLabServer(app.getPath('userData'), parsed.origin)
    setImmediate(restart)
    return ok({ origin: parsed.origin })
  })
}

/** The app as a lab server's client: no core, no IPC, one window on the server's own page. */
export function startLabServerClient(origin: string): void {
  const disconnect = (): void => {
    saveLabServer(app.getPath('userData'), null)
    restart()
  }
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, [origin]))
  app.on('window-all-closed', () => app.quit())

  void app.whenReady().then(async () => {
    hardenSession(session.defaultSession)
    hardenSession(session.fromPartition(LAB_PARTITION))
    Menu.setApplicationMenu(
      Menu.buildFromTemplate([
        {
          label: 'Lab server',
          submenu: [
            { label: `Connected to ${origin}`, enabled: false },
            { label: 'Reload', role: 'reload' },
            { type: 'separator' },
            { label: "Disconnect: use this computer's database", click: disconnect },
            { type: 'separator' },
            { label: 'Quit', role: 'quit' }
          ]
        },
        { role: 'editMenu' }
      ])
    )
    const win = new BrowserWindow(labWindowOptions(origin))
    // The title keeps naming the server, whatever the page calls itself.
    win.on('page-title-updated', (event) => event.preventDefault())
    win.once('ready-to-show', () => win.show())
    win.webContents.on('did-fail-load', (_event, code, description, _url, isMainFrame) => {
      if (!isMainFrame) return
      win.show()
      void dialog
        .showMessageBox(win, {
          type: 'error',
          buttons: ['Try again', "Disconnect: use this computer's database", 'Quit'],
          defaultId: 0,
          cancelId: 2,
          title: 'Lab server not reachable',
          message: `Cannot reach the lab server ${origin}`,
          detail: `${description} (${code}). A certificate error means this computer does not trust the server's certificate: install the lab's certificate authority in the operating system, never skip the check.`
        })
        .then(({ response }) => {
          if (response === 0) void win.loadURL(`${origin}/`).catch(() => undefined)
          else if (response === 1) disconnect()
          else app.quit()
        })
    })
    await win.loadURL(`${origin}/`).catch(() => undefined)
  })
}

export { APP_HOST }
