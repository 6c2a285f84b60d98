// What the 报到 form checks as the rider types, before anything is sent
// (the registry checks again): a mainland mobile and an ID number with
// its check character (GB 11643).

/** A mainland mobile: 11 digits starting 1 (spaces and dashes ignored). */
export function mobileOf(text: string): string | null {
  const digits = text.replace(/[\s-]/g, '')
  return /^1[3-9]\d{9}$/.test(digits) ? digits : null
}

const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const checkChars = '10X98765432'

/** Why an 18-character ID number is wrong, or "" when it is right. */
export function idNumberProblem(text: string): string {
  const id = text.trim().toUpperCase()
  if (id.length !== 18) return '身份证号应为 18 位'
  if (!/^\d{17}[\dX]$/.test(id)) return '前 17 位应为数字，最后一位为数字或 X'
  const y = +id.slice(6, 10), m = +id.slice(10, 12), d = +id.slice(12, 14)
  const born = new Date(Date.UTC(y, m - 1, d))
  if (born.getUTCFullYear() !== y || born.getUTCMonth() !== m - 1 || born.getUTCDate() !== d || y < 1900 || born > new Date()) {
    return '出生日期不对'
  }
  const sum = weights.reduce((n, w, i) => n + w * Number(id[i]), 0)
  if (checkChars[sum % 11] !== id[17]) return '校验位不对，请核对是否录入有误'
  return ''
}
