package event

import "time"

// The activity service's four lists (四项清单): needs collected from workers,
// resources offered by units, projects a joint meeting makes of them, and the
// tasks of a claimed project. Statistics subscribers follow every step;
// notification tells a worker what became of their need and a task's owner
// of its deadline.
var (
	NeedCreated       = Name{"activity", "need", "created"}
	NeedStatusChanged = Name{"activity", "need", "status_changed"}
	ResourceCreated   = Name{"activity", "resource", "created"}
	ResourceWithdrawn = Name{"activity", "resource", "withdrawn"}
	ProjectCreated    = Name{"activity", "project", "created"}
	ProjectClaimed    = Name{"activity", "project", "claimed"}
	ProjectCompleted  = Name{"activity", "project", "completed"}
	ProjectCancelled  = Name{"activity", "project", "cancelled"}
	TaskCreated       = Name{"activity", "task", "created"}
	TaskStatusChanged = Name{"activity", "task", "status_changed"}
)

// NeedData is the data of activity.need.created.
type NeedData struct {
	NeedID    string `json:"need_id"`
	Street    string `json:"street"`
	Community string `json:"community,omitempty"`
	Category  string `json:"category"`
	Source    string `json:"source"`              // worker or staff
	WorkerID  string `json:"worker_id,omitempty"` // set when a worker raised it
}

// NeedStatusChangedData is the data of activity.need.status_changed: a need
// taken into a project (in_project), met when its project completes, back to
// open when its project is cancelled, or withdrawn.
type NeedStatusChangedData struct {
	NeedID    string `json:"need_id"`
	Street    string `json:"street"`
	Community string `json:"community,omitempty"`
	From      string `json:"from"`
	To        string `json:"to"`
	ProjectID string `json:"project_id,omitempty"`
	WorkerID  string `json:"worker_id,omitempty"`
}

// ResourceData is the data of activity.resource.created and .withdrawn.
type ResourceData struct {
	ResourceID string `json:"resource_id"`
	Street     string `json:"street"`
	Community  string `json:"community,omitempty"` // empty: offered to the whole street
	Unit       string `json:"unit"`
	Category   string `json:"category"`
}

// ProjectData is the data of activity.project.created, .claimed, .completed
// and .cancelled. ClaimedBy is set once a unit has claimed the project.
type ProjectData struct {
	ProjectID   string   `json:"project_id"`
	Street      string   `json:"street"`
	Community   string   `json:"community,omitempty"`
	MeetingOn   string   `json:"meeting_on"` // the joint meeting's date, YYYY-MM-DD
	NeedIDs     []string `json:"need_ids"`
	ResourceIDs []string `json:"resource_ids"`
	ClaimedBy   string   `json:"claimed_by,omitempty"`
}

// TaskData is the data of activity.task.created and .status_changed. From
// and To are set on status changes. PersonSubject is the account of the
// responsible person when they have one, so they can be reminded; their name
// stays in the service, as no person's name travels in events.
type TaskData struct {
	TaskID        string    `json:"task_id"`
	ProjectID     string    `json:"project_id"`
	Street        string    `json:"street"`
	Community     string    `json:"community,omitempty"`
	Unit          string    `json:"unit"`
	PersonSubject string    `json:"person_subject,omitempty"`
	Deadline      time.Time `json:"deadline"`
	Status        string    `json:"status"`
	From          string    `json:"from,omitempty"`
}
