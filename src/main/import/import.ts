// importPath: every cell image under a path lands once in the store, with its
// original bytes, its labels and W-Net's preprocessed pixels; every file that
// can't be imported gets a plain reason and the import carries on.
//
// Several files are read, hashed and decoded at once (sharp decodes off the
// main thread), but results are committed strictly in walk order, a small
// batch per transaction. A killed import therefore leaves a consistent store
// holding a prefix of the walk, and running the same import again skips that
// prefix as duplicates and completes it with the same content.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import sharp from 'sharp'
import type { Progress, ProgressListener } from '../../shared/progress'
import { estimateEta } from '../../shared/progress'
import { CellDecodeError, decodeCell, WNET_RECIPE, type DecodedCell } from '../imaging/decode'
import { MAX_INPUT_PIXELS, PAPER_INPUT_SIZE } from '../imaging/preprocess'
import type { Db } from '../store/db'
import { addToDataset, ensureDataset } from '../store/datasets'
import { findImageIdBySha256, getImage, insertImage, putPreprocessed } from '../store/images'
import { finishImportBatch, markInterruptedBatches, recordImportFile, startImportBatch, type ImportFileStatus } from '../store/imports'
import { appendLabel, importedClasses, type LabelSource } from '../store/labels'
import { ensureSlide } from '../store/slides'
import type { OrderImportReport } from '../../shared/order'
import { applyOrderFile, emptyOrderImportReport } from '../order/worklist'
import { getSlideBySampleId } from '../store/slides'
import { describeErrno, walkImportPath, type FoundFile, type FoundOrderFile, type WalkEntry } from './walk'
import { latestSignOff } from '../store/review'

export interface ImportOptions {
  /** Dataset the imported images join (default: the import folder's name). null: none. */
  dataset?: string | null
  /** Who the folder/manifest labels are attributed to (default 'import'). */
  who?: string
  /** Keep class folders / manifest classes we don't know as their own label instead of failing those files. */
  keepUnknownClasses?: boolean
  /** Folders a link below the path may point into (a server's import roots); absent or null: anywhere. */
  confineTo?: readonly string[] | null
  /** Files read and decoded at once (default 6). */
  concurrency?: number
  /** Files committed per transaction (default 64). */
  batchSize?: number
  /** Decompression-bomb guard: refuse images decoding to more pixels (default MAX_INPUT_PIXELS). */
  maxPixels?: number
  /** Refuse files larger than this many bytes without reading them (default 256 MiB). */
  maxFileBytes?: number
  /** Store the preprocessed W-Net pixels in the cache (default true). */
  cachePixels?: boolean
  onProgress?: ProgressListener
  signal?: AbortSignal
}

export interface ImportFileOutcome {
  /** Relative to the import path. */
  path: string
  status: ImportFileStatus
  /** Machine code for failures and skips: zero-byte, truncated, corrupt, not-an-image, too-large, unreadable, symlink-loop, unknown-class, missing ... */
  reason?: string
  /** The plain reason. */
  message?: string
  sha256?: string
  class?: string
  slide?: string
  /** The image already had other imported classes; this one was appended to its history, not put in their place. */
  conflict?: { existing: string[]; added: string }
}

export interface ImportReport {
  batchId: number
  sourcePath: string
  dataset: { id: number; name: string } | null
  status: 'done' | 'cancelled'
  counts: {
    files: number
    imported: number
    duplicate: number
    failed: number
    skipped: number
    conflicts: number
    labelsAdded: number
  }
  failuresByReason: Record<string, number>
  /** Class of every image file seen in this import (imported or duplicate); '' for unlabelled. */
  classes: Record<string, number>
  slides: string[]
  /** Order and patient data read from order manifests / worklists found in the import (docs/lis.md). */
  orders: OrderImportReport
  files: ImportFileOutcome[]
  seconds: number
  imagesPerSecond: number
}

type Prepared =
  | { kind: 'issue'; outcome: ImportFileOutcome }
  | { kind: 'image'; file: FoundFile; sha256: string; bytes: Buffer; decoded?: DecodedCell }

