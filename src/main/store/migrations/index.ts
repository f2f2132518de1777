// The ordered list of every schema migration. Adding one: write
// NNN_name.ts exporting a Migration with the next version, and append it here.
import type { Migration } from './types'
import { migration001 } from './001_initial'
import { migration002 } from './002_models_and_runs'
import { migration003 } from './003_review'
import { migration004 } from './004_synthetic_and_blind'
import { migration005 } from './005_lis_outbox'
import { migration006 } from './006_orders_and_reference_intervals'
import { migration007 } from './007_audit_chain'
import { migration008 } from './008_blind_secrets'
import { migration009 } from './009_people'
import { migration010 } from './010_blind_readers'
import { migration011 } from './011_slide_revision'
import { migration012 } from './012_worker_machines'
import { migration013 } from './013_analyser_nrbc'
import { migration014 } from './014_model_weights_last'
import { migration015 } from './015_model_input_normalisation'

export type { Migration } from './types'

export const MIGRATIONS: readonly Migration[] = [
  migration001,
  migration002,
  migration003,
  migration004,
  migration005,
  migration006,
  migration007,
  migration008,
  migration009,
  migration010,
  migration011,
  migration012,
  migration013,
  migration014,
  migration015
]
