// What the UIs see of results sent to the laboratory information system: the
// outbox's messages with their state, and the lab's LIS connection settings.
// Types only (no Node, no DOM); the rules live in src/main/lis.

/**
 * pending: waits for its next try; sending: a process is sending it now;
 * sent: the LIS acknowledged it (AA/CA); rejected: the LIS refused it (AE/AR/
 * CE/CR), ackText says why; failed: no answer after the last allowed try.
 */
export const OUTBOX_STATES = ['pending', 'sending', 'sent', 'rejected', 'failed'] as const
export type OutboxState = (typeof OUTBOX_STATES)[number]

/** OBR-25 / OBX-11: F final, C correction of a final result sent before, P preliminary. */
export type ResultStatus = 'F' | 'C' | 'P'

export interface OutboxAttempt {
  at: string
  outcome: 'ack' | 'nak' | 'no-answer'
  ackCode: string | null
  detail: string
}

export interface OutboxMessage {
  id: number
  slideId: number
  sampleId: string
  resultStatus: ResultStatus
  /** MSH-10, which the LIS's ACK names in MSA-2. */
  controlId: string
  destination: string
  state: OutboxState
  attempts: number
  maxAttempts: number
  /** When a pending message is tried next (ISO 8601 UTC). */
  nextAttemptAt: string | null
  lastError: string
  ackCode: string | null
  ackText: string | null
  who: string
  createdAt: string
  updatedAt: string
}

export interface OutboxMessageDetail extends OutboxMessage {
  /** The HL7 text as sent, segments separated by CR. */
  message: string
  ackMessage: string | null
  tries: OutboxAttempt[]
}

export interface LisSettings {
  /** Where results go; '' and null: no LIS configured. */
  host: string
  port: number | null
  /** Queue the final report for the LIS when a slide is signed. */
  sendOnSignOff: boolean
  /** MSH-5 / MSH-6. */
  receivingApplication: string
  receivingFacility: string
  /** MSH-4 and the assigning authority of ids; '' = the workstation's default lab name. */
  labName: string
  /** Tries before a message is marked failed. */
  maxAttempts: number
  /** How long to wait for the LIS's ACK on each try. */
  ackTimeoutMs: number
}

export const DEFAULT_LIS_SETTINGS: LisSettings = {
  host: '',
  port: null,
  sendOnSignOff: false,
  receivingApplication: '',
  receivingFacility: '',
  labName: '',
  maxAttempts: 10,
  ackTimeoutMs: 30000
}

/** "host:port" -> parts; throws RangeError on anything else (IPv6 in brackets: "[::1]:2575"). */
export function parseDestination(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim())
  const port = m ? Number(m[3]) : NaN
  if (!m || !(port >= 1 && port <= 65535)) throw new RangeError(`not a HOST:PORT destination: "${text}"`)
  return { host: (m[1] ?? m[2])!, port }
}

export function formatDestination(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}
