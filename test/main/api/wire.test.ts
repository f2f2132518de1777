// Bytes through JSON for the HTTP transport.
import { describe, expect, it } from 'vitest'
import { base64ToBytes, bytesToBase64, fromWire, toWire } from '../../../src/shared/wire'

describe('wire encoding', () => {
  it('round-trips bytes of every length through base64 like Node does', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff)
      const b64 = bytesToBase64(bytes)
      expect(b64).toBe(Buffer.from(bytes).toString('base64'))
      expect([...base64ToBytes(b64)]).toEqual([...bytes])
    }
  })

  it('encodes Uint8Array and Buffer values inside results and decodes them back', () => {
    const text = toWire({ ok: true, value: { mime: 'image/png', bytes: new Uint8Array([137, 80, 78, 71]), buf: Buffer.from([1, 2]) } })
    const back = fromWire(text) as { value: { bytes: Uint8Array; buf: Uint8Array; mime: string } }
    expect(back.value.mime).toBe('image/png')
    expect(back.value.bytes).toBeInstanceOf(Uint8Array)
    expect([...back.value.bytes]).toEqual([137, 80, 78, 71])
    expect([...back.value.buf]).toEqual([1, 2])
    // An ordinary object that merely has a $bytes key among others stays as it is.
    expect(fromWire('{"$bytes":"AQ==","x":1}')).toEqual({ $bytes: 'AQ==', x: 1 })
    expect(() => base64ToBytes('@@@')).toThrow()
  })
})
