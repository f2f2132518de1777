// A stand-in LIS for the outbox tests: an MLLP listener from a different
// implementation than the sender's (node-hl7-server and node-hl7-client, not
// @medplum/hl7), so framing or ACK matching that only works against itself
// would show. It answers each message the way the test says: AA, AE or AR
// with an MSA-3 text and an ERR segment (as a real LIS explains a refusal),
// dropping the connection without an answer, or staying silent.
import type { Socket } from 'node:net'
import { Message } from 'node-hl7-client'
import { HL7_2_5_1 } from 'node-hl7-client/hl7'
import { Server, type Inbound } from 'node-hl7-server'

export type ListenerMode = { answer: 'AA' } | { answer: 'AE' | 'AR'; text: string } | { answer: 'drop' } | { answer: 'silent' }

export interface LisListener {
  port: number
  /** Every message received, as text, in order (dropped ones included). */
  received: string[]
  /** How the next messages are answered. */
  mode: ListenerMode
  close(): Promise<void>
}

const VT = '\x0b'
const FS_CR = '\x1c\r'

/** A NAK with the LIS's reason: MSA-1..3 and an ERR with the HL7 error code and a user message. */
function nak(request: Message, code: 'AE' | 'AR', text: string): string {
  const ack = new Message({
    specification: new HL7_2_5_1(),
    messageHeader: { msh_9_1: 'ACK', msh_9_2: request.get('MSH.9.2').toString(), msh_10: `NAK${Date.now()}`, msh_11_1: 'P' }
  })
  ack.set('MSH.3', 'TEST-LIS')
  const msa = ack.addSegment('MSA')
  msa.set('1', code)
  msa.set('2', request.get('MSH.10').toString())
  msa.set('3', text)
  const err = ack.addSegment('ERR')
  err.set('3.1', '207')
  err.set('3.2', 'Application internal error')
  err.set('3.3', 'HL70357')
  err.set('4', 'E')
  err.set('8', text)
  return ack.toString()
}

export async function startLisListener(mode: ListenerMode = { answer: 'AA' }, port = 0): Promise<LisListener> {
  const server = new Server({ bindAddress: '127.0.0.1' })
  const received: string[] = []
  let socket: Socket | undefined
  const state: { mode: ListenerMode } = { mode }
  let inbound: Inbound
  const chosenPort = port || (await freePort())
  await new Promise<void>((resolve, reject) => {
    inbound = server.createInbound({ port: chosenPort }, async (req, res) => {
      const message = req.getMessage()
      received.push(message.toString())
      const m = state.mode
      if (m.answer === 'AA') await res.sendResponse('AA')
      else if (m.answer === 'AE' || m.answer === 'AR') socket?.write(`${VT}${nak(message, m.answer, m.text)}${FS_CR}`)
      else if (m.answer === 'drop') socket?.destroy()
    })
    inbound.on('client.connect', (s: Socket) => (socket = s))
    inbound.on('listen', () => resolve())
    inbound.on('error', reject)
  })
  return {
    port: chosenPort,
    received,
    get mode() {
      return state.mode
    },
    set mode(m: ListenerMode) {
      state.mode = m
    },
    async close() {
      await inbound.close()
    }
  }
}

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net')
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}
