import { chmodSync, copyFileSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importPath, type ImportReport } from '../../../src/main/import/index'
import { WNET_RECIPE } from '../../../src/main/imaging/decode'
import { preprocessCell } from '../../../src/main/imaging/preprocess'
import {
  countImages, currentLabel, getImageBySha256, getImportBatch, getPreprocessed, importFiles, labelConflicts, labelCounts, labelHistory,
  listDatasets, listSlides, openStore, type Db
} from '../../../src/main/store/index'
import { realCells } from '../../helpers/datasets'
import { copyCells, pngClaiming, tempDir, writeFile } from './fixtures'

let root: string
const dbs: Db[] = []
const freshDb = () => {
  const db = openStore(join(root, `db-${dbs.length}`, 'wbc.sqlite'))
  dbs.push(db)
  return db
}
beforeAll(() => {
  root = tempDir('wbc-import-')
})
afterAll(() => {
  for (const db of dbs) db.close()
  rmSync(root, { recursive: true, force: true })
})

const byPath = (r: ImportReport) => Object.fromEntries(r.files.map((f) => [f.path, f]))

describe('importPath on a labelled class-folder tree', () => {
  it('normalises folder names, keeps other classes as their own label, stores originals and W-Net pixels, and a second import adds nothing', async () => {
    const set = join(root, 'labelled')
    copyCells('pbc-wbc', 'neutrophil', 3, set, '01.NE')
    copyCells('pbc-wbc', 'eosinophil', 2, set, 'EOS')
    copyCells('pbc-wbc', 'basophil', 2, set, 'baso')
    copyCells('pbc-wbc', 'lymphocyte', 2, set, 'Lymph')
    copyCells('pbc-wbc', 'monocyte', 2, set, 'MO')
    copyCells('pbc-other', 'ig', 2, set, 'IG')
    copyCells('pbc-other', 'erythroblast', 1, set, 'Erythroblast')
    copyCells('pbc-other', 'platelet', 1, set, 'PLT')
    const db = freshDb()
    const progress: number[] = []
    const r = await importPath(db, set, { onProgress: (p) => progress.push(p.done) })

    expect(r.status).toBe('done')
    expect(r.counts).toMatchObject({ files: 15, imported: 15, duplicate: 0, failed: 0, conflicts: 0 })
    expect(r.dataset?.name).toBe('labelled')
    expect(labelCounts(db)).toEqual({ basophil: 2, eosinophil: 2, erythroblast: 1, ig: 2, lymphocyte: 2, monocyte: 2, neutrophil: 3, platelet: 1 })
    expect(listSlides(db)).toEqual([])
    expect(progress.at(-1)).toBe(15)
    expect([...progress].sort((a, b) => a - b)).toEqual(progress)

    // The original bytes are kept exactly; the cache holds preprocessCell's output.
    const f = realCells('pbc-wbc', 'neutrophil', 1)[0]
    const bytes = readFileSync(f)
    const img = getImageBySha256(db, byPath(r)['01.NE/' + f.split('/').pop()].sha256!)!
    expect(img).toMatchObject({ format: 'jpeg', byteSize: bytes.length })
    expect(db.prepare('SELECT bytes FROM image_originals WHERE image_id = ?').pluck().get(img.id)).toEqual(bytes)
    expect(getPreprocessed(db, img.id, WNET_RECIPE, 128)).toEqual(await preprocessCell(bytes))
    expect(labelHistory(db, img.id)).toMatchObject([{ class: 'neutrophil', source: 'folder', rawClass: '01.NE', who: 'import' }])

    const again = await importPath(db, set)
    expect(again.counts).toMatchObject({ imported: 0, duplicate: 15, failed: 0, labelsAdded: 0 })
    expect(countImages(db)).toBe(15)
    expect(db.prepare('SELECT count(*) FROM labels').pluck().get()).toBe(15)
    expect(listDatasets(db)).toMatchObject([{ name: 'labelled', imageCount: 15 }])
  })

  it('records the same image under a different class as a conflicting label, never in place of the first', async () => {
    const db = freshDb()
    const a = join(root, 'conflict-a')
    const b = join(root, 'conflict-b')
    const [cell] = copyCells('pbc-wbc', 'monocyte', 1, a, 'monocyte')
    copyCells('pbc-wbc', 'monocyte', 1, b, 'lymphocyte')
    await importPath(db, a)
    const r = await importPath(db, b)
    const o = r.files[0]
    expect(o).toMatchObject({ status: 'duplicate', class: 'lymphocyte', conflict: { existing: ['monocyte'], added: 'lymphocyte' } })
    expect(r.counts.conflicts).toBe(1)
    const id = getImageBySha256(db, o.sha256!)!.id
    expect(labelHistory(db, id).map((l) => l.class)).toEqual(['monocyte', 'lymphocyte'])
    expect(currentLabel(db, id)?.class).toBe('monocyte')
    expect(labelConflicts(db)).toHaveLength(1)
    expect(importFiles(db, r.batchId)[0]).toMatchObject({ conflict: true, status: 'duplicate' })
    // Both datasets hold the image.
    expect(listDatasets(db).map((d) => [d.name, d.imageCount])).toEqual([['conflict-a', 1], ['conflict-b', 1]])
    expect(cell).toBeTruthy()
  })
})

