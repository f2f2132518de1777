// The lab's LIS connection: where results go and whether a final sign-off
// sends them. An append-only log (the latest row is in force), so who pointed
// results at which host, and when, stays known.
import { parseDestination, type LisSettings } from '../../shared/lis'
import type { Db } from '../store/db'
import { appendLisSettings, storedLisSettings } from '../store/outbox'
import { LisError } from './errors'

export function lisSettings(db: Db): LisSettings {
  return storedLisSettings(db)
}

export function setLisSettings(db: Db, change: Partial<LisSettings>, who: string): LisSettings {
  return db.transaction(() => {
    const next: LisSettings = { ...storedLisSettings(db), ...Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) }
    next.host = next.host.trim()
    if (next.port !== null && !(Number.isInteger(next.port) && next.port >= 1 && next.port <= 65535)) {
      throw new LisError('invalid_input', 'the LIS port is a whole number from 1 to 65535')
    }
    if (next.sendOnSignOff && (!next.host || next.port === null)) {
      throw new LisError('invalid_input', 'sending at sign-off needs the LIS host and port')
    }
    if (!(Number.isInteger(next.maxAttempts) && next.maxAttempts >= 1 && next.maxAttempts <= 1000)) {
      throw new LisError('invalid_input', 'the number of tries is from 1 to 1000')
    }
    if (!(Number.isInteger(next.ackTimeoutMs) && next.ackTimeoutMs >= 100 && next.ackTimeoutMs <= 600000)) {
      throw new LisError('invalid_input', 'the ACK timeout is from 100 ms to 10 minutes')
    }
    appendLisSettings(db, next, who)
    return storedLisSettings(db)
  }).immediate()
}

/** A typed "HOST:PORT" as a destination; anything else is refused as invalid input. */
export function destinationOf(text: string): { host: string; port: number } {
  try {
    return parseDestination(text)
  } catch (err) {
    throw new LisError('invalid_input', (err as Error).message)
  }
}
