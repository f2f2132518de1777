// A training checkpoint folder that a kill at any moment leaves readable: each
// snapshot is written to `<name>.tmp`, renamed into place whole, and only then
// named by the LATEST pointer (itself replaced by a rename); older snapshots
// are dropped after the pointer moves. W-Net training (trainer.ts, one
// snapshot per epoch) and GAN training (synthetic/train.ts, one per N steps)
// both keep their state this way; what goes in a snapshot is theirs.
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** The format of a checkpoint folder packed into one archive (run-resume's packDir): kept in the database, sent to and from worker machines. */
export const CHECKPOINT_ARCHIVE_FORMAT = 'wbc-dir-archive/1'

export interface CheckpointSnapshot {
  /** Folder name, `<prefix><number>` (e.g. epoch-0003); snapshots sharing the prefix are replaced. */
  name: string
  prefix: string
  /** Written as state.json. */
  state: unknown
  /** Written as raw little-endian float32 files, by file name. */
  arrays: Record<string, Float32Array>
}

export async function writeCheckpointSnapshot(dir: string, snap: CheckpointSnapshot): Promise<void> {
  const tmp = join(dir, `${snap.name}.tmp`)
  await rm(tmp, { recursive: true, force: true })
  await mkdir(tmp, { recursive: true })
  await Promise.all(Object.entries(snap.arrays).map(([file, a]) => writeFile(join(tmp, file), new Uint8Array(a.buffer, a.byteOffset, a.byteLength))))
  await writeFile(join(tmp, 'state.json'), JSON.stringify(snap.state))
  await rm(join(dir, snap.name), { recursive: true, force: true })
  await rename(tmp, join(dir, snap.name))
  // Switch the pointer atomically, then drop older snapshots.
  await writeFile(join(dir, 'LATEST.tmp'), snap.name)
  await rename(join(dir, 'LATEST.tmp'), join(dir, 'LATEST'))
  for (const entry of await readdir(dir)) {
    if (entry.startsWith(snap.prefix) && entry !== snap.name) await rm(join(dir, entry), { recursive: true, force: true })
  }
}

/** The snapshot LATEST names: its state, and its arrays read on demand; undefined when the folder holds none. */
export async function readLatestSnapshot<S>(dir: string): Promise<{ state: S; array(file: string): Promise<Float32Array> } | undefined> {
  const latest = join(dir, 'LATEST')
  if (!existsSync(latest)) return undefined
  const sub = join(dir, (await readFile(latest, 'utf8')).trim())
  const state = JSON.parse(await readFile(join(sub, 'state.json'), 'utf8')) as S
  return {
    state,
    async array(file) {
      const b = await readFile(join(sub, file))
      return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
    }
  }
}
