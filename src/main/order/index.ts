// The order and patient of a slide: fields read from an analyser export's
// manifest or a LIS worklist, audited corrections before sign-off, the
// history of every value. The API handlers, the CLI, import and the reports
// all call these functions.
export { orderColumnAliases, normaliseOrderValue, OrderValueError, splitPatientName, type OrderColumn } from './fields'
export { applyImportedOrder, orderHistory, slideOrder, updateSlideOrder, type OrderUpdateRequest } from './order'
export { applyOrderFile, emptyOrderImportReport, importWorklist, parseOrderFile, readOrderFile, type OrderFile, type OrderRow } from './worklist'
