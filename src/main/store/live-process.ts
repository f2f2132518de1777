// Whether the process that marked a row as running (an import batch, a
// training run, a GAN's training) still exists: one check for every table
// that records its owner's pid, so a killed process's work is found the same
// way everywhere.

/** True while a process with this pid exists (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** A row left 'running' by a process that is gone (no pid counts as gone); this process's own rows never are. */
export function ownerGone(pid: number | null): boolean {
  if (pid === process.pid) return false
  return pid === null || !processAlive(pid)
}
