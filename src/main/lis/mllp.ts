// One HL7 message to the LIS over MLLP and its answer. Framing, the socket and
// matching the ACK to the message (MSA-2 = MSH-10) are @medplum/hl7's; this
// module only turns what happens into one of three plain outcomes the outbox
// records: the LIS accepted (AA/CA), refused (AE/AR/CE/CR, with its text), or
// gave no answer (refused connection, dropped connection, timeout).
// Loaded on the first send, not at start: most workstations start with an
// empty outbox, and the core worker should be ready without them.
import type { Hl7Message } from '@medplum/core'
import type { Hl7ErrorEvent } from '@medplum/hl7'

export type MllpOutcome =
  | { kind: 'accepted'; ackCode: string; ackText: string; ackMessage: string }
  | { kind: 'rejected'; ackCode: string; ackText: string; ackMessage: string }
  | { kind: 'no-answer'; error: string }

export interface MllpTarget {
  host: string
  port: number
  /** How long to wait for the connection and then for the ACK. */
  timeoutMs: number
}

const ACCEPTED = new Set(['AA', 'CA'])

/** HL7 v2 unescaping of the default delimiters, for error text shown to a person. */
function unescapeHl7(text: string): string {
  return text.replace(/\\([FSTRE])\\/g, (_, c: string) => ({ F: '|', S: '^', T: '&', R: '~', E: '\\' })[c] as string)
}

/**
 * Why the LIS refused, in its own words: MSA-3 (text message, kept for
 * backward compatibility in 2.5), then each ERR's user message (ERR-8),
 * diagnostic (ERR-7) and error code text (ERR-3.2), and the 2.4-style
 * ERR-1 code text (ELD's fourth component). Duplicates are dropped.
 */
export function ackErrorText(ack: Hl7Message): string {
  const parts: string[] = []
  const add = (s: string | undefined) => {
    const t = unescapeHl7((s ?? '').trim())
    if (t && !parts.includes(t)) parts.push(t)
  }
  add(ack.getSegment('MSA')?.getField(3)?.toString())
  for (const err of ack.getAllSegments('ERR')) {
    add(err.getField(8)?.toString())
    add(err.getField(7)?.toString())
    add(err.getField(3)?.getComponent(2))
    const eld = err.getField(1)?.getComponent(4)
    if (eld) add(eld.split('&')[1] ?? eld)
  }
  return parts.join('; ')
}

export async function sendOverMllp(text: string, target: MllpTarget): Promise<MllpOutcome> {
  const [{ Hl7Message }, { Hl7Client }] = await Promise.all([import('@medplum/core'), import('@medplum/hl7')])
  const message = Hl7Message.parse(text)
  const client = new Hl7Client({ host: target.host, port: target.port, connectTimeout: target.timeoutMs })
  // The library reports a socket error or close as events, not as a rejection
  // of the pending sendAndWait; a dropped connection would otherwise wait for
  // the full timeout. These turn both into an immediate "no answer".
  let onDrop: (reason: string) => void = () => {}
  const dropped = new Promise<never>((_, reject) => (onDrop = (reason) => reject(new Error(reason))))
  dropped.catch(() => {})
  client.addEventListener('close', () => onDrop('the LIS closed the connection before acknowledging'))
  client.addEventListener('error', (e: Hl7ErrorEvent) => onDrop(e.error?.message ?? 'connection error'))
  try {
    await Promise.race([client.connect(), dropped])
    const ack = await Promise.race([client.sendAndWait(message, { timeoutMs: target.timeoutMs }), dropped])
    const ackCode = (ack.getSegment('MSA')?.getField(1)?.toString() ?? '').trim().toUpperCase()
    const ackMessage = ack.toString()
    if (ACCEPTED.has(ackCode)) return { kind: 'accepted', ackCode, ackText: ackErrorText(ack), ackMessage }
    if (!ackCode) return { kind: 'no-answer', error: 'the LIS answered without an MSA acknowledgement code' }
    return { kind: 'rejected', ackCode, ackText: ackErrorText(ack) || `the LIS answered ${ackCode} without a reason`, ackMessage }
  } catch (err) {
    return { kind: 'no-answer', error: describe(err) }
  } finally {
    await client.close().catch(() => {})
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const outcome = (err as { outcome?: { issue?: { diagnostics?: string; details?: { text?: string } }[] } }).outcome
    const issue = outcome?.issue?.[0]
    return issue?.diagnostics ?? issue?.details?.text ?? (err.message || err.name)
  }
  return String(err)
}
