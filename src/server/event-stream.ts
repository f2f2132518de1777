// Browser mode's event stream (Server-Sent Events, GET /api/events): the
// core's events to every signed-in browser that may see them, each stream
// bound to the session that opened it. A stream ends when its session does
// (sign-out, idle time, the absolute limit) and when its user may no longer
// list jobs (disabled, roles taken away; re-checked every keep-alive), so a
// page left open after sign-out, or the next person at the same browser,
// never goes on hearing the first one's events. Every event carries an id and
// the last few hundred stay buffered: a station whose connection dropped
// reconnects (EventSource sends Last-Event-ID by itself) and gets what it
// missed, as long as it is still in the buffer.
import type { ServerResponse } from 'node:http'
import { API_EVENTS, type ApiEvent } from '../shared/api'
import { toWire } from '../shared/wire'

export interface EventStreamOptions {
  subscribe(listener: (event: ApiEvent) => void): () => void
  /** The user of a session, without refreshing its idle clock; undefined once it ended. */
  sessionUser(sessionId: string): number | undefined
  /** Whether the session's user may still receive events (asked at every keep-alive). */
  stillAllowed(sessionId: string): Promise<boolean>
  /** How many recent events are kept for replay (default 256). */
  buffered?: number
  /** Milliseconds between keep-alives and re-checks (default 20 s). */
  keepAliveMs?: number
}

export interface EventStreams {
  /** Starts a stream on `res` for a session already allowed; replays the buffered events after `lastEventId`. */
  open(res: ServerResponse, sessionId: string, lastEventId: string | undefined): void
  /** Ends every stream of a session (its sign-out). */
  endSession(sessionId: string | undefined): void
  /** Ends every stream and stops listening (server shutdown). */
  close(): void
  /** Streams open now (for tests and logs). */
  readonly size: number
}

interface Stream {
  res: ServerResponse
  sessionId: string
  userId: number
}

export function createEventStreams(opts: EventStreamOptions): EventStreams {
  const capacity = opts.buffered ?? 256
  const streams = new Set<Stream>()
  const buffer: { id: number; frame: string }[] = []
  let lastId = 0

  function end(s: Stream): void {
    streams.delete(s)
    s.res.end()
  }

  /** A stream whose session ended (or moved to another user) ends instead of hearing more. */
  function live(s: Stream): boolean {
    if (opts.sessionUser(s.sessionId) === s.userId) return true
    end(s)
    return false
  }

  const unsubscribe = opts.subscribe((event) => {
    const id = ++lastId
    const frame = `id: ${id}\nevent: ${event.name}\ndata: ${toWire(event.payload)}\n\n`
    buffer.push({ id, frame })
    if (buffer.length > capacity) buffer.shift()
    for (const s of [...streams]) if (live(s)) s.res.write(frame)
  })

  const keepAlive = setInterval(() => {
    for (const s of [...streams]) {
      if (!live(s)) continue
      s.res.write(': keep-alive\n\n')
      opts.stillAllowed(s.sessionId).then(
        (ok) => {
          if (!ok && streams.has(s)) end(s)
        },
        () => undefined
      )
    }
  }, opts.keepAliveMs ?? 20_000)
  keepAlive.unref()

  return {
    open(res, sessionId, lastEventId) {
      const userId = opts.sessionUser(sessionId)
      if (userId === undefined) {
        res.end()
        return
      }
      res.write(`: events ${API_EVENTS.join(' ')}\nretry: 2000\n\n`)
      const after = lastEventId !== undefined && /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : null
      if (after !== null) for (const b of buffer) if (b.id > after) res.write(b.frame)
      const s = { res, sessionId, userId }
      streams.add(s)
      res.on('close', () => streams.delete(s))
    },
    endSession(sessionId) {
      if (!sessionId) return
      for (const s of [...streams]) if (s.sessionId === sessionId) end(s)
    },
    close() {
      unsubscribe()
      clearInterval(keepAlive)
      for (const s of [...streams]) end(s)
    },
    get size() {
      return streams.size
    }
  }
}
