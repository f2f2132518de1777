// The contract's LIS methods over the LIS core (src/main/lis): queueing a
// slide's report, the outbox and the connection settings. Queueing only
// writes to the database; the workstation's courier does the sending and
// reports each change as an `outbox.changed` event.
import type { Method } from '../../shared/api'
import { destinationOf, outboxDetail, outboxView, queueSlideReport, retryOutboxMessage, lisSettings, setLisSettings } from '../lis'
import type { OutboxRow } from '../store/outbox'
import { listOutboxMessages } from '../store/outbox'
import type { Handlers } from './dispatch'
import type { ApiContext } from './handlers'

type LisMethod = Extract<Method, `lis.${string}` | `outbox.${string}`>

/** Tell the UIs and wake the courier: a message was queued or queued again. */
export function announceQueued(ctx: Pick<ApiContext, 'events' | 'outbox'>, rows: OutboxRow[]): void {
  if (!rows.length) return
  ctx.events?.emit?.('outbox.changed', { messages: rows.map(outboxView) })
  ctx.outbox?.kick()
}

export function lisHandlers(ctx: Pick<ApiContext, 'db' | 'events' | 'outbox'>): Pick<Handlers, LisMethod> {
  return {
    'lis.send': ({ slideId, to }, { caller }) => {
      const row = queueSlideReport(ctx.db, { slideId, who: caller.name, ...(to !== undefined ? { to: destinationOf(to) } : {}) })
      announceQueued(ctx, [row])
      return outboxView(row)
    },
    'lis.settings': (change) => {
      const given = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined))
      return Object.keys(given).length ? setLisSettings(ctx.db, given, '') : lisSettings(ctx.db)
    },
    'outbox.list': ({ slideId, state }) => listOutboxMessages(ctx.db, { slideId, state }).map(outboxView),
    'outbox.get': ({ id }) => outboxDetail(ctx.db, id),
    'outbox.retry': ({ id }) => {
      const row = retryOutboxMessage(ctx.db, id)
      announceQueued(ctx, [row])
      return outboxView(row)
    }
  }
}
