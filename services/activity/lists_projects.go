package activity

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// The statuses of projects and tasks.
const (
	ProjectProposed  = "proposed"
	ProjectClaimed   = "claimed"
	ProjectCompleted = "completed"
	ProjectCancelled = "cancelled"

	TaskOpen       = "open"
	TaskInProgress = "in_progress"
	TaskDone       = "done"
	TaskCancelled  = "cancelled"
)

// ProjectStatuses and TaskStatuses list every status each can have.
var (
	ProjectStatuses = []string{ProjectProposed, ProjectClaimed, ProjectCompleted, ProjectCancelled}
	TaskStatuses    = []string{TaskOpen, TaskInProgress, TaskDone, TaskCancelled}
)

// taskNext is a task's lifecycle: the statuses each may move to.
var taskNext = map[string][]string{
	TaskOpen:       {TaskInProgress, TaskDone, TaskCancelled},
	TaskInProgress: {TaskDone, TaskCancelled},
}

// maxLinks caps the needs and the resources one project links.
const maxLinks = 50

// Project is what a joint meeting (联席会议) made of needs and resources
// (项目清单). A unit claims it; its tasks then carry the work.
type Project struct {
	ID           uuid.UUID   `json:"id"`
	Street       string      `json:"street"`
	Community    string      `json:"community,omitempty"`
	Title        string      `json:"title"`
	Description  string      `json:"description,omitempty"`
	MeetingOn    string      `json:"meeting_on"` // YYYY-MM-DD
	MeetingNote  string      `json:"meeting_note,omitempty"`
	Status       string      `json:"status"`
	ClaimedBy    string      `json:"claimed_by,omitempty"`
	ClaimContact string      `json:"claim_contact,omitempty"`
	ClaimedAt    *time.Time  `json:"claimed_at,omitempty"`
	ClosedAt     *time.Time  `json:"closed_at,omitempty"`
	CancelReason string      `json:"cancel_reason,omitempty"`
	NeedIDs      []uuid.UUID `json:"need_ids"`
	ResourceIDs  []uuid.UUID `json:"resource_ids"`
	CreatedBy    string      `json:"created_by"`
	CreatedAt    time.Time   `json:"created_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
	// Tasks is filled when one project is read.
	Tasks []Task `json:"tasks,omitempty"`
}

func (pr Project) event(name event.Name) pending {
	d := event.ProjectData{ProjectID: pr.ID.String(), Street: pr.Street, Community: pr.Community, MeetingOn: pr.MeetingOn,
		ClaimedBy: pr.ClaimedBy, NeedIDs: make([]string, len(pr.NeedIDs)), ResourceIDs: make([]string, len(pr.ResourceIDs))}
	for i, id := range pr.NeedIDs {
		d.NeedIDs[i] = id.String()
	}
	for i, id := range pr.ResourceIDs {
		d.ResourceIDs[i] = id.String()
	}
	return pending{name, pr.Street, pr.ID.String(), d}
}

// ProjectInput is what a joint meeting decided.
type ProjectInput struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Street      string   `json:"street"`
	Community   string   `json:"community"`
	MeetingOn   string   `json:"meeting_on"` // the meeting's date, YYYY-MM-DD
	MeetingNote string   `json:"meeting_note"`
	NeedIDs     []string `json:"need_ids"`
	ResourceIDs []string `json:"resource_ids"`
}

// ClaimInput is a unit claiming a project.
type ClaimInput struct {
	Unit    string `json:"unit"`
	Contact string `json:"contact"`
}

// CancelProjectInput cancels a project, saying why.
type CancelProjectInput struct {
	Reason string `json:"reason"`
}

var (
	errProjectNotFound = fault.NotFoundf("project not found")
	errTaskNotFound    = fault.NotFoundf("task not found")
)

// linkIDs parses a list of ids to link: 1..maxLinks distinct uuids.
func linkIDs(c *validate.Collector, field string, raw []string) []uuid.UUID {
	if len(raw) == 0 {
		c.Add(field, validate.CodeRequired, "a project links at least one")
		return nil
	}
	if len(raw) > maxLinks {
		c.Add(field, validate.CodeOutOfRange, fmt.Sprintf("a project links at most %d", maxLinks))
		return nil
	}
	ids := make([]uuid.UUID, 0, len(raw))
	for _, s := range raw {
		id, err := uuid.Parse(s)
		if err != nil {
			c.Add(field, validate.CodeInvalidFormat, fmt.Sprintf("%q is not an id", s))
			return nil
		}
		if slices.Contains(ids, id) {
			c.Add(field, validate.CodeOutOfRange, fmt.Sprintf("%s is listed twice", id))
			return nil
		}
		ids = append(ids, id)
	}
	return ids
}

// meetingDate parses the date of a meeting already held (Shanghai calendar).
func meetingDate(c *validate.Collector, s string, now time.Time) string {
	if strings.TrimSpace(s) == "" {
		c.Add("meeting_on", validate.CodeRequired, "is required: the date of the joint meeting")
		return ""
	}
	d, err := time.ParseInLocation(time.DateOnly, s, Shanghai)
	if err != nil {
		c.Add("meeting_on", validate.CodeInvalidDate, `must be a date, e.g. "2026-05-01"`)
		return ""
	}
	if d.After(now.In(Shanghai)) {
		c.Add("meeting_on", validate.CodeOutOfRange, "must not be in the future: record a meeting once it is held")
		return ""
	}
	return s
}

// CreateProject records a project from a joint meeting: it links open needs
// and available resources of its place, and moves the needs into it.
func (s *Service) CreateProject(ctx context.Context, p auth.Principal, in ProjectInput) (Project, error) {
	if !p.IsStaff() {
		return Project{}, fault.Forbiddenf("only staff may record projects")
	}
	at := s.now()
	pr := Project{ID: newID(), Status: ProjectProposed, CreatedBy: p.Subject, CreatedAt: at, UpdatedAt: at}
	var c validate.Collector
	var err error
	if pr.Street, pr.Community, err = s.place(ctx, &c, p, in.Street, in.Community); err != nil {
		return Project{}, err
	}
	pr.Title = c.Text("title", in.Title, 1, 100)
	pr.Description = c.Text("description", in.Description, 0, 2000)
	pr.MeetingOn = meetingDate(&c, in.MeetingOn, at)
	pr.MeetingNote = c.Text("meeting_note", in.MeetingNote, 0, 2000)
	pr.NeedIDs = linkIDs(&c, "need_ids", in.NeedIDs)
	pr.ResourceIDs = linkIDs(&c, "resource_ids", in.ResourceIDs)
	if err := c.Err(); err != nil {
		return Project{}, err
	}
	// The needs and resources are checked under lock, so two meetings
	// cannot take the same need.
	err = s.store.CreateProject(ctx, pr, func(needs []Need, resources []Resource) ([]pending, error) {
		var c validate.Collector
		evs := []pending{pr.event(event.ProjectCreated)}
		for _, id := range pr.NeedIDs {
			i := slices.IndexFunc(needs, func(n Need) bool { return n.ID == id })
			if i < 0 || needs[i].Street != pr.Street || (pr.Community != "" && needs[i].Community != pr.Community) {
				c.Add("need_ids", validate.CodeUnknownValue, fmt.Sprintf("need %s is not among this project's needs", id))
				continue
			}
			n := &needs[i]
			if n.Status != NeedOpen {
				return nil, fault.ConflictReason("need_not_open", "need %s is %s, not open", id, n.Status)
			}
			n.Status, n.ProjectID, n.UpdatedAt = NeedInProject, &pr.ID, at
			evs = append(evs, n.statusChanged(NeedOpen))
		}
		for _, id := range pr.ResourceIDs {
			i := slices.IndexFunc(resources, func(r Resource) bool { return r.ID == id })
			if i < 0 || resources[i].Street != pr.Street || (pr.Community != "" && !slices.Contains([]string{"", pr.Community}, resources[i].Community)) {
				c.Add("resource_ids", validate.CodeUnknownValue, fmt.Sprintf("resource %s is not among this project's resources", id))
				continue
			}
			if resources[i].Status != ResourceAvailable {
				return nil, fault.ConflictReason("resource_withdrawn", "resource %s is withdrawn", id)
			}
		}
		return evs, c.Err()
	})
	if err != nil {
		return Project{}, fmt.Errorf("create project: %w", err)
	}
	return pr, nil
}

// GetProject returns a project with its tasks to staff who look after it.
func (s *Service) GetProject(ctx context.Context, p auth.Principal, id uuid.UUID) (Project, error) {
	if !p.IsStaff() {
		return Project{}, fault.Forbiddenf("only staff may see projects")
	}
	pr, found, err := s.store.Project(ctx, id)
	if err != nil {
		return Project{}, err
	}
	if !found || !p.Manages(pr.Street, pr.Community) {
		return Project{}, errProjectNotFound
	}
	pr.Tasks, err = s.store.ProjectTasks(ctx, id)
	at := s.now()
	for i := range pr.Tasks {
		pr.Tasks[i].late(at)
	}
	return pr, err
}

// ListProjects lists the projects of the caller's scope.
func (s *Service) ListProjects(ctx context.Context, p auth.Principal, q ListQuery) (Page[Project], error) {
	if !p.IsStaff() {
		return Page[Project]{}, fault.Forbiddenf("only staff may see projects")
	}
	var c validate.Collector
	checkPage(&c, q)
	if q.Status != "" {
		c.OneOf("status", q.Status, ProjectStatuses)
	}
	if err := c.Err(); err != nil {
		return Page[Project]{}, err
	}
	if err := s.narrowToScope(ctx, p, &q.Street, &q.Community); err != nil {
		return Page[Project]{}, err
	}
	return s.store.ListProjects(ctx, q)
}

// projectChange is what a change of a project's status does to its needs:
// NeedsTo moves the needs still in the project ("" leaves them).
type projectChange struct {
	Events  []pending
	NeedsTo string
}

// updateProject runs change on the locked project, for staff who look after it.
func (s *Service) updateProject(ctx context.Context, p auth.Principal, id uuid.UUID, change func(pr *Project, tasks map[string]int) (projectChange, error)) (Project, error) {
	if !p.IsStaff() {
		return Project{}, fault.Forbiddenf("only staff may handle projects")
	}
	pr, err := s.store.UpdateProject(ctx, id, s.now(), func(pr *Project, tasks map[string]int) (projectChange, error) {
		if !p.Manages(pr.Street, pr.Community) {
			return projectChange{}, errProjectNotFound
		}
		return change(pr, tasks)
	})
	if err != nil {
		return Project{}, fmt.Errorf("project %s: %w", id, err)
	}
	return pr, nil
}

// tasksOpen refuses to close a project while some of its tasks are not
// finished; format has one %d for how many, which the problem also carries
// as "open".
func tasksOpen(open int, format string) error {
	return &fault.Error{Kind: fault.Conflict, Message: fmt.Sprintf(format, open),
		Details: map[string]any{"reason": "project_tasks_open", "open": open}}
}

// ClaimProject records that a unit has claimed a proposed project (认领).
func (s *Service) ClaimProject(ctx context.Context, p auth.Principal, id uuid.UUID, in ClaimInput) (Project, error) {
	if !p.IsStaff() {
		return Project{}, fault.Forbiddenf("only staff may handle projects")
	}
	var c validate.Collector
	unit := c.Text("unit", in.Unit, 1, 100)
	contact := c.Text("contact", in.Contact, 0, 100)
	if err := c.Err(); err != nil {
		return Project{}, err
	}
	return s.updateProject(ctx, p, id, func(pr *Project, _ map[string]int) (projectChange, error) {
		if pr.Status != ProjectProposed {
			return projectChange{}, fault.ConflictReason("project_not_proposed", "only a proposed project can be claimed; this one is %s", pr.Status)
		}
		at := s.now()
		pr.Status, pr.ClaimedBy, pr.ClaimContact, pr.ClaimedAt, pr.UpdatedAt = ProjectClaimed, unit, contact, &at, at
		return projectChange{Events: []pending{pr.event(event.ProjectClaimed)}}, nil
	})
}

// CompleteProject completes a claimed project whose tasks are all finished,
// at least one of them done; its needs are then met.
func (s *Service) CompleteProject(ctx context.Context, p auth.Principal, id uuid.UUID) (Project, error) {
	return s.updateProject(ctx, p, id, func(pr *Project, tasks map[string]int) (projectChange, error) {
		if pr.Status != ProjectClaimed {
			return projectChange{}, fault.ConflictReason("project_not_claimed", "only a claimed project can be completed; this one is %s", pr.Status)
		}
		if open := tasks[TaskOpen] + tasks[TaskInProgress]; open > 0 {
			return projectChange{}, tasksOpen(open, "%d of the project's tasks are not finished")
		}
		if tasks[TaskDone] == 0 {
			return projectChange{}, fault.ConflictReason("project_no_task_done", "a project is completed by its tasks, and none is done")
		}
		at := s.now()
		pr.Status, pr.ClosedAt, pr.UpdatedAt = ProjectCompleted, &at, at
		return projectChange{Events: []pending{pr.event(event.ProjectCompleted)}, NeedsTo: NeedMet}, nil
	})
}

// CancelProject cancels a project with no unfinished task; its needs are
// open again for another meeting.
func (s *Service) CancelProject(ctx context.Context, p auth.Principal, id uuid.UUID, in CancelProjectInput) (Project, error) {
	if !p.IsStaff() {
		return Project{}, fault.Forbiddenf("only staff may handle projects")
	}
	var c validate.Collector
	reason := c.Text("reason", in.Reason, 1, 500)
	if err := c.Err(); err != nil {
		return Project{}, err
	}
	return s.updateProject(ctx, p, id, func(pr *Project, tasks map[string]int) (projectChange, error) {
		if pr.Status != ProjectProposed && pr.Status != ProjectClaimed {
			return projectChange{}, fault.ConflictReason("project_not_cancellable", "a %s project cannot be cancelled", pr.Status)
		}
		if open := tasks[TaskOpen] + tasks[TaskInProgress]; open > 0 {
			return projectChange{}, tasksOpen(open, "%d of the project's tasks are not finished: cancel them first")
		}
		at := s.now()
		pr.Status, pr.CancelReason, pr.ClosedAt, pr.UpdatedAt = ProjectCancelled, reason, &at, at
		return projectChange{Events: []pending{pr.event(event.ProjectCancelled)}, NeedsTo: NeedOpen}, nil
	})
}

// Task is one piece of a claimed project's work (任务清单): who is
// responsible, by what standard it is done, and by when.
type Task struct {
	ID            uuid.UUID        `json:"id"`
	ProjectID     uuid.UUID        `json:"project_id"`
	Street        string           `json:"street"`
	Community     string           `json:"community,omitempty"`
	Title         string           `json:"title"`
	Unit          string           `json:"unit"`
	Person        string           `json:"person"`
	PersonSubject string           `json:"person_subject,omitempty"`
	Standard      string           `json:"standard"`
	Deadline      time.Time        `json:"deadline"`
	Status        string           `json:"status"`
	Overdue       bool             `json:"overdue"`
	CreatedBy     string           `json:"created_by"`
	CreatedAt     time.Time        `json:"created_at"`
	UpdatedAt     time.Time        `json:"updated_at"`
	Transitions   []TaskTransition `json:"transitions,omitempty"`
}

// TaskTransition is one step of a task's lifecycle.
type TaskTransition struct {
	From         string    `json:"from"`
	To           string    `json:"to"`
	ActorSubject string    `json:"actor_subject"`
	ActorRole    string    `json:"actor_role"`
	Note         string    `json:"note,omitempty"`
	At           time.Time `json:"at"`
}

func (t Task) event(name event.Name, from string) pending {
	return pending{name, t.Street, t.ID.String(), event.TaskData{TaskID: t.ID.String(), ProjectID: t.ProjectID.String(),
		Street: t.Street, Community: t.Community, Unit: t.Unit, PersonSubject: t.PersonSubject,
		Deadline: t.Deadline, Status: t.Status, From: from}}
}

// late marks whether an unfinished task is past its deadline at now.
func (t *Task) late(now time.Time) {
	t.Overdue = (t.Status == TaskOpen || t.Status == TaskInProgress) && now.After(t.Deadline)
}

// TaskInput gives a claimed project a task. Unit defaults to the claiming
// unit. Deadline is a date (the task is due by the end of that day in
// Shanghai) or an RFC 3339 time.
type TaskInput struct {
	Title         string `json:"title"`
	Unit          string `json:"unit"`
	Person        string `json:"person"`
	PersonSubject string `json:"person_subject"`
	Standard      string `json:"standard"`
	Deadline      string `json:"deadline"`
}

// TaskTransitionInput moves a task on; done and cancelled need a note.
type TaskTransitionInput struct {
	To   string `json:"to"`
	Note string `json:"note"`
}

// parseDeadline reads a task's deadline, which must lie ahead of now.
func parseDeadline(c *validate.Collector, s string, now time.Time) time.Time {
	if d, err := time.ParseInLocation(time.DateOnly, s, Shanghai); err == nil {
		// Due by the end of the day: the next midnight in Shanghai.
		t := d.AddDate(0, 0, 1).UTC()
		c.Check(t.After(now), "deadline", validate.CodeOutOfRange, "must not be in the past")
		return t
	}
	t, ok := parseTime(c, "deadline", s)
	if ok {
		c.Check(t.After(now), "deadline", validate.CodeOutOfRange, "must be in the future")
	}
	return t
}

// CreateTask gives a claimed project a task.
func (s *Service) CreateTask(ctx context.Context, p auth.Principal, projectID uuid.UUID, in TaskInput) (Task, error) {
	if !p.IsStaff() {
		return Task{}, fault.Forbiddenf("only staff may assign tasks")
	}
	at := s.now()
	t := Task{ID: newID(), ProjectID: projectID, Status: TaskOpen, CreatedBy: p.Subject, CreatedAt: at, UpdatedAt: at}
	var c validate.Collector
	t.Title = c.Text("title", in.Title, 1, 100)
	t.Unit = c.Text("unit", in.Unit, 0, 100)
	t.Person = c.Text("person", in.Person, 1, 50)
	t.PersonSubject = c.Text("person_subject", in.PersonSubject, 0, 128)
	t.Standard = c.Text("standard", in.Standard, 1, 1000)
	t.Deadline = parseDeadline(&c, in.Deadline, at)
	if err := c.Err(); err != nil {
		return Task{}, err
	}
	err := s.store.CreateTask(ctx, &t, func(pr Project) (pending, error) {
		if !p.Manages(pr.Street, pr.Community) {
			return pending{}, errProjectNotFound
		}
		if pr.Status != ProjectClaimed {
			return pending{}, fault.ConflictReason("project_not_claimed", "tasks are given to a claimed project; this one is %s", pr.Status)
		}
		t.Street, t.Community = pr.Street, pr.Community
		if t.Unit == "" {
			t.Unit = pr.ClaimedBy
		}
		return t.event(event.TaskCreated, ""), nil
	})
	if err != nil {
		return Task{}, fmt.Errorf("create task: %w", err)
	}
	return t, nil
}

// GetTask returns a task with its history to staff who look after it.
func (s *Service) GetTask(ctx context.Context, p auth.Principal, id uuid.UUID) (Task, error) {
	if !p.IsStaff() {
		return Task{}, fault.Forbiddenf("only staff may see tasks")
	}
	t, found, err := s.store.Task(ctx, id)
	if err != nil {
		return Task{}, err
	}
	if !found || !p.Manages(t.Street, t.Community) {
		return Task{}, errTaskNotFound
	}
	t.late(s.now())
	return t, nil
}

// TransitionTask moves a task on in its lifecycle.
func (s *Service) TransitionTask(ctx context.Context, p auth.Principal, id uuid.UUID, in TaskTransitionInput) (Task, error) {
	if !p.IsStaff() {
		return Task{}, fault.Forbiddenf("only staff may handle tasks")
	}
	var c validate.Collector
	to := c.OneOf("to", in.To, TaskStatuses)
	minNote := 0
	if to == TaskDone || to == TaskCancelled {
		minNote = 1 // what was done, or why not
	}
	tr := TaskTransition{To: to, ActorSubject: p.Subject, ActorRole: string(p.Role), At: s.now()}
	tr.Note = c.Text("note", in.Note, minNote, 1000)
	if err := c.Err(); err != nil {
		return Task{}, err
	}
	t, err := s.store.TransitionTask(ctx, id, &tr, func(t *Task) (pending, error) {
		if !p.Manages(t.Street, t.Community) {
			return pending{}, errTaskNotFound
		}
		allowed := taskNext[t.Status]
		if !slices.Contains(allowed, to) {
			msg := fmt.Sprintf("a %s task cannot become %s", t.Status, to)
			if len(allowed) == 0 {
				msg += "; it is final"
				allowed = []string{}
			} else {
				msg += "; it can become " + strings.Join(allowed, " or ")
			}
			return pending{}, illegalTransition(msg, t.Status, allowed)
		}
		from := t.Status
		t.Status, t.UpdatedAt = to, tr.At
		return t.event(event.TaskStatusChanged, from), nil
	})
	if err != nil {
		return Task{}, fmt.Errorf("task %s: %w", id, err)
	}
	t.late(s.now())
	return t, nil
}

// TaskQuery filters and pages tasks.
type TaskQuery struct {
	ListQuery
	ProjectID string
	Overdue   bool // unfinished tasks past their deadline
	Now       time.Time
}

// ListTasks lists the tasks of the caller's scope.
func (s *Service) ListTasks(ctx context.Context, p auth.Principal, q TaskQuery) (Page[Task], error) {
	if !p.IsStaff() {
		return Page[Task]{}, fault.Forbiddenf("only staff may see tasks")
	}
	var c validate.Collector
	checkPage(&c, q.ListQuery)
	if q.Status != "" {
		c.OneOf("status", q.Status, TaskStatuses)
	}
	if q.ProjectID != "" {
		_, err := uuid.Parse(q.ProjectID)
		c.Check(err == nil, "project", validate.CodeInvalidFormat, "must be a project id")
	}
	if err := c.Err(); err != nil {
		return Page[Task]{}, err
	}
	if err := s.narrowToScope(ctx, p, &q.Street, &q.Community); err != nil {
		return Page[Task]{}, err
	}
	q.Now = s.now()
	page, err := s.store.ListTasks(ctx, q)
	for i := range page.Items {
		page.Items[i].late(q.Now)
	}
	return page, err
}
