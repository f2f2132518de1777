// Reserved for the 'review' schema; filled in by the issue that needs it.
import type { Migration } from './types'

export const migration003: Migration = {
  version: 3,
  name: 'review',
  up: ''
}
