// A blind session's secret and what is derived from it. The secret is 256
// random bits from the OS (node:crypto), never a small number someone could
// guess or brute-force. Every random choice of the session (which cells are
// drawn, their order, each render's shift and dither) comes from HMAC-SHA-256
// keyed by it, so the session is reproducible by whoever holds the secret
// (the results show it once the session is closed) and by nobody else.
import { createCipheriv, createHmac, randomBytes } from 'node:crypto'
import type { Random } from '../stats/index'

export function newSessionSecret(): string {
  return randomBytes(32).toString('hex')
}

/** Uniform numbers in [0, 1) for one purpose ('order', 'real:neutrophil' ...), from the session secret. */
export function keyedRandom(secret: string, purpose: string): Random {
  let block = Buffer.alloc(0)
  let at = 0
  let counter = 0
  return () => {
    if (at + 8 > block.length) {
      block = createHmac('sha256', Buffer.from(secret, 'hex')).update(`${purpose}\n${counter++}`).digest()
      at = 0
    }
    // 53 bits: as fine-grained as a double gets.
    const hi = block.readUInt32BE(at) >>> 5
    const lo = block.readUInt32BE(at + 4) >>> 6
    at += 8
    return (hi * 67108864 + lo) / 9007199254740992
  }
}

/** `length` keyed random bytes (AES-256-CTR keystream): the per-pixel dither of one render. */
export function keyedBytes(secret: string, purpose: string, length: number): Buffer {
  const key = createHmac('sha256', Buffer.from(secret, 'hex')).update(`bytes\n${purpose}`).digest()
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16))
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()])
}
