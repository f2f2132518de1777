// The desktop window's hardening, checked with `electron` mocked.
import { describe, expect, it, vi } from 'vitest'

vi.mock('electron', () => ({}))

import {
  APP_ORIGIN,
  CONTENT_SECURITY_POLICY,
  appOrigins,
  hardenContents,
  hardenSession,
  isAppUrl,
  windowOptions
} from '../../../src/main/electron/security'
import { resolveAppFile } from '../../../src/main/electron/protocol'
import { fakeSession, fakeWebContents } from './electron-mock'

describe('window options', () => {
  it('isolate the page from Node and Electron', () => {
    const o = windowOptions('/app/out/preload/index.cjs')
    expect(o.webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false
    })
  })
})

describe('navigation and new windows', () => {
  const origins = appOrigins(undefined)

  it('knows the app origin and nothing else', () => {
    expect(isAppUrl(`${APP_ORIGIN}/index.html`, origins)).toBe(true)
    expect(isAppUrl('app://other/index.html', origins)).toBe(false)
    expect(isAppUrl('https://example.org/', origins)).toBe(false)
    expect(isAppUrl('file:///etc/passwd', origins)).toBe(false)
    expect(isAppUrl('http://localhost:5173/', origins)).toBe(false)
    expect(isAppUrl('http://localhost:5173/', appOrigins('http://localhost:5173'))).toBe(true)
    expect(isAppUrl('not a url', origins)).toBe(false)
    expect(isAppUrl(undefined, origins)).toBe(false)
  })

  it('blocks navigation away from the app, redirects, webviews and window.open', () => {
    const wc = fakeWebContents()
    hardenContents(wc as never, origins)
    const nav = (event: string, url: string) => {
      const e = { preventDefault: vi.fn() }
      wc.emit(event, e, url)
      return e.preventDefault.mock.calls.length > 0
    }
    expect(nav('will-navigate', 'https://evil.example/')).toBe(true)
    expect(nav('will-navigate', 'file:///home/user/cells/SLIDE-1')).toBe(true)
    expect(nav('will-navigate', `${APP_ORIGIN}/index.html#/slides`)).toBe(false)
    expect(nav('will-redirect', 'https://evil.example/')).toBe(true)
    const webview = { preventDefault: vi.fn() }
    wc.emit('will-attach-webview', webview)
    expect(webview.preventDefault).toHaveBeenCalled()
    expect(wc.openWindow({ url: `${APP_ORIGIN}/index.html` })).toEqual({ action: 'deny' })
    expect(wc.openWindow({ url: 'https://evil.example/' })).toEqual({ action: 'deny' })
  })
})

describe('session', () => {
  it('denies every permission request and check', async () => {
    const s = fakeSession()
    hardenSession(s as never)
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) expect(await s.askPermission(p)).toBe(false)
    expect(s.checkPermission()).toBe(false)
  })

  it('adds the strict CSP to every response', async () => {
    const s = fakeSession()
    hardenSession(s as never)
    const r = await s.respond({ 'Content-Type': ['text/html'] })
    expect(r.responseHeaders['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY])
    expect(r.responseHeaders['Content-Type']).toEqual(['text/html'])
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'")
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline')
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval')
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'")
  })
})

describe('app:// protocol', () => {
  it('serves files under the renderer folder only', () => {
    const root = '/app/out/renderer'
    expect(resolveAppFile(root, 'app://wbc/')).toBe('/app/out/renderer/index.html')
    expect(resolveAppFile(root, 'app://wbc/assets/index.js')).toBe('/app/out/renderer/assets/index.js')
    expect(resolveAppFile(root, 'app://wbc/../../package.json')).toBe('/app/out/renderer/package.json')
    // Encoded dots and slashes still land inside the root.
    expect(resolveAppFile(root, 'app://wbc/%2e%2e/%2e%2e/package.json')).toBe('/app/out/renderer/package.json')
    expect(resolveAppFile(root, 'app://wbc/assets%2f..%2f..%2f..%2fetc%2fpasswd')).toBe('/app/out/renderer/etc/passwd')
    expect(resolveAppFile(root, 'app://wbc/assets/%00x')).toBeNull()
  })
})
