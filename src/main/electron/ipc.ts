// The contract over Electron IPC, generated from the table in src/shared/api:
// one ipcMain.handle per method on its own channel, each checking that the
// call comes from the app's own top-level page before the workstation (which
// validates the payload against the method's schema) sees it. Core events go
// to the app's windows on one channel.
//
// The desktop app signs people in too: each window (webContents) holds a
// session (../people/sessions) for the user its session.login / session.setup
// returned, until session.logout, the window goes, or the session's idle time
// or absolute limit runs out, exactly as a browser's: a station left signed
// in must not let the next person at it reclassify or sign in the first
// one's name. The person at the machine may create the first admin (no
// token: whoever runs the app here already holds the database file).
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron'
import { API_METHODS, IPC_EVENT_CHANNEL, fail, ipcChannel, type Result } from '../../shared/api'
import type { Principal, Workstation } from '../api'
import type { SessionUser } from '../../shared/people'
import { createSessionStore, type SessionStore } from '../people/sessions'
import { isAppUrl } from './security'

export function isTrustedSender(event: IpcMainInvokeEvent, origins: readonly string[]): boolean {
  const frame = event.senderFrame
  // Only the window's main frame, only from the app's own origin.
  if (!frame || frame.parent) return false
  return isAppUrl(frame.url, origins)
}

export function registerIpc(
  ipcMain: IpcMain,
  workstation: Pick<Workstation, 'dispatch'>,
  origins: readonly string[],
  sessions: SessionStore = createSessionStore()
): () => void {
  /** Window id -> its session id in `sessions`. */
  const signedIn = new Map<number, string>()
  for (const method of API_METHODS) {
    ipcMain.handle(ipcChannel(method), async (event, payload: unknown): Promise<Result<unknown>> => {
      if (!isTrustedSender(event, origins)) return fail('forbidden', `${method}: refused a call from outside the app`)
      const window = event.sender
      // An expired session answers undefined: the call goes on as nobody's, and the page shows sign-in.
      const userId = sessions.touch(signedIn.get(window.id))
      const principal: Principal = userId === undefined ? null : { userId }
      const result = await workstation.dispatch(method, payload, principal)
      if ((method === 'session.login' || method === 'session.setup') && result.ok) {
        if (!signedIn.has(window.id)) {
          window.once?.('destroyed', () => {
            sessions.drop(signedIn.get(window.id))
            signedIn.delete(window.id)
          })
        }
        // A fresh session id on every sign-in, never the old one's.
        sessions.drop(signedIn.get(window.id))
        signedIn.set(window.id, sessions.create((result.value as SessionUser).id))
      } else if (method === 'session.logout' && result.ok) {
        sessions.drop(signedIn.get(window.id))
        signedIn.delete(window.id)
      }
      return result
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
