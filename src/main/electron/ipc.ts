// The contract over Electron IPC, generated from the table in src/shared/api:
// one ipcMain.handle per method on its own channel, each checking that the
// call comes from the app's own top-level page before the workstation (which
// validates the payload against the method's schema) sees it. Core events go
// to the app's windows on one channel.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron'
import { API_METHODS, IPC_EVENT_CHANNEL, fail, ipcChannel, type Result } from '../../shared/api'
import type { Workstation } from '../api'
import { isAppUrl } from './security'

export function isTrustedSender(event: IpcMainInvokeEvent, origins: readonly string[]): boolean {
  const frame = event.senderFrame
  // Only the window's main frame, only from the app's own origin.
  if (!frame || frame.parent) return false
  return isAppUrl(frame.url, origins)
}

export function registerIpc(ipcMain: IpcMain, workstation: Pick<Workstation, 'dispatch'>, origins: readonly string[]): () => void {
  for (const method of API_METHODS) {
    ipcMain.handle(ipcChannel(method), async (event, payload: unknown): Promise<Result<unknown>> => {
      if (!isTrustedSender(event, origins)) return fail('forbidden', `${method}: refused a call from outside the app`)
      return workstation.dispatch(method, payload)
    })
  }
  return () => {
    for (const method of API_METHODS) ipcMain.removeHandler(ipcChannel(method))
  }
}

/** Forward core events to the app's windows (and only to pages of the app). */
export function forwardEvents(
  workstation: Pick<Workstation, 'events'>,
  targets: () => WebContents[],
  origins: readonly string[]
): () => void {
  return workstation.events.subscribe((event) => {
    for (const wc of targets()) {
      if (!wc.isDestroyed() && isAppUrl(wc.getURL(), origins)) wc.send(IPC_EVENT_CHANNEL, event)
    }
  })
}
