import { readFileSync } from 'node:fs'
import sharp from 'sharp'
import { encode as encodeBmp } from 'bmp-ts'
import { beforeAll, describe, expect, it } from 'vitest'
import { CellDecodeError, decodeCell, sniffFormat } from '../../../src/main/imaging/decode'
import { centralCrop, preprocessCell, preprocessCellWithSize } from '../../../src/main/imaging/preprocess'
import { realCells } from '../../helpers/datasets'
import { pngClaiming } from '../import/fixtures'

let jpeg: Buffer
let rgb: { data: Buffer; width: number; height: number }
beforeAll(async () => {
  jpeg = readFileSync(realCells('pbc-wbc', 'neutrophil', 1)[0])
  const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  rgb = { data, width: info.width, height: info.height }
})

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(CellDecodeError)
    return (err as CellDecodeError).reason
  }
  throw new Error('expected a decode failure')
}

describe('preprocessing', () => {
  it('crops the paper\'s 80/80/80/81 px borders of a 360x361 image', () => {
    expect(centralCrop(360, 361)).toEqual({ left: 80, top: 80, width: 200, height: 200 })
  })

  it('preprocessCellWithSize returns the same pixels as preprocessCell plus the source size', async () => {
    const a = await preprocessCell(jpeg)
    const b = await preprocessCellWithSize(jpeg)
    expect(b.pixels).toEqual(a)
    expect([b.width, b.height]).toEqual([rgb.width, rgb.height])
    expect(a.length).toBe(128 * 128 * 3)
  })
})

describe('decodeCell', () => {
  it('decodes a real JPEG cell to W-Net\'s 128x128x3 input', async () => {
    const d = await decodeCell(jpeg)
    expect(d.format).toBe('jpeg')
    expect([d.width, d.height]).toEqual([rgb.width, rgb.height])
    expect(d.pixels).toEqual(await preprocessCell(jpeg))
  })

  it('gives the same pixels for the same cell as PNG, TIFF and BMP (lossless re-encodings)', async () => {
    const raw = { raw: { width: rgb.width, height: rgb.height, channels: 3 as const } }
    const png = await sharp(rgb.data, raw).png().toBuffer()
    const tiff = await sharp(rgb.data, raw).tiff({ compression: 'lzw' }).toBuffer()
    // bmp-ts encodes from ABGR; build it from the same RGB pixels.
    const abgr = Buffer.alloc(rgb.width * rgb.height * 4)
    for (let i = 0; i < rgb.width * rgb.height; i++) {
      abgr[i * 4] = 0xff
      abgr[i * 4 + 1] = rgb.data[i * 3 + 2]
      abgr[i * 4 + 2] = rgb.data[i * 3 + 1]
      abgr[i * 4 + 3] = rgb.data[i * 3]
    }
    const bmp = encodeBmp({ data: abgr, width: rgb.width, height: rgb.height, bitPP: 24 }).data
    const fromPng = await decodeCell(png)
    expect(fromPng.format).toBe('png')
    for (const [bytes, format] of [
      [tiff, 'tiff'],
      [bmp, 'bmp']
    ] as const) {
      const d = await decodeCell(bytes)
      expect(d.format).toBe(format)
      expect([d.width, d.height]).toEqual([rgb.width, rgb.height])
      expect(d.pixels).toEqual(fromPng.pixels)
    }
    // Against the JPEG-decoded original the pixels differ only by rounding.
    const fromJpeg = await decodeCell(jpeg)
    let maxDiff = 0
    for (let i = 0; i < fromJpeg.pixels.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fromJpeg.pixels[i] - fromPng.pixels[i]))
    expect(maxDiff).toBeLessThanOrEqual(2)
  })

  it('tells formats from the bytes, not the name', () => {
    expect(sniffFormat(jpeg)).toBe('jpeg')
    expect(sniffFormat(Buffer.from('BM'))).toBe('bmp')
    expect(sniffFormat(Buffer.from('<html>'))).toBeUndefined()
  })

  it('names each kind of bad input', async () => {
    expect(await reason(decodeCell(Buffer.alloc(0)))).toBe('zero-byte')
    expect(await reason(decodeCell(Buffer.from('Bud1 this is a .DS_Store, not a JPEG')))).toBe('not-an-image')
    expect(await reason(decodeCell(jpeg.subarray(0, Math.floor(jpeg.length * 0.6))))).toBe('truncated')
    const garbled = Buffer.from(jpeg)
    garbled.fill(0x00, 200, garbled.length - 2)
    expect(await reason(decodeCell(garbled))).toMatch(/corrupt|truncated/)
    const png = await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } }).png().toBuffer()
    expect(await reason(decodeCell(pngClaiming(png, 60_000, 60_000)))).toBe('too-large')
    expect(await reason(decodeCell(png, { maxPixels: 1000 }))).toBe('too-large')
    const bmpHeader = Buffer.alloc(54)
    bmpHeader.write('BM', 0, 'latin1')
    bmpHeader.writeUInt32LE(54, 10)
    bmpHeader.writeUInt32LE(40, 14)
    bmpHeader.writeInt32LE(100_000, 18)
    bmpHeader.writeInt32LE(100_000, 22)
    bmpHeader.writeUInt16LE(24, 28)
    expect(await reason(decodeCell(bmpHeader))).toBe('too-large')
    bmpHeader.writeInt32LE(360, 18)
    bmpHeader.writeInt32LE(360, 22)
    expect(await reason(decodeCell(bmpHeader))).toBe('truncated')
  })
})
