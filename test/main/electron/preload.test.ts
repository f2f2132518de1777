// The preload exposes exactly the contract: one function per method, the event
// subscription, the dropped-file path and the request to connect to a lab
// server; never ipcRenderer or IPC events.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { API_METHODS, IPC_CONNECT_LAB_SERVER_CHANNEL, IPC_EVENT_CHANNEL, ipcChannel } from '../../../src/shared/api'

const exposed: Record<string, unknown> = {}
const ipcListeners: Record<string, (event: unknown, message: unknown) => void> = {}
const invoke = vi.fn(async (channel: string, input: unknown) => ({ ok: true, value: { channel, input } }))

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
  ipcRenderer: {
    invoke: (channel: string, input: unknown) => invoke(channel, input),
    on: (channel: string, fn: (event: unknown, message: unknown) => void) => (ipcListeners[channel] = fn)
  },
  webUtils: {
    getPathForFile: (file: { fake?: string }) => {
      if (!file.fake) throw new TypeError('not a File')
      return file.fake
    }
  }
}))

beforeEach(async () => {
  await import('../../../src/preload/index')
})

type Bridge = {
  api: Record<string, (input?: unknown) => Promise<unknown>>
  on: (n: string, l: (p: unknown) => void) => () => void
  pathForFile: (f: unknown) => string | null
  connectLabServer: (address: unknown) => Promise<unknown>
}

describe('preload bridge', () => {
  it('exposes one object, window.wbc, with exactly the contract', () => {
    expect(Object.keys(exposed)).toEqual(['wbc'])
    const bridge = exposed.wbc as Bridge
    expect(Object.keys(bridge).sort()).toEqual(['api', 'connectLabServer', 'on', 'pathForFile'])
    expect(Object.keys(bridge.api).sort()).toEqual([...API_METHODS].sort())
    for (const m of API_METHODS) expect(typeof bridge.api[m]).toBe('function')
  })

  it('calls each method on its own channel', async () => {
    const bridge = exposed.wbc as Bridge
    expect(await bridge.api['cells.list']!({ slideId: 3 })).toEqual({ ok: true, value: { channel: ipcChannel('cells.list'), input: { slideId: 3 } } })
    expect(invoke).toHaveBeenLastCalledWith('wbc:api:cells.list', { slideId: 3 })
  })

  it('delivers events by name, payload only, and refuses unknown names', () => {
    const bridge = exposed.wbc as Bridge
    const got: unknown[] = []
    const off = bridge.on('job.progress', (p) => got.push(p))
    const sender = { sender: 'ipc internals the page must not see' }
    ipcListeners[IPC_EVENT_CHANNEL]!(sender, { name: 'job.progress', payload: { jobId: 'a' } })
    ipcListeners[IPC_EVENT_CHANNEL]!(sender, { name: 'job.finished', payload: { id: 'a' } })
    ipcListeners[IPC_EVENT_CHANNEL]!(sender, { name: 'evil', payload: {} })
    expect(got).toEqual([{ jobId: 'a' }])
    off()
    ipcListeners[IPC_EVENT_CHANNEL]!(sender, { name: 'job.progress', payload: { jobId: 'b' } })
    expect(got).toHaveLength(1)
    expect(() => bridge.on('ipc:anything', () => undefined)).toThrow()
  })

  it('asks to connect to a lab server on its own channel, with nothing but a string', async () => {
    const bridge = exposed.wbc as Bridge
    await bridge.connectLabServer({ toString: () => 'https://wbc.lab.example' })
    expect(invoke).toHaveBeenLastCalledWith(IPC_CONNECT_LAB_SERVER_CHANNEL, 'https://wbc.lab.example')
  })

  it('gives the path of a dropped file, null for anything else', () => {
    const bridge = exposed.wbc as Bridge
    expect(bridge.pathForFile({ fake: '/data/export/SLIDE-1' })).toBe('/data/export/SLIDE-1')
    expect(bridge.pathForFile({})).toBeNull()
  })
})
