// The contract's order and reference-interval methods over the order core
// (src/main/order) and the results core (src/main/results). Their refusals
// are CoreErrors, which the dispatcher maps (api/errors.ts).
import type { Method } from '../../shared/api'
import { importWorklist, orderHistory, parseOrderFile, slideOrder, updateSlideOrder } from '../order'
import { DEFAULT_REFERENCE_TABLE, referenceTable, setReferenceTable } from '../results'
import type { Handlers } from './dispatch'
import { ApiFailure } from './errors'
import type { ApiContext } from './handlers'

type OrderMethod = Extract<Method, `order.${string}` | `worklist.${string}` | `ranges.${string}`>

/** The acting person: the session's user once the dispatcher passes one, else the workstation's local user. */
export interface CallerContext {
  caller?: { name: string }
}
export const LOCAL_USER = 'workstation user'
const actor = (call?: CallerContext): string => call?.caller?.name?.trim() || LOCAL_USER

export function orderHandlers(ctx: Pick<ApiContext, 'db'>): Pick<Handlers, OrderMethod> {
  const db = () => ctx.db
  return {
    'order.get': ({ slideId }) => slideOrder(db(), slideId),
    'order.update': ({ slideId, changes, why }, call?: CallerContext) =>
      updateSlideOrder(db(), { slideId, changes, who: actor(call), why }).order,
    'order.history': ({ slideId }) => orderHistory(db(), slideId),
    'worklist.import': ({ fileName, text }, call?: CallerContext) => {
      const file = parseOrderFile(text, fileName)
      if (!file) throw new ApiFailure('invalid_input', `${fileName} names no order column (sample id, order id, patient id ...; see docs/lis.md)`)
      return importWorklist(db(), file, actor(call))
    },
    'ranges.get': () => referenceTable(db()),
    'ranges.set': ({ table, why }, call?: CallerContext) => setReferenceTable(db(), table ?? DEFAULT_REFERENCE_TABLE, actor(call), why)
  }
}
