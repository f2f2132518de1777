// The desktop shell: one hardened window over the workstation core. The core
// (store, import, ml ...) runs in a worker thread (see ../api/host); this file
// only wires windows, the app:// protocol and IPC. The main bundle is ESM, so
// paths come from import.meta.url, not __dirname.
import { app, BrowserWindow, dialog, ipcMain, protocol, session, webContents } from 'electron'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startWorkstationHost } from '../api/host'
import type { Workstation } from '../api'
import { forwardEvents, registerIpc } from './ipc'
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
    try {
      workstation = await startWorkstationHost({
        shell: 'desktop',
        version: app.getVersion(),
        dbPath,
        nativeBinding: electronSqliteBinding(app.getAppPath())
      })
    } catch (err) {
      dialog.showErrorBox(
        'WBC Workstation cannot open its database',
        `${(err as Error).message}\n\nDatabase: ${dbPath}\nIf this mentions NODE_MODULE_VERSION, better-sqlite3 needs its Electron build: see docs/desktop.md.`
      )
      app.exit(1)
      return
    }
    registerIpc(ipcMain, workstation, origins)
    forwardEvents(workstation, () => webContents.getAllWebContents(), origins)

    const win = new BrowserWindow(windowOptions(join(here, '../preload/index.cjs')))
    win.once('ready-to-show', () => win.show())
    await win.loadURL(devServer ?? `${APP_ORIGIN}/index.html`)
  })
}

export { APP_HOST }
