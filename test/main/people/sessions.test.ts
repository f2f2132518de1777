// Browser sessions on a fake clock: an idle session ends after its idle
// time, an active one after the absolute limit; ids are never reused.
import { describe, expect, it } from 'vitest'
import { createSessionStore, MAX_SESSION_HOURS } from '../../../src/main/people/sessions'

describe('session store', () => {
  it('ends a session after the idle time, and keeps an active one until the absolute limit', () => {
    let now = 0
    const s = createSessionStore({ idleMinutes: 10, now: () => now })
    const idle = s.create(7)
    const busy = s.create(8)
    expect(idle).not.toBe(busy)
    expect(idle).toMatch(/^[A-Za-z0-9_-]{43}$/)
    now += 9 * 60_000
    expect(s.touch(busy)).toBe(8)
    now += 2 * 60_000
    expect(s.touch(idle)).toBeUndefined()
    expect(s.touch(busy)).toBe(8)
    // Touched every 5 minutes, it still ends at the absolute limit.
    while (now < MAX_SESSION_HOURS * 3_600_000 - 5 * 60_000) {
      now += 5 * 60_000
      expect(s.touch(busy)).toBe(8)
    }
    now += 10 * 60_000
    expect(s.touch(busy)).toBeUndefined()
    expect(s.touch(undefined)).toBeUndefined()
    expect(s.touch('not-a-session')).toBeUndefined()
  })

  it('drops a session at sign-out', () => {
    const s = createSessionStore()
    const id = s.create(1)
    expect(s.touch(id)).toBe(1)
    s.drop(id)
    expect(s.touch(id)).toBeUndefined()
  })
})
