package activity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/db"
)

const needCols = `id, street, community, category, title, description, source, worker_id, status, project_id, note,
	created_by, created_at, updated_at`

func scanNeed(row pgx.Row) (Need, error) {
	var n Need
	err := row.Scan(&n.ID, &n.Street, &n.Community, &n.Category, &n.Title, &n.Description, &n.Source, &n.WorkerID,
		&n.Status, &n.ProjectID, &n.Note, &n.CreatedBy, &n.CreatedAt, &n.UpdatedAt)
	return n, err
}

// CreateNeed stores a new need with its event.
func (s *Store) CreateNeed(ctx context.Context, n Need, ev pending) error {
	return s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		_, err := tx.Exec(ctx, `INSERT INTO needs (`+needCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			n.ID, n.Street, n.Community, n.Category, n.Title, n.Description, n.Source, n.WorkerID, n.Status,
			n.ProjectID, n.Note, n.CreatedBy, n.CreatedAt, n.UpdatedAt)
		return []pending{ev}, err
	})
}

// Need returns one need.
func (s *Store) Need(ctx context.Context, id uuid.UUID) (Need, bool, error) {
	n, err := scanNeed(s.pool.QueryRow(ctx, "SELECT "+needCols+" FROM needs WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Need{}, false, nil
	}
	if err != nil {
		return Need{}, false, fmt.Errorf("need %s: %w", id, err)
	}
	return n, true, nil
}

// UpdateNeed locks a need, lets change alter it and stores it with the
// event change returns.
func (s *Store) UpdateNeed(ctx context.Context, id uuid.UUID, change func(n *Need) (*pending, error)) (Need, error) {
	var n Need
	err := s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		var err error
		n, err = scanNeed(tx.QueryRow(ctx, "SELECT "+needCols+" FROM needs WHERE id = $1 FOR UPDATE", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errNeedNotFound
		}
		if err != nil {
			return nil, err
		}
		ev, err := change(&n)
		if err != nil {
			return nil, err
		}
		_, err = tx.Exec(ctx, "UPDATE needs SET status = $2, project_id = $3, note = $4, updated_at = $5 WHERE id = $1",
			n.ID, n.Status, n.ProjectID, n.Note, n.UpdatedAt)
		return []pending{*ev}, err
	})
	if err != nil {
		return Need{}, fmt.Errorf("need %s: %w", id, err)
	}
	return n, nil
}

// scope adds a list's place filter: Street, and Community or, for an
// audience, Community and the street-wide rows.
func (q listsQuery) scope(f *db.Filter) {
	f.Eq("street", q.Street)
	if q.Audience {
		f.Where("community IN ('', $%d)", q.Community)
	} else {
		f.Eq("community", q.Community)
	}
	f.Eq("status", q.Status)
	f.Eq("category", q.Category)
}

// ListNeeds returns a page of needs.
func (s *Store) ListNeeds(ctx context.Context, q listsQuery) (Page[Need], error) {
	var f db.Filter
	q.scope(&f)
	f.Eq("worker_id", q.WorkerID)
	sql := "SELECT " + needCols + " FROM needs" + f.Page(q.After, q.Limit)
	p, err := listPage(ctx, s.pool, sql, f.Args, q.Limit, scanNeed, func(n Need) uuid.UUID { return n.ID })
	if err != nil {
		return Page[Need]{}, fmt.Errorf("list needs: %w", err)
	}
	return p, nil
}

const resourceCols = `id, street, community, unit, category, title, description, contact, status, note,
	created_by, created_at, updated_at`

func scanResource(row pgx.Row) (Resource, error) {
	var r Resource
	err := row.Scan(&r.ID, &r.Street, &r.Community, &r.Unit, &r.Category, &r.Title, &r.Description, &r.Contact,
		&r.Status, &r.Note, &r.CreatedBy, &r.CreatedAt, &r.UpdatedAt)
	return r, err
}

// CreateResource stores a new resource with its event.
func (s *Store) CreateResource(ctx context.Context, r Resource, ev pending) error {
	return s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		_, err := tx.Exec(ctx, `INSERT INTO resources (`+resourceCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			r.ID, r.Street, r.Community, r.Unit, r.Category, r.Title, r.Description, r.Contact, r.Status, r.Note,
			r.CreatedBy, r.CreatedAt, r.UpdatedAt)
		return []pending{ev}, err
	})
}

