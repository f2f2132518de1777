// Browser mode's event stream, on a fake event bus and fake responses: ids
// and replay after a dropped connection, a stream that ends with its session
// or when its user may no longer see events, and the bounded buffer.
import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import type { ServerResponse } from 'node:http'
import type { ApiEvent } from '../../src/shared/api'
import { createEventStreams, type EventStreams } from '../../src/server/event-stream'

function fakeResponse() {
  const res = Object.assign(new EventEmitter(), {
    text: '',
    ended: false,
    write(chunk: string) {
      if (res.ended) throw new Error('write after end')
      res.text += chunk
      return true
    },
    end() {
      res.ended = true
    }
  })
  return res
}

function setup(opts: { buffered?: number; keepAliveMs?: number } = {}) {
  const listeners = new Set<(e: ApiEvent) => void>()
  const sessions = new Map<string, number>([['s-ada', 1], ['s-bo', 2]])
  const allowed = new Set([1, 2])
  const streams = createEventStreams({
    subscribe: (l) => {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    sessionUser: (id) => sessions.get(id),
    stillAllowed: async (id) => allowed.has(sessions.get(id) ?? -1),
    ...opts
  })
  const emit = (slideId: number) => {
    for (const l of listeners) l({ name: 'slide.changed', payload: { slideId, change: 'reclassify', by: 'ada', revision: slideId } } as unknown as ApiEvent)
  }
  const open = (sessionId: string, lastEventId?: string) => {
    const res = fakeResponse()
    streams.open(res as unknown as ServerResponse, sessionId, lastEventId)
    return res
  }
  return { streams, sessions, allowed, emit, open, listeners }
}

let current: EventStreams | null = null
afterEach(() => current?.close())

const ids = (text: string) => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))

describe('event stream', () => {
  it('numbers events and replays the ones a reconnecting station missed', () => {
    const t = setup()
    current = t.streams
    const first = t.open('s-ada')
    t.emit(1)
    t.emit(2)
    expect(ids(first.text)).toEqual([1, 2])
    expect(first.text).toContain('event: slide.changed\ndata: ')
    // The connection drops after event 1 was seen; events 3 and 4 happen meanwhile.
    first.emit('close')
    t.emit(3)
    t.emit(4)
    const again = t.open('s-ada', '1')
    expect(ids(again.text)).toEqual([2, 3, 4])
    t.emit(5)
    expect(ids(again.text)).toEqual([2, 3, 4, 5])
    // No or a malformed Last-Event-ID: nothing replayed.
    expect(ids(t.open('s-bo').text)).toEqual([])
    expect(ids(t.open('s-bo', '1; DROP').text)).toEqual([])
  })

  it('keeps only the newest events for replay', () => {
    const t = setup({ buffered: 3 })
    current = t.streams
    for (let i = 1; i <= 6; i++) t.emit(i)
    expect(ids(t.open('s-ada', '0').text)).toEqual([4, 5, 6])
  })

  it('ends a stream when its session ends, before writing the next event', () => {
    const t = setup()
    current = t.streams
    const ada = t.open('s-ada')
    const bo = t.open('s-bo')
    t.emit(1)
    t.sessions.delete('s-ada') // idle time, absolute limit
    t.emit(2)
    expect(ada.ended).toBe(true)
    expect(ids(ada.text)).toEqual([1])
    expect(ids(bo.text)).toEqual([1, 2])
    // Sign-out ends that session's streams at once.
    t.streams.endSession('s-bo')
    expect(bo.ended).toBe(true)
    expect(t.streams.size).toBe(0)
    // A session gone before the stream opens gets no stream.
    expect(t.open('s-gone').ended).toBe(true)
  })

  it('ends a stream whose session now belongs to nobody it started with, and one whose user may no longer see events', async () => {
    const t = setup({ keepAliveMs: 20 })
    current = t.streams
    const ada = t.open('s-ada')
    const bo = t.open('s-bo')
    t.allowed.delete(2) // bo disabled, or a role taken away
    await new Promise((r) => setTimeout(r, 80))
    expect(bo.ended).toBe(true)
    expect(ada.ended).toBe(false)
    expect(ada.text).toContain(': keep-alive')
    t.sessions.set('s-ada', 7) // never happens with random ids; the stream still refuses to change hands
    t.emit(1)
    expect(ada.ended).toBe(true)
    expect(ids(ada.text)).toEqual([])
  })
})
