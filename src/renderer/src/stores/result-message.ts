// What a refused call says to the user: the core's message, or the input
// checks' messages when the payload was refused field by field.
import type { Result } from '../../../shared/api'

export function messageOf(r: Result<unknown>): string {
  if (r.ok) return ''
  return r.error.issues?.length ? r.error.issues.map((i) => i.message).join('; ') : r.error.message
}
