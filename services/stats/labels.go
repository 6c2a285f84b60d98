package stats

// Chinese labels of the codes figures are broken down by, as the monthly
// report and the console show them. The codes are the event catalog's (and
// the owning services' vocabularies); a code without a label shows as it
// is, so a new one is never hidden. Platforms are free text in the
// registry (美团, 顺丰) and need none.
var dimLabels = map[string]map[string]string{
	"occupation": {"food_delivery": "外卖骑手", "courier": "快递员", "ride_hailing_driver": "网约车司机",
		"freight_driver": "货车司机", "designated_driver": "代驾司机", "other": "其他"},
	"political_status": {"masses": "群众", "league_member": "共青团员", "applicant": "入党申请人", "activist": "入党积极分子",
		"development_target": "发展对象", "probationary_member": "预备党员", "party_member": "中共党员", "other_party": "民主党派"},
	"enterprise_kind": {"express_outlet": "快递末端网点", "parcel_station": "驿站（菜鸟驿站等）", "logistics": "物流企业",
		"delivery_station": "外卖配送站", "ride_hailing": "网约车企业", "freight": "货运企业", "other": "其他"},
	"station_kind": {"warm_station": "暖新驿站", "rider_station": "小哥驿站", "love_corner": "爱心角", "shared_locker": "共享柜",
		"other": "其他"},
	"facility": {"charging": "充电", "water": "饮水", "microwave": "微波炉", "medicine": "药箱", "toilet": "卫生间",
		"aircon": "空调", "heating": "暖气", "books": "图书", "pump": "打气筒", "fridge": "冰箱", "bed": "床位", "wifi": "无线网络",
		"locker": "储物柜", "umbrella": "雨伞", "repair": "维修工具"},
	"channel": {"online": "线上报到", "station": "驿站报到"},
	"activity_kind": {"study": "学习", "council": "小哥议事会", "safety_training": "交通安全培训", "anti_fraud": "反诈宣传",
		"festival_visit": "节日慰问", "health_check": "义诊体检", "haircut": "义剪", "volunteer_service": "志愿服务",
		"campaign": "主题活动", "other": "其他"},
	"report_category": {"safety_hazard": "安全隐患", "fire_risk": "消防隐患", "traffic": "交通", "environment": "环境卫生",
		"dispute": "矛盾纠纷", "facility": "设施损坏", "suggestion": "意见建议", "other": "其他"},
	"report_state": {"submitted": "已上报", "accepted": "已受理", "dispatched": "已派单", "resolved": "已处置", "closed": "已办结",
		"rejected": "不予受理", "merged": "已合并"},
	"need_state":     {"open": "待对接", "in_project": "已立项", "met": "已满足", "withdrawn": "已撤回"},
	"resource_state": {"available": "可用", "withdrawn": "已撤回"},
	"project_state":  {"proposed": "已提出", "claimed": "已认领", "completed": "已完成", "cancelled": "已取消"},
	"task_state":     {"open": "未开始", "in_progress": "进行中", "done": "已完成", "cancelled": "已取消"},
	"star":           {"1": "一星", "2": "二星", "3": "三星", "4": "四星", "5": "五星"},
	"push_channel":   {"sms": "短信", "wechat": "微信", "webhook": "Webhook"},
	"notice_category": {"welcome": "欢迎", "activity": "活动", "report": "随手拍", "points": "积分", "pairing": "结对联系",
		"task": "任务", "notice": "通知公告"},
}

// KeyLabel is the Chinese label of a code of dimension dim, or the code.
func KeyLabel(dim, key string) string {
	if l, ok := dimLabels[dim][key]; ok {
		return l
	}
	return key
}
