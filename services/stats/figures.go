package stats

// Kind says how a figure adds up over time.
type Kind string

const (
	// Stock is a level: as of a date it is the sum of all its changes up
	// to that date (workers registered, reports open).
	Stock Kind = "stock"
	// Flow is an amount per period: the month's sum of its changes
	// (check-ins, hours served). As of a date, its total to that date.
	Flow Kind = "flow"
	// Distinct is how many different workers did something in a month
	// (volunteers); it has no total over months.
	Distinct Kind = "distinct"
)

// Metric is one figure the service keeps, as the report names it.
type Metric struct {
	Name  string `json:"metric"`
	Kind  Kind   `json:"kind"`
	Label string `json:"label"` // the report's column header
	// Dim names what the figure is broken down by ("occupation"), "" for
	// a single number.
	Dim string `json:"dim,omitempty"`
	// Scale divides the stored whole number into the figure: hours are
	// kept in hundredths.
	Scale int64 `json:"-"`
	// Overlap says one thing counts under several keys (a station under
	// each of its facilities): the parts do not add up to a total, and
	// the figure has none.
	Overlap bool `json:"overlap,omitempty"`
}

// FiguresVersion is the version of how figures are computed from events.
// Change it with any change to the projection (a new figure, a fixed
// count): on start the service sees its figures are of an older version
// and rebuilds them from the archive, serving the old ones until the new
// have caught up (docs/decisions.md, "Statistics: an archive, generations
// and a version").
const FiguresVersion = 4

// Catalog is every figure, in the order the overview and the report list
// them.
var Catalog = []Metric{
	// The census (registry).
	{Name: "enterprises", Kind: Stock, Label: "新业态企业"},
	{Name: "enterprises_by_kind", Kind: Stock, Label: "新业态企业（按类型）", Dim: "enterprise_kind"},
	{Name: "enterprises_with_party_org", Kind: Stock, Label: "建有党组织的企业"},
	{Name: "workers", Kind: Stock, Label: "新就业群体"},
	{Name: "workers_by_occupation", Kind: Stock, Label: "新就业群体（按职业）", Dim: "occupation"},
	{Name: "workers_by_platform", Kind: Stock, Label: "新就业群体（按平台）", Dim: "platform"},
	{Name: "workers_by_political_status", Kind: Stock, Label: "新就业群体（按政治面貌）", Dim: "political_status"},
	{Name: "party_members", Kind: Stock, Label: "党员（含预备党员）"},
	{Name: "mobile_party_members", Kind: Stock, Label: "流动党员"},
	{Name: "candidates_by_stage", Kind: Stock, Label: "入党申请人、积极分子、发展对象", Dim: "political_status"},
	{Name: "workers_left", Kind: Flow, Label: "离开人数"},
	{Name: "checkins", Kind: Flow, Label: "报到"},
	{Name: "checkins_by_channel", Kind: Flow, Label: "报到（按方式）", Dim: "channel"},
	{Name: "stations", Kind: Stock, Label: "暖新驿站"},
	{Name: "stations_by_kind", Kind: Stock, Label: "驿站（按类型）", Dim: "station_kind"},
	{Name: "stations_by_facility", Kind: Stock, Label: "驿站（按设施）", Dim: "facility", Overlap: true},
	{Name: "pairings", Kind: Stock, Label: "结对"},
	{Name: "pairing_contacts", Kind: Flow, Label: "结对联系次数"},
	{Name: "pairings_overdue", Kind: Flow, Label: "当月未联系的结对"},
	// Activities and reports (activity).
	{Name: "activities", Kind: Flow, Label: "活动场次"},
	{Name: "activities_by_kind", Kind: Flow, Label: "活动场次（按类型）", Dim: "activity_kind"},
	{Name: "signups", Kind: Flow, Label: "报名人次"},
	{Name: "attendances", Kind: Flow, Label: "参加人次"},
	{Name: "service_hours", Kind: Flow, Label: "服务时长（小时）", Scale: 100},
	{Name: "volunteers", Kind: Distinct, Label: "参加人数"},
	{Name: "reports_submitted", Kind: Flow, Label: "随手拍上报"},
	{Name: "reports_submitted_by_category", Kind: Flow, Label: "随手拍上报（按类别）", Dim: "report_category"},
	{Name: "suggestions", Kind: Flow, Label: "收集意见建议"},
	{Name: "reports_by_state", Kind: Stock, Label: "随手拍（按状态）", Dim: "report_state"},
	{Name: "reports_closed", Kind: Flow, Label: "随手拍办结"},
	{Name: "reports_closed_on_time", Kind: Flow, Label: "随手拍按期办结"},
	{Name: "needs_by_state", Kind: Stock, Label: "需求清单（按状态）", Dim: "need_state"},
	{Name: "resources_by_state", Kind: Stock, Label: "资源清单（按状态）", Dim: "resource_state"},
	{Name: "projects_by_state", Kind: Stock, Label: "项目清单（按状态）", Dim: "project_state"},
	{Name: "tasks_by_state", Kind: Stock, Label: "任务清单（按状态）", Dim: "task_state"},
	{Name: "tasks_overdue", Kind: Stock, Label: "逾期任务"},
	// Volunteer points (points).
	{Name: "points_earned", Kind: Flow, Label: "积分获得"},
	{Name: "points_spent", Kind: Flow, Label: "积分兑换消耗"},
	{Name: "points_adjusted", Kind: Flow, Label: "积分调整"},
	{Name: "redemptions", Kind: Flow, Label: "兑换次数"},
	{Name: "redemptions_by_item", Kind: Flow, Label: "兑换件数（按物品）", Dim: "item"},
	{Name: "workers_by_star", Kind: Stock, Label: "星级志愿者（按星级）", Dim: "star"},
	// Pushes (notification).
	{Name: "notifications_pushed", Kind: Flow, Label: "推送成功", Dim: "push_channel"},
	{Name: "notifications_failed", Kind: Flow, Label: "推送失败", Dim: "push_channel"},
	{Name: "notifications_stored", Kind: Flow, Label: "站内消息", Dim: "notice_category"},
	{Name: "broadcasts", Kind: Flow, Label: "群发"},
	{Name: "broadcast_reach", Kind: Flow, Label: "群发触达人次"},
}

// metricByName finds a figure by its name.
var metricByName = func() map[string]Metric {
	m := make(map[string]Metric, len(Catalog))
	for _, x := range Catalog {
		m[x.Name] = x
	}
	return m
}()

// Ratios are the shares the report gives, each of two figures of a month.
var Ratios = []Ratio{
	{Name: "pairings_contacted_on_time", Label: "结对按月联系率", Of: "pairings_overdue", Over: "pairings", Complement: true},
	{Name: "reports_closed_on_time_share", Label: "随手拍按期办结率", Of: "reports_closed_on_time", Over: "reports_closed"},
}

// Ratio is a share derived from two figures of one month: Of over Over
// (as of the month's end for a stock), or one minus it when Complement.
type Ratio struct {
	Name       string
	Label      string
	Of, Over   string
	Complement bool
}
