import { expect, it } from 'vitest'
import { idNumberProblem, mobileOf } from './checks'

it.each([
  ['139 5350 1201', '13953501201'],
  ['139-5350-1201', '13953501201'],
  ['12953501201', null],
  ['1395350120', null],
])('mobile %s → %s', (text, want) => expect(mobileOf(text)).toBe(want))

it.each([
  ['11010519491231002X', ''],
  ['11010519491231002x', ''],
  ['110105194912310021', '校验位不对，请核对是否录入有误'],
  ['11010519491331002X', '出生日期不对'],
  ['1101051949123100', '身份证号应为 18 位'],
  ['11010519491231002Y', '前 17 位应为数字，最后一位为数字或 X'],
])('ID number %s → %j', (text, want) => expect(idNumberProblem(text)).toBe(want))
