// IPC generated from the contract: one handler per method, the sender checked,
// the payload validated before any handler of the core runs.
import { describe, expect, it, vi } from 'vitest'

vi.mock('electron', () => ({}))

import { API_METHODS, IPC_EVENT_CHANNEL, ipcChannel } from '../../../src/shared/api'
import { createDispatch, type Handlers } from '../../../src/main/api/dispatch'
import { createEventBus } from '../../../src/main/api/events'
import { forwardEvents, registerIpc } from '../../../src/main/electron/ipc'
import { APP_ORIGIN, appOrigins } from '../../../src/main/electron/security'
import { createSessionStore, type SessionStore } from '../../../src/main/people/sessions'
import { fakeIpcMain, fakeSender, fakeWebContents, invokeEvent } from './electron-mock'

const origins = appOrigins(undefined)

async function setup(sessions?: SessionStore) {
  const calls: string[] = []
  const handlers = new Proxy({} as Handlers, {
    get: (_t, method: string) => (input: unknown) => {
      calls.push(method)
      // Sign-in answers with the user; the shell binds the window to it.
      if (method === 'session.login') return { id: 5, name: 'lee', displayName: 'Dr Lee', roles: ['technologist'] }
      return { method, input }
    }
  })
  const ipcMain = fakeIpcMain()
  const users = (p: unknown) => (p !== null && typeof p === 'object' && (p as { userId: number }).userId === 5 ? { userId: 5, name: 'lee', roles: ['technologist' as const] } : undefined)
  const unregister = registerIpc(ipcMain as never, { dispatch: createDispatch(handlers, users) }, origins, sessions)
  const invoke = async (method: string, payload: unknown, event = invokeEvent(`${APP_ORIGIN}/index.html`)) => {
    const r = await ipcMain.handlers.get(ipcChannel(method as never))!(event, payload)
    // What the dispatcher hands a handler is the input only; the proxy records it.
    return r
  }
  await invoke('session.login', { name: 'lee', password: 'secret' })
  calls.length = 0
  return { calls, ipcMain, invoke, unregister }
}

describe('IPC', () => {
  it('registers exactly one handler per contract method', async () => {
    const { ipcMain, unregister } = await setup()
    expect([...ipcMain.handlers.keys()].sort()).toEqual(API_METHODS.map(ipcChannel).sort())
    unregister()
    expect(ipcMain.handlers.size).toBe(0)
  })

  it('answers a valid call from the app page', async () => {
    const { invoke, calls } = await setup()
    expect(await invoke('cell.image', { id: 7 })).toEqual({ ok: true, value: { method: 'cell.image', input: { id: 7 } } })
    expect(await invoke('app.info', undefined)).toMatchObject({ ok: true })
    expect(calls).toEqual(['cell.image', 'app.info'])
  })

  it('binds a window to the user it signed in as, until it signs out', async () => {
    const { invoke, calls } = await setup()
    const other = invokeEvent(`${APP_ORIGIN}/index.html`, false, fakeSender(2))
    expect(await invoke('slides.list', {}, other)).toMatchObject({ ok: false, error: { code: 'forbidden', message: 'slides.list: sign in first' } })
    expect(await invoke('slides.list', {})).toMatchObject({ ok: true })
    // A technologist is not an admin: refused by the dispatcher before the core.
    expect(await invoke('users.list', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await invoke('session.logout', {})).toMatchObject({ ok: true })
    expect(await invoke('slides.list', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(calls).toEqual(['slides.list', 'session.logout'])
  })

  it('ends a window\'s sign-in after the idle time, as a browser session ends', async () => {
    let clock = 1_000_000
    const { invoke, calls } = await setup(createSessionStore({ idleMinutes: 30, now: () => clock }))
    // Activity keeps the session: two calls 20 minutes apart.
    clock += 20 * 60_000
    expect(await invoke('slides.list', {})).toMatchObject({ ok: true })
    clock += 20 * 60_000
    expect(await invoke('slides.list', {})).toMatchObject({ ok: true })
    // Left alone for 31 minutes: the next person at the station is nobody, refused before the core.
    clock += 31 * 60_000
    expect(await invoke('slides.list', {})).toMatchObject({ ok: false, error: { code: 'forbidden', message: 'slides.list: sign in first' } })
    expect(await invoke('slides.list', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(calls).toEqual(['slides.list', 'slides.list'])
    // Signing in again starts a fresh session.
    expect(await invoke('session.login', { name: 'lee', password: 'secret' })).toMatchObject({ ok: true })
    expect(await invoke('slides.list', {})).toMatchObject({ ok: true })
  })

  it('ends a window\'s session when the window goes', async () => {
    const sessions = createSessionStore()
    const window = fakeSender(9)
    const { invoke } = await setup(sessions)
    const at = invokeEvent(`${APP_ORIGIN}/index.html`, false, window)
    expect(await invoke('session.login', { name: 'lee', password: 'secret' }, at)).toMatchObject({ ok: true })
    expect(await invoke('slides.list', {}, at)).toMatchObject({ ok: true })
    window.emit('destroyed')
    // A new window that reuses the id (Electron may) does not inherit the sign-in.
    expect(await invoke('slides.list', {}, at)).toMatchObject({ ok: false, error: { code: 'forbidden' } })
  })

  it('rejects a bad payload without reaching the core', async () => {
    const { invoke, calls } = await setup()
    expect(await invoke('cell.image', { id: 'seven' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await invoke('cell.image', { id: 7, sql: 'DROP TABLE images' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await invoke('import.start', { path: '' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await invoke('app.info', 'x')).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(calls).toEqual([])
  })

  it('rejects a foreign sender, a sub-frame and a missing frame', async () => {
    const { invoke, calls } = await setup()
    for (const event of [invokeEvent('https://evil.example/'), invokeEvent('file:///tmp/x.html'), invokeEvent(`${APP_ORIGIN}/index.html`, true), { senderFrame: null }]) {
      expect(await invoke('slides.list', {}, event as never)).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    }
    expect(calls).toEqual([])
  })

  it('forwards core events only to pages of the app', () => {
    const events = createEventBus()
    const app = fakeWebContents(`${APP_ORIGIN}/index.html`)
    const foreign = fakeWebContents('https://evil.example/')
    forwardEvents({ events }, () => [app, foreign] as never, origins)
    const payload = { jobId: 'j1', kind: 'import' as const, progress: { task: 'import', done: 1, total: 2 } }
    events.emit('job.progress', payload)
    expect(app.send).toHaveBeenCalledWith(IPC_EVENT_CHANNEL, { name: 'job.progress', payload })
    expect(foreign.send).not.toHaveBeenCalled()
  })
})
