// Reserved for the 'models-and-runs' schema; filled in by the issue that needs it.
import type { Migration } from './types'

export const migration002: Migration = {
  version: 2,
  name: 'models-and-runs',
  up: ''
}
