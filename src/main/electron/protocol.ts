// Serves the built renderer under app://wbc/ instead of file://, so the page
// has a real origin for the CSP's 'self' and the IPC sender check, and can
// read nothing outside out/renderer.
import { readFile } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import { CONTENT_SECURITY_POLICY } from './security'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json'
}

/** The file under `root` a request URL names, or null when it would leave `root`. */
export function resolveAppFile(root: string, url: string): string | null {
  let pathname: string
  try {
    pathname = decodeURIComponent(new URL(url).pathname)
  } catch {
    return null
  }
  if (pathname.includes('\0')) return null
  const rel = normalize(pathname === '/' || pathname === '' ? '/index.html' : pathname).replace(/^[/\\]+/, '')
  const file = join(root, rel)
  return file === root || file.startsWith(root.endsWith(sep) ? root : root + sep) ? file : null
}

export async function serveAppFile(root: string, request: Request): Promise<Response> {
  const file = resolveAppFile(root, request.url)
  if (!file) return new Response('not found', { status: 404 })
  try {
    const body = await readFile(file)
    return new Response(body, {
      headers: {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff'
      }
    })
  } catch {
    return new Response('not found', { status: 404 })
  }
}