describe('importPath on analyser exports', () => {
  it('takes slide ids from slide folders (flat or with class folders) and from a flat folder, and reads a CSV manifest', async () => {
    const exp = join(root, 'export-day1')
    copyCells('pbc-wbc', 'neutrophil', 2, exp, 'SAMPLE-001', 10)
    copyCells('pbc-wbc', 'neutrophil', 2, exp, 'SAMPLE-002/NE', 12)
    copyCells('pbc-wbc', 'lymphocyte', 1, exp, 'SAMPLE-002/LY', 10)
    const db = freshDb()
    const r = await importPath(db, exp)
    expect(r.counts).toMatchObject({ imported: 5, failed: 0 })
    expect(listSlides(db).map((s) => [s.sampleId, s.imageCount])).toEqual([['SAMPLE-001', 2], ['SAMPLE-002', 3]])
    expect(labelCounts(db)).toEqual({ '': 2, lymphocyte: 1, neutrophil: 2 })

    const flat = join(root, 'ORDER-9')
    copyCells('pbc-wbc', 'eosinophil', 2, root, 'ORDER-9', 10)
    const f = await importPath(db, flat)
    expect(f.slides).toEqual(['ORDER-9'])
    expect(f.files.every((x) => x.slide === 'ORDER-9' && x.class === undefined)).toBe(true)

    const man = join(root, 'with-manifest')
    const cells = copyCells('pbc-wbc', 'basophil', 3, man, '.', 20).map((p) => p.split('/').pop()!)
    writeFile(
      join(man, 'manifest.csv'),
      `file,class,slide\n${cells[0]},BA,S-1\n"${cells[1]}",Basophil,S-2\n${cells[2]},,S-2\nmissing.jpg,NE,S-1\n`
    )
    const m = await importPath(db, man)
    const o = byPath(m)
    expect(o[cells[0]]).toMatchObject({ status: 'imported', class: 'basophil', slide: 'S-1' })
    expect(o[cells[1]]).toMatchObject({ status: 'imported', class: 'basophil', slide: 'S-2' })
    expect(o[cells[2]]).toMatchObject({ status: 'imported', slide: 'S-2' })
    expect(o[cells[2]].class).toBeUndefined()
    expect(o['missing.jpg']).toMatchObject({ status: 'failed', reason: 'missing' })
    const id = getImageBySha256(db, o[cells[0]].sha256!)!.id
    expect(labelHistory(db, id)).toMatchObject([{ source: 'manifest', class: 'basophil', rawClass: 'BA' }])
  })

  it('imports JPG, PNG, BMP and TIFF, telling the format from the bytes', async () => {
    const dir = join(root, 'formats')
    const [src] = realCells('pbc-wbc', 'monocyte', 30).slice(29)
    const { data, info } = await sharp(readFileSync(src)).removeAlpha().raw().toBuffer({ resolveWithObject: true })
    const raw = { raw: { width: info.width, height: info.height, channels: 3 as const } }
    writeFile(join(dir, 'MONO', 'a.jpg'), readFileSync(src))
    writeFile(join(dir, 'MONO', 'b.png'), await sharp(data, raw).png().toBuffer())
    writeFile(join(dir, 'MONO', 'c.tif'), await sharp(data, raw).tiff({ compression: 'lzw' }).toBuffer())
    // A 24-bit BMP written by hand (bottom-up rows, BGR, 4-byte aligned).
    const stride = Math.ceil((info.width * 3) / 4) * 4
    const bmp = Buffer.alloc(54 + stride * info.height)
    bmp.write('BM', 0, 'latin1')
    bmp.writeUInt32LE(bmp.length, 2)
    bmp.writeUInt32LE(54, 10)
    bmp.writeUInt32LE(40, 14)
    bmp.writeInt32LE(info.width, 18)
    bmp.writeInt32LE(info.height, 22)
    bmp.writeUInt16LE(1, 26)
    bmp.writeUInt16LE(24, 28)
    for (let y = 0; y < info.height; y++)
      for (let x = 0; x < info.width; x++) {
        const s = (y * info.width + x) * 3
        const d = 54 + (info.height - 1 - y) * stride + x * 3
        bmp[d] = data[s + 2]
        bmp[d + 1] = data[s + 1]
        bmp[d + 2] = data[s]
      }
    writeFile(join(dir, 'MONO', 'd.BMP'), bmp)
    // A PNG named .jpg is still a PNG.
    writeFile(join(dir, 'MONO', 'e-really-png.jpg'), await sharp(data, raw).flop().png().toBuffer())
    const db = freshDb()
    const r = await importPath(db, dir)
    expect(r.counts).toMatchObject({ imported: 5, failed: 0 })
    const fmt = Object.fromEntries(r.files.map((f) => [f.path, getImageBySha256(db, f.sha256!)!.format]))
    expect(fmt).toEqual({ 'MONO/a.jpg': 'jpeg', 'MONO/b.png': 'png', 'MONO/c.tif': 'tiff', 'MONO/d.BMP': 'bmp', 'MONO/e-really-png.jpg': 'png' })
    const px = (p: string) => getPreprocessed(db, getImageBySha256(db, byPath(r)[p].sha256!)!.id, WNET_RECIPE, 128)
    expect(px('MONO/d.BMP')).toEqual(px('MONO/b.png'))
    expect(px('MONO/c.tif')).toEqual(px('MONO/b.png'))
  })
})

