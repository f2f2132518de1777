// The desktop window's hardening, as plain data and small functions so the
// tests can check every setting with `electron` mocked. What is allowed: the
// app's own pages (app://wbc, or the dev server in `electron-vite dev`), its
// own preload, and the contract over IPC. Everything else is refused.
import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron'
import { CONTENT_SECURITY_POLICY } from '../../shared/security'

export const APP_SCHEME = 'app'
export const APP_HOST = 'wbc'
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`

/** The same policy the browser-mode server sends (one definition in src/shared/security.ts). */
export { CONTENT_SECURITY_POLICY }

export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1366,
    height: 768,
    minWidth: 1024,
    minHeight: 640,
    title: 'WBC Workstation',
    backgroundColor: '#f4f6f8',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true
    }
  }
}

/** The origins the app's own pages may come from. */
export function appOrigins(devServerUrl: string | undefined): string[] {
  const origins = [APP_ORIGIN]
  if (devServerUrl) origins.push(new URL(devServerUrl).origin)
  return origins
}

export function isAppUrl(url: string | undefined | null, origins: readonly string[]): boolean {
  if (!url) return false
  try {
    const u = new URL(url)
    // A custom scheme's URL has the origin 'null' in WHATWG URL: compare scheme and host instead.
    const origin = u.protocol === `${APP_SCHEME}:` ? `${APP_SCHEME}://${u.host}` : u.origin
    return origins.includes(origin)
  } catch {
    return false
  }
}

/** Refuse every permission (camera, notifications, geolocation ...) and add the CSP to every response. */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
  session.setDevicePermissionHandler?.(() => false)
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
        'X-Content-Type-Options': ['nosniff']
      }
    })
  })
}

/** No navigation away from the app, no new windows, no webviews. */
export function hardenContents(contents: WebContents, origins: readonly string[]): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, origins)) event.preventDefault()
  })
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, origins)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
}
