// Prepared statements cached per connection: preparing is the costly part of a
// small query, and import runs the same few thousands of times.
import type { Statement } from 'better-sqlite3'
import type { Db } from './db'

const cache = new WeakMap<Db, Map<string, Statement>>()

export function stmt<P extends unknown[] | {} = unknown[], R = unknown>(db: Db, sql: string): Statement<P, R> {
  let byText = cache.get(db)
  if (!byText) cache.set(db, (byText = new Map()))
  let s = byText.get(sql)
  if (!s) byText.set(sql, (s = db.prepare(sql)))
  return s as unknown as Statement<P, R>
}