describe('importPath on bad input', () => {
  it('imports the good images and names every bad file with its reason', async () => {
    const dir = join(root, 'mixed')
    const good = copyCells('pbc-wbc', 'neutrophil', 4, dir, 'neutrophil', 40)
    const cell = readFileSync(good[0])
    const ne = join(dir, 'neutrophil')
    writeFile(join(ne, 'zero.jpg'), Buffer.alloc(0))
    writeFile(join(ne, 'truncated.jpg'), cell.subarray(0, Math.floor(cell.length / 2)))
    const corrupt = Buffer.from(cell)
    for (let i = 600; i < corrupt.length - 2; i += 7) corrupt[i] = 0xff
    writeFile(join(ne, 'corrupt.jpg'), corrupt)
    writeFile(join(ne, '._DS_Store.jpg'), Buffer.from('\x00\x05\x16\x07Mac OS X        ATTR'))
    const png = await sharp(cell).png().toBuffer()
    writeFile(join(ne, 'bomb.png'), pngClaiming(png, 50_000, 50_000))
    copyFileSync(good[1], join(ne, 'copy-of-second.jpg'))
    writeFile(join(ne, 'locked.jpg'), cell)
    chmodSync(join(ne, 'locked.jpg'), 0o000)
    symlinkSync('nowhere.jpg', join(ne, 'dangling.jpg'))
    symlinkSync('loop-b.jpg', join(ne, 'loop-a.jpg'))
    symlinkSync('loop-a.jpg', join(ne, 'loop-b.jpg'))
    symlinkSync('..', join(ne, 'up'))
    execFileSync('mkfifo', [join(ne, 'pipe.jpg')])
    const [wobble] = copyCells('pbc-wbc', 'neutrophil', 1, dir, 'wobble', 50)
    writeFile(join(dir, 'readme.txt'), 'notes')

    const db = freshDb()
    const r = await importPath(db, dir)
    const o = byPath(r)
    const reasons = Object.fromEntries(r.files.filter((f) => f.status !== 'imported').map((f) => [f.path, `${f.status}:${f.reason}`]))
    const asRoot = process.getuid?.() === 0
    expect(reasons).toEqual({
      'neutrophil/._DS_Store.jpg': 'failed:not-an-image',
      'neutrophil/bomb.png': 'failed:too-large',
      'neutrophil/copy-of-second.jpg': 'duplicate:duplicate',
      'neutrophil/corrupt.jpg': expect.stringMatching(/^failed:(corrupt|truncated)$/),
      'neutrophil/dangling.jpg': 'failed:unreadable',
      'neutrophil/loop-a.jpg': 'failed:symlink-loop',
      'neutrophil/loop-b.jpg': 'failed:symlink-loop',
      'neutrophil/pipe.jpg': 'failed:unreadable',
      'neutrophil/truncated.jpg': 'failed:truncated',
      'neutrophil/up': 'failed:symlink-loop',
      'neutrophil/zero.jpg': 'failed:zero-byte',
      // Root reads any file whatever its mode; locked.jpg then is just a copy of a good cell.
      'neutrophil/locked.jpg': asRoot ? 'duplicate:duplicate' : 'failed:unreadable',
      [`wobble/${wobble.split('/').pop()}`]: 'failed:unknown-class',
      'readme.txt': 'skipped:not-an-image-file'
    })
    for (const f of r.files.filter((x) => x.status === 'failed')) expect(f.message, f.path).toMatch(/\w{4,}/)
    expect(o['neutrophil/truncated.jpg'].message).toMatch(/truncated/)
    expect(o['neutrophil/bomb.png'].message).toMatch(/limit/)
    expect(r.counts.imported).toBe(4)
    expect(countImages(db)).toBe(4)
    expect(getImportBatch(db, r.batchId)?.status).toBe('done')
    expect(importFiles(db, r.batchId).length).toBe(r.files.length)
    rmSync(join(ne, 'pipe.jpg'))
  })

  it('stops on cancel with what it committed, and the same import then completes it', async () => {
    const dir = join(root, 'cancel')
    copyCells('pbc-wbc', 'lymphocyte', 40, dir, 'LY', 30)
    const db = freshDb()
    const abort = new AbortController()
    const r = await importPath(db, dir, { batchSize: 8, concurrency: 2, signal: abort.signal, onProgress: (p) => p.done >= 8 && abort.abort() })
    expect(r.status).toBe('cancelled')
    expect(r.counts.imported).toBeGreaterThanOrEqual(8)
    expect(r.counts.imported).toBeLessThan(40)
    expect(getImportBatch(db, r.batchId)?.status).toBe('cancelled')
    const rest = await importPath(db, dir)
    expect(rest.counts.imported + r.counts.imported).toBe(40)
    expect(labelCounts(db)).toEqual({ lymphocyte: 40 })
  })
})
