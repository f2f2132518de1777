// Results sent to the laboratory information system: the outbox of HL7
// ORU^R01 messages, MLLP delivery with retries, and the LIS connection
// settings. The API handlers, the CLI and tests all call these functions.
export { LisError, type LisErrorCode } from './errors'
export { destinationOf, lisSettings, setLisSettings } from './settings'
export { ackErrorText, sendOverMllp, type MllpOutcome, type MllpTarget } from './mllp'
export {
  deliverDue,
  deliverOutboxMessage,
  outboxDetail,
  outboxView,
  queueSlideReport,
  retryDelayMs,
  retryOutboxMessage,
  startOutboxCourier,
  type Clock,
  type OutboxCourier,
  type QueueRequest
} from './outbox'
export { signAndQueue } from './signoff'
