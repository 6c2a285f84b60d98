// Calendar months as the registry counts contacts: in Asia/Shanghai, so a
// contact at 2026-11-30T17:00Z is on 2026-12-01 and counts for December.

/** The month ('YYYY-MM') of a time in Asia/Shanghai. */
export function shanghaiMonth(t: Date | string): string {
  const d = typeof t === 'string' ? new Date(t) : t
  if (isNaN(d.getTime())) return ''
  const p = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).formatToParts(d)
  return `${p.find((x) => x.type === 'year')?.value}-${p.find((x) => x.type === 'month')?.value}`
}

/** Whether the latest contact falls in the month of now. */
export function contactedThisMonth(last: string | null | undefined, now: Date = new Date()): boolean {
  return !!last && shanghaiMonth(last) === shanghaiMonth(now)
}

/** 2026-12 → 2026年12月. */
export function monthLabel(month: string): string {
  const [y, m] = month.split('-')
  return y && m ? `${y}年${Number(m)}月` : month
}
