// Renders the shared Progress type for the terminal: a bar on stderr when it
// is a TTY, otherwise a plain line at every tenth so logs stay readable.
import cliProgress from 'cli-progress'
import type { Progress } from '../shared/progress'

export interface ProgressRenderer {
  update: (p: Progress) => void
  stop: () => void
}

export function createProgressRenderer(stream: NodeJS.WritableStream & { isTTY?: boolean }): ProgressRenderer {
  if (stream.isTTY) {
    let bar: cliProgress.SingleBar | undefined
    return {
      update(p) {
        if (!bar) {
          if (p.total <= 0) return
          bar = new cliProgress.SingleBar(
            {
              stream: stream as NodeJS.WritableStream,
              format: `${p.task} [{bar}] {percentage}% {value}/{total} ${p.unit ?? ''} | ETA {eta_formatted} | {message}`,
              hideCursor: true,
              clearOnComplete: false
            },
            cliProgress.Presets.shades_classic
          )
          bar.start(p.total, p.done, { message: '' })
        }
        bar.setTotal(p.total)
        bar.update(p.done, { message: (p.message ?? '').slice(-40) })
      },
      stop() {
        bar?.stop()
        bar = undefined
      }
    }
  }
  let lastTenth = -1
  return {
    update(p) {
      if (p.total <= 0) return
      const tenth = Math.floor((p.done / p.total) * 10)
      if (tenth === lastTenth) return
      lastTenth = tenth
      const eta = p.etaSeconds !== undefined && p.done < p.total ? `, about ${Math.ceil(p.etaSeconds)} s left` : ''
      stream.write(`${p.task}: ${p.done}/${p.total} ${p.unit ?? ''}${eta}\n`)
    },
    stop() {}
  }
}
