// Signed-in sessions, for every shell that signs people in: a random id per
// sign-in (browser mode's HttpOnly cookie; the desktop's window holds it),
// bound to one user id, ended by sign-out, by an idle timeout, or by an
// absolute limit. The same clock on both shells: a desktop station left
// signed in is as open to the next person as a browser tab. Held in memory
// only: restarting `wbc serve` or the app signs everybody out. The user
// behind a session is re-checked by the dispatcher on every call (a
// disabled user's session stops working at once).
import { randomBytes } from 'node:crypto'

export const DEFAULT_IDLE_MINUTES = 30
/** However active, a session ends after this long (a shift). */
export const MAX_SESSION_HOURS = 12

interface Entry {
  userId: number
  createdAt: number
  lastSeen: number
}

export interface SessionStore {
  /** A fresh session for the user (never reuses an id: no fixation). */
  create(userId: number): string
  /** The user of a live session, refreshing its idle clock; undefined when unknown or expired. */
  touch(id: string | undefined): number | undefined
  /** The user of a live session without refreshing its idle clock (an open event stream is not activity). */
  peek(id: string | undefined): number | undefined
  drop(id: string | undefined): void
  readonly idleMinutes: number
}

export function createSessionStore(opts: { idleMinutes?: number; now?: () => number } = {}): SessionStore {
  const idleMinutes = opts.idleMinutes ?? DEFAULT_IDLE_MINUTES
  const idleMs = idleMinutes * 60_000
  const maxMs = MAX_SESSION_HOURS * 3_600_000
  const now = opts.now ?? Date.now
  const sessions = new Map<string, Entry>()

  const expired = (e: Entry, t: number) => t - e.lastSeen > idleMs || t - e.createdAt > maxMs
  function sweep(t: number): void {
    for (const [id, e] of sessions) if (expired(e, t)) sessions.delete(id)
  }

  function live(id: string | undefined): Entry | undefined {
    if (!id) return undefined
    const e = sessions.get(id)
    if (!e) return undefined
    if (expired(e, now())) {
      sessions.delete(id)
      return undefined
    }
    return e
  }

  return {
    idleMinutes,
    create(userId) {
      const t = now()
      sweep(t)
      const id = randomBytes(32).toString('base64url')
      sessions.set(id, { userId, createdAt: t, lastSeen: t })
      return id
    },
    touch(id) {
      const e = live(id)
      if (e) e.lastSeen = now()
      return e?.userId
    },
    peek(id) {
      return live(id)?.userId
    },
    drop(id) {
      if (id) sessions.delete(id)
    }
  }
}
