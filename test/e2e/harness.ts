// What every end-to-end test needs around the browser, in one place: `wbc
// serve` (the project's own CLI, from source) on a temp database and a free
// port, Debian's Chromium through playwright-core, and screenshots at both
// target sizes. Setup steps run the CLI through test/helpers/wbc.ts.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { REPO_ROOT } from '../helpers/datasets'
import { wbc } from '../helpers/wbc'

export const CHROMIUM = process.env.WBC_CHROMIUM ?? '/usr/bin/chromium'
export const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots')
export const SIZES = [
  { width: 1366, height: 768 },
  { width: 1920, height: 1080 }
] as const

export function requireBuiltRendererAndChromium(): void {
  if (!existsSync(join(REPO_ROOT, 'out', 'renderer', 'index.html'))) {
    throw new Error('out/renderer is missing: the e2e tests serve the built renderer. Run `npm run build` (or `npm run setup`) first.')
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (npm run setup does it as root) or set WBC_CHROMIUM.`)
  }
}

export interface Served {
  url: string
  process: ChildProcess
  stop(): Promise<void>
}

export function startServe(dbPath: string, env: Record<string, string> = {}): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'wbc.js'), 'serve', '--port', '0', '--db', dbPath], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env }
    })
    let out = ''
    let err = ''
    const stop = async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
      if (child.exitCode === null) child.kill('SIGKILL')
    }
    const timer = setTimeout(() => reject(new Error(`wbc serve did not start within 60 s:\n${out}\n${err}`)), 60_000)
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /^open: (\S+)$/m.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve({ url: m[1]!, process: child, stop })
      }
    })
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`wbc serve exited (${code}):\n${out}\n${err}`))
    })
  })
}

export async function launchBrowser(profileDir: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: SIZES[0],
    acceptDownloads: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  const page = context.pages()[0] ?? (await context.newPage())
  const errors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  page.on('pageerror', (e) => errors.push(e.message))
  return { context, page, errors }
}

/** Screenshots of the page as it is, at both target sizes; ends back at the first size. */
export async function shoot(page: Page, name: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size)
    await page.waitForTimeout(200)
    await page.screenshot({ path: join(SHOTS, `${name}-${size.width}x${size.height}.png`) })
  }
  await page.setViewportSize(SIZES[0])
  await page.waitForTimeout(100)
}

/** A password for e2e users (tests only). */
export const E2E_PASSWORD = 'e2e users have a long password'

/** Adds a user to the database the way an admin does from the command line. */
export async function addUser(dbPath: string, name: string, roles: string[], password = E2E_PASSWORD, displayName = name): Promise<void> {
  const r = await wbc(['user', 'add', name, '--role', roles.join(','), '--display-name', displayName, '--password-stdin', '--db', dbPath], {}, `${password}\n`)
  if (r.code !== 0) throw new Error(`wbc user add ${name} exited ${r.code}: ${r.err}`)
}

/** Signs in through the app's sign-in screen with the keyboard, and waits for the frame. */
export async function signIn(page: Page, url: string, name: string, password = E2E_PASSWORD): Promise<void> {
  await page.goto(url)
  await page.getByTestId('signin-name').waitFor()
  await page.getByTestId('signin-name').fill(name)
  await page.getByTestId('signin-password').fill(password)
  await page.keyboard.press('Enter')
  await page.getByTestId('signed-in').waitFor()
}

/** Signs out through the frame's button and waits for the sign-in screen. */
export async function signOut(page: Page): Promise<void> {
  await page.getByTestId('sign-out').click()
  await page.getByTestId('signin-name').waitFor()
}

/** A client of the contract signed in as a user, as the UI is (the session cookie), for tests to compare screens with the core. */
export async function apiAs(url: string, name: string, password = E2E_PASSWORD) {
  const origin = new URL(url).origin
  const login = await fetch(`${origin}/api/session.login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password }) })
  const m = /wbc_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')
  if (!m) throw new Error(`cannot sign in as ${name}: ${await login.text()}`)
  const cookie = `wbc_session=${m[1]}`
  return async function callResult(method: string, input: unknown): Promise<{ ok: true; value: unknown } | { ok: false; error: { code: string; message: string } }> {
    const res = await fetch(`${origin}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(input) })
    return (await res.json()) as { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } }
  }
}
