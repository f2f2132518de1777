// The ordered list of every schema migration. Adding one: write
// NNN_name.ts exporting a Migration with the next version, and append it here.
import type { Migration } from './types'
import { migration001 } from './001_initial'

export type { Migration } from './types'

export const MIGRATIONS: readonly Migration[] = [
  migration001
]
