// Preload bridge: exposes exactly the typed API contract from src/shared as
// `window.wbc` (one function per method, the event subscription, and the
// path of a dropped file, which only a preload can read). Nothing of Electron
// or Node reaches the page: not ipcRenderer, not the IPC event objects.
import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { API_METHODS, IPC_CONNECT_LAB_SERVER_CHANNEL, IPC_EVENT_CHANNEL, ipcChannel, isEventName, type ApiClient, type ApiEvent, type DesktopBridge } from '../shared/api'

type AnyListener = (payload: unknown) => void
const listeners = new Map<string, Set<AnyListener>>()

ipcRenderer.on(IPC_EVENT_CHANNEL, (_event, message: ApiEvent) => {
  if (!message || !isEventName(message.name)) return
  for (const l of [...(listeners.get(message.name) ?? [])]) l(message.payload)
})

const api = Object.fromEntries(
  API_METHODS.map((method) => [method, (input?: unknown) => ipcRenderer.invoke(ipcChannel(method), input)])
) as ApiClient

export const bridge: DesktopBridge = {
  api,
  on(name, listener) {
    if (!isEventName(name) || typeof listener !== 'function') throw new TypeError('unknown event')
    let set = listeners.get(name)
    if (!set) listeners.set(name, (set = new Set()))
    set.add(listener as AnyListener)
    return () => void set.delete(listener as AnyListener)
  },
  pathForFile(file) {
    try {
      // webUtils.getPathForFile wants a DOM File; the page hands it over through the bridge.
      return webUtils.getPathForFile(file as Parameters<typeof webUtils.getPathForFile>[0]) || null
    } catch {
      return null
    }
  },
  connectLabServer(address) {
    // Only a string crosses; the main side validates it and asks the person in a native dialog.
    return ipcRenderer.invoke(IPC_CONNECT_LAB_SERVER_CHANNEL, String(address))
  }
}

contextBridge.exposeInMainWorld('wbc', bridge)