// Resource returns one resource.
func (s *Store) Resource(ctx context.Context, id uuid.UUID) (Resource, bool, error) {
	r, err := scanResource(s.pool.QueryRow(ctx, "SELECT "+resourceCols+" FROM resources WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Resource{}, false, nil
	}
	if err != nil {
		return Resource{}, false, fmt.Errorf("resource %s: %w", id, err)
	}
	return r, true, nil
}

// UpdateResource locks a resource, lets change alter it and stores it with
// the event change returns.
func (s *Store) UpdateResource(ctx context.Context, id uuid.UUID, change func(r *Resource) (*pending, error)) (Resource, error) {
	var r Resource
	err := s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		var err error
		r, err = scanResource(tx.QueryRow(ctx, "SELECT "+resourceCols+" FROM resources WHERE id = $1 FOR UPDATE", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errResourceNotFound
		}
		if err != nil {
			return nil, err
		}
		ev, err := change(&r)
		if err != nil {
			return nil, err
		}
		_, err = tx.Exec(ctx, "UPDATE resources SET status = $2, note = $3, updated_at = $4 WHERE id = $1",
			r.ID, r.Status, r.Note, r.UpdatedAt)
		return []pending{*ev}, err
	})
	if err != nil {
		return Resource{}, fmt.Errorf("resource %s: %w", id, err)
	}
	return r, nil
}

// ListResources returns a page of resources.
func (s *Store) ListResources(ctx context.Context, q listsQuery) (Page[Resource], error) {
	var f db.Filter
	q.scope(&f)
	sql := "SELECT " + resourceCols + " FROM resources" + f.Page(q.After, q.Limit)
	p, err := listPage(ctx, s.pool, sql, f.Args, q.Limit, scanResource, func(r Resource) uuid.UUID { return r.ID })
	if err != nil {
		return Page[Resource]{}, fmt.Errorf("list resources: %w", err)
	}
	return p, nil
}

// projectCols reads a project with the ids it links, in id order.
const projectCols = `id, street, community, title, description, to_char(meeting_on, 'YYYY-MM-DD'), meeting_note,
	status, claimed_by, claim_contact, claimed_at, closed_at, cancel_reason, created_by, created_at, updated_at,
	ARRAY(SELECT need_id FROM project_needs WHERE project_id = projects.id ORDER BY need_id),
	ARRAY(SELECT resource_id FROM project_resources WHERE project_id = projects.id ORDER BY resource_id)`

func scanProject(row pgx.Row) (Project, error) {
	var pr Project
	err := row.Scan(&pr.ID, &pr.Street, &pr.Community, &pr.Title, &pr.Description, &pr.MeetingOn, &pr.MeetingNote,
		&pr.Status, &pr.ClaimedBy, &pr.ClaimContact, &pr.ClaimedAt, &pr.ClosedAt, &pr.CancelReason, &pr.CreatedBy,
		&pr.CreatedAt, &pr.UpdatedAt, &pr.NeedIDs, &pr.ResourceIDs)
	return pr, err
}

// CreateProject locks the needs and resources pr links (in id order, so
// meetings racing for a need wait rather than deadlock), lets check decide
// on them — it marks the needs it takes and returns the events — and stores
// the project, its links and the needs together.
func (s *Store) CreateProject(ctx context.Context, pr Project, check func(needs []Need, resources []Resource) ([]pending, error)) error {
	return s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		rows, err := tx.Query(ctx, "SELECT "+needCols+" FROM needs WHERE id = ANY($1) ORDER BY id FOR UPDATE", pr.NeedIDs)
		if err != nil {
			return nil, err
		}
		needs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Need, error) { return scanNeed(row) })
		if err != nil {
			return nil, err
		}
		rows, err = tx.Query(ctx, "SELECT "+resourceCols+" FROM resources WHERE id = ANY($1) ORDER BY id FOR SHARE", pr.ResourceIDs)
		if err != nil {
			return nil, err
		}
		resources, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Resource, error) { return scanResource(row) })
		if err != nil {
			return nil, err
		}
		evs, err := check(needs, resources)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO projects (id, street, community, title, description, meeting_on,
			meeting_note, status, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			pr.ID, pr.Street, pr.Community, pr.Title, pr.Description, pr.MeetingOn, pr.MeetingNote, pr.Status,
			pr.CreatedBy, pr.CreatedAt, pr.UpdatedAt); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO project_needs (project_id, need_id) SELECT $1, unnest($2::uuid[])`,
			pr.ID, pr.NeedIDs); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO project_resources (project_id, resource_id) SELECT $1, unnest($2::uuid[])`,
			pr.ID, pr.ResourceIDs); err != nil {
			return nil, err
		}
		for _, n := range needs {
			if _, err := tx.Exec(ctx, "UPDATE needs SET status = $2, project_id = $3, updated_at = $4 WHERE id = $1",
				n.ID, n.Status, n.ProjectID, n.UpdatedAt); err != nil {
				return nil, err
			}
		}
		return evs, nil
	})
}

