// IPC generated from the contract: one handler per method, the sender checked,
// the payload validated before any handler of the core runs.
import { describe, expect, it, vi } from 'vitest'

vi.mock('electron', () => ({}))

import { API_METHODS, IPC_EVENT_CHANNEL, ipcChannel } from '../../../src/shared/api'
import { createDispatch, type Handlers } from '../../../src/main/api/dispatch'
import { createEventBus } from '../../../src/main/api/events'
import { forwardEvents, registerIpc } from '../../../src/main/electron/ipc'
import { APP_ORIGIN, appOrigins } from '../../../src/main/electron/security'
import { fakeIpcMain, fakeWebContents, invokeEvent } from './electron-mock'

const origins = appOrigins(undefined)

function setup() {
  const calls: string[] = []
  const handlers = new Proxy({} as Handlers, {
    get: (_t, method: string) => (input: unknown) => {
      calls.push(method)
      return { method, input }
    }
  })
  const ipcMain = fakeIpcMain()
  const unregister = registerIpc(ipcMain as never, { dispatch: createDispatch(handlers) }, origins)
  const invoke = (method: string, payload: unknown, event = invokeEvent(`${APP_ORIGIN}/index.html`)) =>
    ipcMain.handlers.get(ipcChannel(method as never))!(event, payload)
  return { calls, ipcMain, invoke, unregister }
}

describe('IPC', () => {
  it('registers exactly one handler per contract method', () => {
    const { ipcMain, unregister } = setup()
    expect([...ipcMain.handlers.keys()].sort()).toEqual(API_METHODS.map(ipcChannel).sort())
    unregister()
    expect(ipcMain.handlers.size).toBe(0)
  })

  it('answers a valid call from the app page', async () => {
    const { invoke, calls } = setup()
    expect(await invoke('cell.image', { id: 7 })).toEqual({ ok: true, value: { method: 'cell.image', input: { id: 7 } } })
    expect(await invoke('app.info', undefined)).toMatchObject({ ok: true })
    expect(calls).toEqual(['cell.image', 'app.info'])
  })

  it('rejects a bad payload without reaching the core', async () => {
    const { invoke, calls } = setup()
    expect(await invoke('cell.image', { id: 'seven' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await invoke('cell.image', { id: 7, sql: 'DROP TABLE images' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await invoke('import.start', { path: '' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await invoke('app.info', 'x')).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(calls).toEqual([])
  })

  it('rejects a foreign sender, a sub-frame and a missing frame', async () => {
    const { invoke, calls } = setup()
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
