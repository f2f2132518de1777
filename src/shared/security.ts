// The content security policy both shells send with the renderer's pages: the
// desktop window (src/main/electron) and the browser-mode server (src/server).
// One definition, so the two cannot drift apart. Plain strings, no Node.

/** Own origin only; no inline or eval'd script, no plugins, frames or workers. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "frame-src 'none'",
  "worker-src 'none'"
].join('; ')
