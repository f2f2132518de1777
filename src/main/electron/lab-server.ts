// The desktop app as a client of a lab server ("Connect to lab server"). The
// app then opens no database of its own and runs no core: its window shows
// the lab server's own UI at the server's origin, exactly as a browser would,
// and that page talks to the server with the browser mode's transport
// (HTTPS, the session cookie, Server-Sent Events). Sign-in is the server's.
//
// Why load the server's page rather than carry the contract from the local
// page over IPC: the page and the API then always come from the same version
// of the server, and the remote page gets no power a browser tab lacks. Its
// window has no preload (no window.wbc, no IPC), a sandboxed renderer, its
// own session partition (cookies apart from anything else), every permission
// refused, no new windows or webviews, and navigation held to the server's
// origin. A hostile or compromised server can do what a web page can, and no
// more: it cannot reach Node, the file system or a local database (none is
// open). Plain HTTP is refused except to this machine (a test or a tunnel),
// and certificates are checked by Chromium as in a browser (the lab's own CA
// goes into the operating system's trust store; nothing here skips the
// check). Choosing a server is asked by the local page, but confirmed in a
// native dialog that the page cannot draw or click (docs/scale.md).
import type { BrowserWindowConstructorOptions } from 'electron'
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { windowOptions } from './security'

/** The session partition of the lab server's window: its cookies live apart from the local app's. */
export const LAB_PARTITION = 'persist:lab-server'
const SETTING_FILE = 'lab-server.json'

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

export type LabServerUrl = { ok: true; origin: string } | { ok: false; message: string }

/** The origin a typed lab-server address names: https (http only to this machine), no credentials, path ignored. */
export function parseLabServerUrl(text: unknown): LabServerUrl {
  if (typeof text !== 'string' || !text.trim() || text.length > 2048) return { ok: false, message: 'type the lab server’s address, e.g. https://wbc.lab.example:7373' }
  let url: URL
  try {
    url = new URL(text.trim())
  } catch {
    return { ok: false, message: `not an address: ${text.trim().slice(0, 100)}` }
  }
  if (url.username || url.password) return { ok: false, message: 'leave the user name and password out of the address: sign in on the server’s screen' }
  if (url.protocol === 'https:') return { ok: true, origin: url.origin }
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return { ok: true, origin: url.origin }
  if (url.protocol === 'http:') return { ok: false, message: 'a lab server is reached over HTTPS only (start it with --tls-cert and --tls-key): plain HTTP would carry passwords and patient data readable' }
  return { ok: false, message: `not a web address: ${url.protocol}` }
}

/** The saved lab server (an origin), or null for the app's own database. A damaged file counts as none. */
export function readLabServer(userDataDir: string): string | null {
  try {
    const saved = JSON.parse(readFileSync(join(userDataDir, SETTING_FILE), 'utf8')) as { origin?: unknown }
    const parsed = parseLabServerUrl(saved.origin)
    return parsed.ok ? parsed.origin : null
  } catch {
    return null
  }
}

/** Saves (or, with null, forgets) the lab server, atomically. */
export function saveLabServer(userDataDir: string, origin: string | null): void {
  const file = join(userDataDir, SETTING_FILE)
  if (origin === null) {
    rmSync(file, { force: true })
    return
  }
  mkdirSync(userDataDir, { recursive: true })
  writeFileSync(`${file}.tmp`, JSON.stringify({ origin }) + '\n')
  renameSync(`${file}.tmp`, file)
}

/** The lab server's window: the app's hardened window without a preload, in its own session partition. */
export function labWindowOptions(origin: string): BrowserWindowConstructorOptions {
  const base = windowOptions('')
  const { preload: _none, ...prefs } = base.webPreferences!
  return { ...base, title: `WBC Workstation — lab server ${origin}`, webPreferences: { ...prefs, partition: LAB_PARTITION } }
}
