// Reserved for the 'synthetic-and-blind' schema; filled in by the issue that needs it.
import type { Migration } from './types'

export const migration004: Migration = {
  version: 4,
  name: 'synthetic-and-blind',
  up: ''
}
