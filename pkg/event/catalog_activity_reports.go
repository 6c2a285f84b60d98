package event

import "time"

// The activity service's riders' reports (随手拍): what notification and
// points consume. No description and no reporter's name travel in events.
var (
	ReportSubmitted     = Name{"activity", "report", "submitted"}
	ReportStatusChanged = Name{"activity", "report", "status_changed"}
)

// ReportSubmittedData is the data of activity.report.submitted.
type ReportSubmittedData struct {
	ReportID  string    `json:"report_id"`
	Street    string    `json:"street"`
	Community string    `json:"community,omitempty"`
	Category  string    `json:"category"`
	Lat       float64   `json:"lat"`
	Lng       float64   `json:"lng"`
	DueAt     time.Time `json:"due_at"`
	// WorkerID is the reporter, so notification can confirm the report.
	WorkerID string `json:"worker_id"`
}

// ReportStatusChangedData is the data of activity.report.status_changed.
// WorkerID is the reporter, so notification can tell them and points can
// reward a report closed as valid. Valid is set only on close. MergedInto
// is set only when To is "merged": the report staff kept for the same
// problem, which the reporter can follow instead (an additive field, so
// dataversion is unchanged).
type ReportStatusChangedData struct {
	ReportID   string `json:"report_id"`
	Street     string `json:"street"`
	Community  string `json:"community,omitempty"`
	Category   string `json:"category"`
	From       string `json:"from"`
	To         string `json:"to"`
	Valid      *bool  `json:"valid,omitempty"`
	WorkerID   string `json:"worker_id"`
	MergedInto string `json:"merged_into,omitempty"`
}
