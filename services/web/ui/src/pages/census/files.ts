// Spreadsheets in and out of the browser: reading a clerk's CSV back,
// writing one Excel on Chinese Windows opens correctly, and handing a
// blob to the browser as a download with a Chinese file name.

/** A CSV Excel opens as UTF-8: a byte order mark, CRLF line ends, quoted cells. */
export function toCSV(rows: (string | number | undefined | null)[][]): string {
  return '\uFEFF' + rows.map((r) => r.map((c) => csvCell(c)).join(',')).join('\r\n') + '\r\n'
}

function csvCell(v: string | number | undefined | null): string {
  let s = v === undefined || v === null ? '' : String(v)
  // Excel would run a formula, and turn a long digit string (an ID
  // number) into 3.70602E+17: keep both as text, as the rosters do.
  if (/^[=+\-@]/.test(s)) s = "'" + s
  else if (/^\d{12,}$/.test(s)) s = '\t' + s
  return /[",\r\n\t]/.test(s) || s !== s.trim() ? '"' + s.replace(/"/g, '""') + '"' : s
}

/**
 * parseCSV reads CSV text (RFC 4180: quoted cells may hold commas, quotes
 * and line breaks) into records. A leading byte order mark is dropped.
 */
export function parseCSV(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0
  for (; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"'
          i++
        } else quoted = false
      } else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(cell)
      cell = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
    } else cell += ch
  }
  if (cell !== '' || row.length) {
    row.push(cell)
    rows.push(row)
  }
  return rows
}

/**
 * decodeSpreadsheetText reads a CSV file's bytes as the registry does:
 * UTF-8 when they are, else GB18030 (what Excel on Chinese Windows saves).
 */
export function decodeCSVBytes(bytes: ArrayBuffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return new TextDecoder('gb18030').decode(bytes)
  }
}

/** The file name of a download: the UTF-8 filename* of Content-Disposition, else fallback. */
export function filenameOf(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition)
  if (star) {
    try {
      return decodeURIComponent(star[1].trim())
    } catch {
      /* a bad escape: the plain name below */
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition)
  return plain ? plain[1] : fallback
}

/** Hands blob to the browser as a download named name. */
export function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  // Some browsers read the URL after click returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** Today in Beijing as 20261205, for file names. */
export function todayStamp(now = new Date()): string {
  return beijingDate(now).replace(/-/g, '')
}

/** A date in Beijing as 2026-12-05. */
export function beijingDate(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}