// Project returns one project, without its tasks.
func (s *Store) Project(ctx context.Context, id uuid.UUID) (Project, bool, error) {
	pr, err := scanProject(s.pool.QueryRow(ctx, "SELECT "+projectCols+" FROM projects WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Project{}, false, nil
	}
	if err != nil {
		return Project{}, false, fmt.Errorf("project %s: %w", id, err)
	}
	return pr, true, nil
}

// ListProjects returns a page of projects.
func (s *Store) ListProjects(ctx context.Context, q ListQuery) (Page[Project], error) {
	var f db.Filter
	f.Eq("street", q.Street)
	f.Eq("community", q.Community)
	f.Eq("status", q.Status)
	sql := "SELECT " + projectCols + " FROM projects" + f.Page(q.After, q.Limit)
	p, err := listPage(ctx, s.pool, sql, f.Args, q.Limit, scanProject, func(pr Project) uuid.UUID { return pr.ID })
	if err != nil {
		return Page[Project]{}, fmt.Errorf("list projects: %w", err)
	}
	return p, nil
}

// UpdateProject locks a project and lets change decide, given how many of
// its tasks are in each status; then it stores the project, moves the needs
// still in it as the change says (with an event each) and writes the events.
func (s *Store) UpdateProject(ctx context.Context, id uuid.UUID, at time.Time, change func(pr *Project, tasks map[string]int) (projectChange, error)) (Project, error) {
	var pr Project
	err := s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		var err error
		pr, err = scanProject(tx.QueryRow(ctx, "SELECT "+projectCols+" FROM projects WHERE id = $1 FOR UPDATE", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errProjectNotFound
		}
		if err != nil {
			return nil, err
		}
		tasks := map[string]int{}
		rows, err := tx.Query(ctx, "SELECT status, count(*) FROM tasks WHERE project_id = $1 GROUP BY status", id)
		if err != nil {
			return nil, err
		}
		var status string
		var n int
		if _, err := pgx.ForEachRow(rows, []any{&status, &n}, func() error { tasks[status] = n; return nil }); err != nil {
			return nil, err
		}
		ch, err := change(&pr, tasks)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE projects SET status = $2, claimed_by = $3, claim_contact = $4, claimed_at = $5,
			closed_at = $6, cancel_reason = $7, updated_at = $8 WHERE id = $1`,
			pr.ID, pr.Status, pr.ClaimedBy, pr.ClaimContact, pr.ClaimedAt, pr.ClosedAt, pr.CancelReason, pr.UpdatedAt); err != nil {
			return nil, err
		}
		if ch.NeedsTo == "" {
			return ch.Events, nil
		}
		// A need back to open leaves the project; a met one keeps it.
		var projectID *uuid.UUID
		if ch.NeedsTo != NeedOpen {
			projectID = &pr.ID
		}
		rows, err = tx.Query(ctx, `UPDATE needs SET status = $2, project_id = $3, updated_at = $4
			WHERE project_id = $1 AND status = 'in_project' RETURNING `+needCols, pr.ID, ch.NeedsTo, projectID, at)
		if err != nil {
			return nil, err
		}
		needs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Need, error) { return scanNeed(row) })
		if err != nil {
			return nil, err
		}
		for _, need := range needs {
			need.ProjectID = &pr.ID // a need back to open: the event says which project let it go
			ch.Events = append(ch.Events, need.statusChanged(NeedInProject))
		}
		return ch.Events, nil
	})
	if err != nil {
		return Project{}, err
	}
	return pr, nil
}

const taskCols = `id, project_id, street, community, title, unit, person, person_subject, standard, deadline, status,
	created_by, created_at, updated_at`

func scanTask(row pgx.Row) (Task, error) {
	var t Task
	err := row.Scan(&t.ID, &t.ProjectID, &t.Street, &t.Community, &t.Title, &t.Unit, &t.Person, &t.PersonSubject,
		&t.Standard, &t.Deadline, &t.Status, &t.CreatedBy, &t.CreatedAt, &t.UpdatedAt)
	return t, err
}

// CreateTask locks the task's project (so it cannot complete meanwhile),
// lets check decide on it and fill in the task, and stores the task with the
// event check returns.
func (s *Store) CreateTask(ctx context.Context, t *Task, check func(pr Project) (pending, error)) error {
	return s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		pr, err := scanProject(tx.QueryRow(ctx, "SELECT "+projectCols+" FROM projects WHERE id = $1 FOR UPDATE", t.ProjectID))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errProjectNotFound
		}
		if err != nil {
			return nil, err
		}
		ev, err := check(pr)
		if err != nil {
			return nil, err
		}
		_, err = tx.Exec(ctx, `INSERT INTO tasks (`+taskCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			t.ID, t.ProjectID, t.Street, t.Community, t.Title, t.Unit, t.Person, t.PersonSubject, t.Standard,
			t.Deadline, t.Status, t.CreatedBy, t.CreatedAt, t.UpdatedAt)
		return []pending{ev}, err
	})
}

// Task returns one task with its transitions.
func (s *Store) Task(ctx context.Context, id uuid.UUID) (Task, bool, error) {
	t, err := scanTask(s.pool.QueryRow(ctx, "SELECT "+taskCols+" FROM tasks WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Task{}, false, nil
	}
	if err == nil {
		t.Transitions, err = s.taskTransitions(ctx, id)
	}
	if err != nil {
		return Task{}, false, fmt.Errorf("task %s: %w", id, err)
	}
	return t, true, nil
}

func (s *Store) taskTransitions(ctx context.Context, id uuid.UUID) ([]TaskTransition, error) {
	rows, err := s.pool.Query(ctx, `SELECT from_status, to_status, actor_subject, actor_role, note, at
		FROM task_transitions WHERE task_id = $1 ORDER BY at`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (TaskTransition, error) {
		var tr TaskTransition
		err := row.Scan(&tr.From, &tr.To, &tr.ActorSubject, &tr.ActorRole, &tr.Note, &tr.At)
		return tr, err
	})
}

// ProjectTasks returns a project's tasks by id.
func (s *Store) ProjectTasks(ctx context.Context, projectID uuid.UUID) ([]Task, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+taskCols+" FROM tasks WHERE project_id = $1 ORDER BY id", projectID)
	if err != nil {
		return nil, fmt.Errorf("tasks of project %s: %w", projectID, err)
	}
	tasks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Task, error) { return scanTask(row) })
	if err != nil {
		return nil, fmt.Errorf("tasks of project %s: %w", projectID, err)
	}
	return tasks, nil
}

// TransitionTask locks a task, lets change move it on, and stores the new
// status, the transition tr (its From filled in) and the event together.
func (s *Store) TransitionTask(ctx context.Context, id uuid.UUID, tr *TaskTransition, change func(t *Task) (pending, error)) (Task, error) {
	var t Task
	err := s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		var err error
		t, err = scanTask(tx.QueryRow(ctx, "SELECT "+taskCols+" FROM tasks WHERE id = $1 FOR UPDATE", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errTaskNotFound
		}
		if err != nil {
			return nil, err
		}
		tr.From = t.Status
		ev, err := change(&t)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, "UPDATE tasks SET status = $2, updated_at = $3 WHERE id = $1", t.ID, t.Status, t.UpdatedAt); err != nil {
			return nil, err
		}
		_, err = tx.Exec(ctx, `INSERT INTO task_transitions (task_id, from_status, to_status, actor_subject, actor_role, note, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, t.ID, tr.From, tr.To, tr.ActorSubject, tr.ActorRole, tr.Note, tr.At)
		return []pending{ev}, err
	})
	if err != nil {
		return Task{}, err
	}
	t.Transitions, err = s.taskTransitions(ctx, id)
	return t, err
}

// ListTasks returns a page of tasks; overdue ones are unfinished and past
// their deadline.
func (s *Store) ListTasks(ctx context.Context, q TaskQuery) (Page[Task], error) {
	var f db.Filter
	f.Eq("street", q.Street)
	f.Eq("community", q.Community)
	f.Eq("status", q.Status)
	f.Eq("project_id", q.ProjectID)
	if q.Overdue {
		f.Raw("status IN ('open', 'in_progress')")
		f.Where("deadline < $%d", q.Now)
	}
	sql := "SELECT " + taskCols + " FROM tasks" + f.Page(q.After, q.Limit)
	p, err := listPage(ctx, s.pool, sql, f.Args, q.Limit, scanTask, func(t Task) uuid.UUID { return t.ID })
	if err != nil {
		return Page[Task]{}, fmt.Errorf("list tasks: %w", err)
	}
	return p, nil
}
