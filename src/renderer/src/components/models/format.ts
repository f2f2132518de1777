// Number and date formatting, class colours and chart.js set-up shared by the
// Models, Synthetic and Blind screens.
import {
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  Tooltip
} from 'chart.js'

// Only what the screens draw (tree-shaken); chart.js draws on <canvas> and
// needs neither inline scripts nor inline styles, so the strict CSP holds.
Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip, Filler)
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
Chart.defaults.font.size = 11
Chart.defaults.color = '#5d6b7b'
Chart.defaults.animation = false

/** One colour per class, the same on every chart and table of the app. */
export const CLASS_COLOURS: Record<string, string> = {
  neutrophil: '#1f5fa8',
  eosinophil: '#c2571a',
  basophil: '#6b3fa0',
  lymphocyte: '#1d7a46',
  monocyte: '#b3261e'
}
const EXTRA = ['#5d6b7b', '#98640a', '#2a8a8a', '#8a2a6b']
export function classColour(label: string, i = 0): string {
  return CLASS_COLOURS[label] ?? EXTRA[i % EXTRA.length]!
}

export const FOLD_COLOURS = ['#1f5fa8', '#c2571a', '#1d7a46', '#6b3fa0', '#b3261e', '#2a8a8a', '#98640a', '#8a2a6b', '#4a5868', '#5aa0ea']

/** 0.9734 -> "97.3%"; null, undefined and NaN -> "–". */
export function pct(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : `${(v * 100).toFixed(digits)}%`
}

export function fixed(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits)
}

export function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '–'
}

/** Compact date and time for table cells. */
export function whenShort(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' }) : '–'
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–'
  if (seconds < 90) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`
  return `${(seconds / 3600).toFixed(1)} h`
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

/** The lab's short names for the five classes (column heads). */
const SHORT: Record<string, string> = { neutrophil: 'Neut', eosinophil: 'Eos', basophil: 'Baso', lymphocyte: 'Lymph', monocyte: 'Mono' }
export function short(label: string): string {
  return SHORT[label] ?? title(label).slice(0, 6)
}

/** "basophil" -> "Basophil". */
export function title(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}
