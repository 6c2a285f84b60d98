import { expect, it } from 'vitest'
import { channelOn, markReadThrough, preferencesBody, quietText, timeParts, whenText, type Message } from './text'

it('reads times of day', () => {
  expect(timeParts('7:05')).toEqual(['07', '05'])
  expect(timeParts('22:00')).toEqual(['22', '00'])
  expect(timeParts('nonsense')).toEqual(['00', '00'])
})

it('says the quiet hours', () => {
  expect(quietText({ start: '22:00', end: '07:00' })).toBe('22:00 至次日 07:00')
  expect(quietText({ start: '12:00', end: '14:00' })).toBe('12:00 至 14:00')
  expect(quietText({ start: '8:00', end: '08:00' })).toBe('不设免打扰')
})

it('keeps what the page does not show when it saves', () => {
  const body = preferencesBody({
    lang: 'en',
    channels: { notice: ['sms', 'webhook'], points: ['wechat'] },
    quiet_hours: { start: '23:00', end: '6:30' },
    webhook_url: 'https://example.org/h',
  })
  expect(body).toEqual({
    lang: 'en',
    channels: { notice: { sms: true, webhook: true }, points: { wechat: true } },
    quiet_hours: { start: '23:00', end: '06:30' },
    webhook_url: 'https://example.org/h',
  })
})

it('drops a webhook channel without its URL', () => {
  expect(preferencesBody({ lang: '', channels: { notice: ['webhook'] }, quiet_hours: { start: '22:00', end: '07:00' } }))
    .toEqual({ lang: 'zh-CN', channels: {}, quiet_hours: { start: '22:00', end: '07:00' } })
})

it('knows whether a channel is on anywhere', () => {
  expect(channelOn({ channels: { notice: ['sms'] } }, 'sms')).toBe(true)
  expect(channelOn({ channels: {} }, 'wechat')).toBe(false)
})

it('says when a message came', () => {
  const now = new Date('2026-12-05T06:00:00Z') // 14:00 in Shanghai
  expect(whenText('2026-12-05T01:30:00Z', now)).toBe('今天 09:30')
  expect(whenText('2026-12-04T12:00:00Z', now)).toBe('昨天 20:00')
  expect(whenText('2026-11-02T12:00:00Z', now)).toBe('11月2日 20:00')
  expect(whenText('2025-11-02T12:00:00Z', now)).toBe('2025年11月2日')
})

it('全部已读 marks the messages up to the newest seen, not one come since', () => {
  const msg = (seq: number, read_at?: string): Message => ({ seq, id: `m${seq}`, category: 'notice', template: 't', title: '', body: '', created_at: '', read_at })
  const items = [msg(9), msg(7), msg(5, '2026-12-05T10:00:00Z'), msg(3)]
  const changed = markReadThrough(items, 7, '2026-12-05T12:00:00Z')
  expect(changed.map((m) => m.seq)).toEqual([7, 3])
  expect(items.map((m) => m.read_at)).toEqual([undefined, '2026-12-05T12:00:00Z', '2026-12-05T10:00:00Z', '2026-12-05T12:00:00Z'])
})