const DEFAULTS = { concurrency: 6, batchSize: 64, maxFileBytes: 256 * 1024 * 1024 }

export async function importPath(db: Db, path: string, opts: ImportOptions = {}): Promise<ImportReport> {
  const started = Date.now()
  const sourcePath = resolve(path)
  const concurrency = Math.max(1, opts.concurrency ?? DEFAULTS.concurrency)
  const batchSize = Math.max(1, opts.batchSize ?? DEFAULTS.batchSize)
  const maxPixels = opts.maxPixels ?? MAX_INPUT_PIXELS
  const maxFileBytes = opts.maxFileBytes ?? DEFAULTS.maxFileBytes
  const cachePixels = opts.cachePixels ?? true
  const who = opts.who ?? 'import'
  // Progress goes out once per committed batch (coarse enough for any listener), plus the first and last.
  const emit = (p: Progress) => opts.onProgress?.(p)

  // One vips thread per image: parallelism comes from images in flight, which
  // keeps every core busy without oversubscribing them.
  const previousConcurrency = sharp.concurrency()
  sharp.concurrency(1)

  emit({ task: 'import', done: 0, total: 0, unit: 'files', message: `scanning ${sourcePath}` })
  const walked = walkImportPath(sourcePath, { keepUnknownClasses: opts.keepUnknownClasses, confineTo: opts.confineTo ?? null })
  // Order files are applied after the cells, once every slide they may name exists.
  const orderFiles = walked.filter((e): e is FoundOrderFile => e.kind === 'order')
  const entries = walked.filter((e): e is Exclude<WalkEntry, FoundOrderFile> => e.kind !== 'order')
  const total = entries.length

  const datasetName = opts.dataset === undefined ? basename(sourcePath) : opts.dataset
  const { batchId, dataset } = db.transaction(() => {
    markInterruptedBatches(db)
    const datasetId = datasetName ? ensureDataset(db, datasetName, `imported from ${basename(sourcePath)}`) : null
    const id = startImportBatch(db, {
      sourcePath,
      datasetId,
      options: { dataset: datasetName, keepUnknownClasses: !!opts.keepUnknownClasses, maxPixels, maxFileBytes }
    })
    return { batchId: id, dataset: datasetId !== null && datasetName ? { id: datasetId, name: datasetName } : null }
  }).immediate()

  const outcomes: ImportFileOutcome[] = []
  const slides = new Set<string>()
  let labelsAdded = 0
  const slideIds = new Map<string, number>()
  // Files with equal bytes in this run share one read/decode; the first in walk order is the one imported.
  const firstBySha = new Map<string, Promise<DecodedCell | CellDecodeError>>()

  const prepare = async (entry: Exclude<WalkEntry, FoundOrderFile>): Promise<Prepared> => {
    if (entry.kind === 'issue') {
      return { kind: 'issue', outcome: { path: entry.rel, status: entry.status, reason: entry.reason, message: entry.message } }
    }
    const fail = (reason: string, message: string): Prepared => ({ kind: 'issue', outcome: { path: entry.rel, status: 'failed', reason, message } })
    if (entry.unknownClass) {
      return fail('unknown-class', `"${entry.unknownClass.raw}" (${entry.unknownClass.where}) is not a cell class this workstation knows; not imported (import it with unknown classes kept to keep it as its own label)`)
    }
    if (entry.size > maxFileBytes) return fail('too-large', `file is ${entry.size} bytes, over the ${maxFileBytes}-byte limit for one cell image`)
    let bytes: Buffer
    try {
      // Cell images are small; a synchronous read from the page cache is cheaper than the thread-pool round trips of an async one.
      bytes = readFileSync(entry.path)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ELOOP') return fail('symlink-loop', 'symbolic link loops back on itself; not followed')
      return fail('unreadable', `file cannot be read (${describeErrno(err)})`)
    }
    if (bytes.length === 0) return fail('zero-byte', 'the file is empty (0 bytes)')
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    if (findImageIdBySha256(db, sha256) !== undefined) return { kind: 'image', file: entry, sha256, bytes }
    let pending = firstBySha.get(sha256)
    if (!pending) {
      pending = decodeCell(bytes, { size: PAPER_INPUT_SIZE, maxPixels }).catch((err: unknown) =>
        err instanceof CellDecodeError ? err : new CellDecodeError('corrupt', `cannot be decoded (${err instanceof Error ? err.message : String(err)})`)
      )
      firstBySha.set(sha256, pending)
    }
    const decoded = await pending
    if (decoded instanceof CellDecodeError) return fail(decoded.reason, decoded.message)
    return { kind: 'image', file: entry, sha256, bytes, decoded }
  }

  const slideId = (sampleId: string): number => {
    let id = slideIds.get(sampleId)
    if (id === undefined) slideIds.set(sampleId, (id = ensureSlide(db, sampleId, sourcePath)))
    return id
  }

  const commitOne = (p: Prepared): ImportFileOutcome => {
    if (p.kind === 'issue') return p.outcome
    const f = p.file
    const out: ImportFileOutcome = { path: f.rel, status: 'imported', sha256: p.sha256 }
    if (f.slide) {
      out.slide = f.slide
      slides.add(f.slide)
    }
    let imageId = findImageIdBySha256(db, p.sha256)
    if (imageId === undefined && f.slide) {
      // A signed slide is what its verifier signed: new cells would change its count behind the signature.
      const signed = latestSignOff(db, slideId(f.slide))
      if (signed?.status === 'signed') {
        return {
          path: f.rel,
          status: 'failed',
          reason: 'slide-signed',
          message: `slide ${f.slide} is signed (by ${signed.who} at ${signed.at}): reopen it, with a reason, before adding cells`,
          sha256: p.sha256
        }
      }
    }
    if (imageId === undefined) {
      if (!p.decoded) throw new Error(`internal: ${f.rel} reached commit undecoded`)
      imageId = insertImage(db, {
        sha256: p.sha256,
        format: p.decoded.format,
        width: p.decoded.width,
        height: p.decoded.height,
        bytes: p.bytes,
        fileName: basename(f.path),
        sourcePath: f.path,
        slideId: f.slide ? slideId(f.slide) : null,
        importBatchId: batchId
      }).id
      if (cachePixels) putPreprocessed(db, imageId, WNET_RECIPE, PAPER_INPUT_SIZE, p.decoded.pixels)
    } else {
      out.status = 'duplicate'
      out.reason = 'duplicate'
      const first = getImage(db, imageId)
      out.message = `same content as an image already in the store${first ? ` (${first.sourcePath})` : ''}`
    }
    const labels: [LabelSource, { class: string; raw: string } | undefined][] = [
      ['folder', f.folderClass],
      ['manifest', f.manifestClass]
    ]
    for (const [source, cls] of labels) {
      if (!cls) continue
      out.class ??= cls.class
      const existing = importedClasses(db, imageId)
      if (existing.includes(cls.class)) continue
      appendLabel(db, {
        imageId,
        class: cls.class,
        source,
        who,
        why: `${source === 'folder' ? 'folder' : 'manifest value'} "${cls.raw}" in ${f.rel}`,
        rawClass: cls.raw,
        importBatchId: batchId
      })
      labelsAdded++
      if (existing.length) out.conflict = { existing, added: cls.class }
    }
    if (dataset) addToDataset(db, dataset.id, [imageId])
    return out
  }

  const commitBatch = db.transaction((batch: Prepared[]) => {
    for (const p of batch) {
      const o = commitOne(p)
      // Committed: later copies find it in the store, so the decoded pixels can go.
      if (p.kind === 'image') firstBySha.delete(p.sha256)
      recordImportFile(db, batchId, {
        path: o.path,
        status: o.status,
        reason: o.reason,
        message: o.conflict ? `${o.message ? o.message + '; ' : ''}conflicting class: ${o.conflict.added} (already ${o.conflict.existing.join(', ')})` : o.message,
        imageId: o.sha256 ? findImageIdBySha256(db, o.sha256) : null,
        sha256: o.sha256,
        class: o.class,
        conflict: !!o.conflict
      })
      outcomes.push(o)
    }
  })

  // Pipeline: up to `concurrency` files prepared at once; the ready prefix is committed in order.
  const results: (Prepared | undefined)[] = new Array(total)
  let nextToStart = 0
  let nextToCommit = 0
  let cancelled = false
  let inFlight = 0
  let wake: (() => void) | undefined
  const settled = () => {
    inFlight--
    wake?.()
  }
  const flush = (force: boolean) => {
    let end = nextToCommit
    while (end < total && results[end] !== undefined) end++
    if (end === nextToCommit || (!force && end - nextToCommit < batchSize)) return
    const batch = results.slice(nextToCommit, end) as Prepared[]
    for (let i = nextToCommit; i < end; i++) results[i] = undefined
    // IMMEDIATE: take the write lock first, so another writer means waiting (busy_timeout), never SQLITE_BUSY on a stale read snapshot.
    commitBatch.immediate(batch)
    nextToCommit = end
    emit({
      task: 'import',
      done: nextToCommit,
      total,
      unit: 'files',
      etaSeconds: estimateEta(started, nextToCommit, total),
      message: outcomes[outcomes.length - 1]?.path
    })
  }
  let failure: unknown
  while (nextToCommit < total) {
    if (opts.signal?.aborted) cancelled = true
    while (!cancelled && failure === undefined && inFlight < concurrency && nextToStart < total) {
      const i = nextToStart++
      inFlight++
      prepare(entries[i]).then(
        (r) => {
          results[i] = r
          settled()
        },
        (err: unknown) => {
          failure ??= err
          settled()
        }
      )
    }
    if (inFlight === 0 && (cancelled || failure !== undefined || nextToStart >= total)) {
      flush(true)
      break
    }
    await new Promise<void>((r) => (wake = r))
    wake = undefined
    flush(false)
  }
  if (failure === undefined) flush(true)
  sharp.concurrency(previousConcurrency)

  const status: ImportReport['status'] = cancelled && nextToCommit < total ? 'cancelled' : 'done'
  finishImportBatch(db, batchId, failure !== undefined ? 'failed' : status)
  if (failure !== undefined) throw failure

  const orders = emptyOrderImportReport()
  for (const o of orderFiles) {
    applyOrderFile(
      db,
      o.file,
      {
        source: 'manifest',
        who,
        ...(o.slide ? { defaultSampleId: o.slide } : {}),
        // Only slides of this import or already in the store; an order row never creates an empty slide.
        resolveSlide: (sampleId) => slideIds.get(sampleId) ?? getSlideBySampleId(db, sampleId)?.id
      },
      orders
    )
  }

  const counts = { files: outcomes.length, imported: 0, duplicate: 0, failed: 0, skipped: 0, conflicts: 0, labelsAdded }
  const failuresByReason: Record<string, number> = {}
  const classes: Record<string, number> = {}
  for (const o of outcomes) {
    counts[o.status]++
    if (o.conflict) counts.conflicts++
    if (o.status === 'failed') failuresByReason[o.reason ?? 'failed'] = (failuresByReason[o.reason ?? 'failed'] ?? 0) + 1
    if (o.status === 'imported' || o.status === 'duplicate') classes[o.class ?? ''] = (classes[o.class ?? ''] ?? 0) + 1
  }
  const seconds = (Date.now() - started) / 1000
  emit({ task: 'import', done: nextToCommit, total, unit: 'files', etaSeconds: 0, message: status })
  return {
    batchId,
    sourcePath,
    dataset,
    status,
    counts,
    failuresByReason,
    classes,
    slides: [...slides].sort(),
    orders,
    files: outcomes,
    seconds,
    imagesPerSecond: seconds > 0 ? (counts.imported + counts.duplicate) / seconds : 0
  }
}

