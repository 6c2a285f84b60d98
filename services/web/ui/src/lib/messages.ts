// Chinese words for what the services answer in English: the problem's
// status, each field-error code, and the field names a clerk sees.
import type { ApiError, FieldError } from './api'

const statusText: Record<number, string> = {
  400: '请求有误',
  401: '登录已失效，请重新登录',
  403: '没有权限',
  404: '没有找到',
  409: '与现有数据冲突',
  413: '文件或内容过大',
  415: '不支持的文件类型',
  422: '填写的内容有误',
  429: '操作太频繁，请稍后再试',
  503: '服务暂时不可用，请稍后再试',
}

const codeText: Record<string, string> = {
  required: '必填',
  invalid_length: '长度不对',
  invalid_format: '格式不对',
  invalid_date: '日期不对',
  invalid_check_character: '校验位不对',
  out_of_range: '超出范围',
  too_short: '太短',
  too_long: '太长',
  unknown_value: '不是可选的值',
  common_password: '过于常见，容易被猜中，请换一个',
  contains_username: '不能包含用户名',
}

/** Field labels, by the JSON name the services use. */
export const fieldLabels: Record<string, string> = {
  name: '姓名',
  mobile: '手机号',
  id_number: '身份证号',
  occupation: '职业',
  community: '社区',
  street: '街道',
  platform: '平台',
  enterprise_id: '企业',
  credit_code: '统一社会信用代码',
  title: '标题',
  starts_at: '开始时间',
  ends_at: '结束时间',
  capacity: '名额',
  lat: '纬度',
  lng: '经度',
  address: '地址',
  reason: '原因',
  note: '备注',
  points: '积分',
  password: '密码',
  new_password: '新密码',
  username: '用户名',
  code: '验证码',
  file: '文件',
  body: '内容',
  kind: '类型',
  host: '承办单位',
  opening_hours: '开放时间',
  facilities: '设施',
  worker_id: '新就业群体',
  staff_subject: '结对人账号',
  staff_name: '结对人姓名',
  contacted_at: '联系时间',
  method: '联系方式',
  closed_on: '关闭日期',
  price: '所需积分',
  stock: '库存',
  quantity: '数量',
  daily_cap: '每日上限',
  effective_from: '生效日期',
  per_hour: '每小时积分',
  per_valid_report: '每条随手拍积分',
  segment: '发送对象',
  template: '模板',
}

export function fieldText(e: FieldError): string {
  // opening_hours[0].open is named by its first part: 开放时间[0].open.
  const [head, rest] = splitField(e.field)
  const label = fieldLabels[e.field] || (fieldLabels[head] ? fieldLabels[head] + rest : e.field)
  return `${label}：${codeText[e.code] || e.message}`
}

/** What to show a person for err: a Chinese headline and the details. */
export function describe(err: unknown): { title: string; detail: string; fields: string[]; requestId?: string } {
  const e = err as ApiError
  if (e && typeof e.status === 'number') {
    return {
      title: statusText[e.status] || `出错了（${e.status}）`,
      detail: e.detail && e.detail !== e.title ? e.detail : '',
      fields: (e.errors || []).map(fieldText),
      // What an operator finds the request by in the services' logs.
      requestId: e.requestId || undefined,
    }
  }
  return { title: '网络异常，请检查网络后重试', detail: String((err as Error)?.message || err), fields: [] }
}

/** The JSON name before any index or member, and the rest: "a[0].b" → ["a", "[0].b"]. */
function splitField(field: string): [string, string] {
  const i = field.search(/[[.]/)
  return i < 0 ? [field, ''] : [field.slice(0, i), field.slice(i)]
}
