package activity

import (
	"context"
	"errors"
	"fmt"
	"github.com/nuanxin/nuanxin/pkg/db"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
)

const activityCols = `id, title, kind, description, street, community, address, station_id, starts_at, ends_at,
	capacity, volunteer_service, status, cancel_reason, signed_up, created_by, created_at, published_at, cancelled_at,
	checkin_code`

func scanActivity(row pgx.Row) (Activity, error) {
	var a Activity
	err := row.Scan(&a.ID, &a.Title, &a.Kind, &a.Description, &a.Street, &a.Community, &a.Address, &a.StationID,
		&a.StartsAt, &a.EndsAt, &a.Capacity, &a.VolunteerService, &a.Status, &a.CancelReason, &a.SignedUp,
		&a.CreatedBy, &a.CreatedAt, &a.PublishedAt, &a.CancelledAt, &a.CheckinCode)
	return a, err
}

// CreateActivity stores a draft (drafts are no event). It runs in db.InTx,
// as every write a POST makes, which records an Idempotency-Key's work with it.
func (s *Store) CreateActivity(ctx context.Context, a Activity) error {
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO activities (id, title, kind, description, street, community, address,
			station_id, starts_at, ends_at, capacity, volunteer_service, status, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			a.ID, a.Title, a.Kind, a.Description, a.Street, a.Community, a.Address, a.StationID, a.StartsAt, a.EndsAt,
			a.Capacity, a.VolunteerService, a.Status, a.CreatedBy, a.CreatedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("create activity: %w", err)
	}
	return nil
}

// Activity returns one activity.
func (s *Store) Activity(ctx context.Context, id uuid.UUID) (Activity, bool, error) {
	a, err := scanActivity(s.pool.QueryRow(ctx, "SELECT "+activityCols+" FROM activities WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Activity{}, false, nil
	}
	if err != nil {
		return Activity{}, false, fmt.Errorf("activity %s: %w", id, err)
	}
	return a, true, nil
}

// ListActivities returns a page of activities ordered by id. With audience
// set, Community selects the street-wide activities and that community's.
func (s *Store) ListActivities(ctx context.Context, q ListQuery, audience bool) (Page[Activity], error) {
	var f db.Filter
	if q.worker != uuid.Nil {
		f.Where(`id IN (SELECT activity_id FROM signups WHERE worker_id = $%[1]d AND status = 'signed_up'
			UNION SELECT activity_id FROM attendance WHERE worker_id = $%[1]d)`, q.worker)
	}
	f.Eq("street", q.Street)
	if audience {
		f.Where("community IN ('', $%d)", q.Community)
	} else {
		f.Eq("community", q.Community)
	}
	f.Eq("status", q.Status)
	if !q.startsOnOrAfter.IsZero() {
		f.Where("starts_at >= $%d", q.startsOnOrAfter)
	}
	if !q.startsBefore.IsZero() {
		f.Where("starts_at < $%d", q.startsBefore)
	}
	sql := "SELECT " + activityCols + " FROM activities" + f.Page(q.After, q.Limit)
	p, err := listPage(ctx, s.pool, sql, f.Args, q.Limit, scanActivity, func(a Activity) uuid.UUID { return a.ID })
	if err != nil {
		return Page[Activity]{}, fmt.Errorf("list activities: %w", err)
	}
	return p, nil
}

// Participation returns worker's part in each of the activities ids that
// they have one in.
func (s *Store) Participation(ctx context.Context, worker uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]Participation, error) {
	out := map[uuid.UUID]Participation{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT activity_id FROM signups
		WHERE worker_id = $1 AND activity_id = ANY($2) AND status = 'signed_up'`, worker, ids)
	if err != nil {
		return nil, fmt.Errorf("sign-ups of %s: %w", worker, err)
	}
	signed, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("sign-ups of %s: %w", worker, err)
	}
	for _, id := range signed {
		out[id] = Participation{SignedUp: true}
	}
	rows, err = s.pool.Query(ctx, "SELECT "+attendanceCols+" FROM attendance WHERE worker_id = $1 AND activity_id = ANY($2)", worker, ids)
	if err != nil {
		return nil, fmt.Errorf("attendance of %s: %w", worker, err)
	}
	attended, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Attendance, error) { return scanAttendance(row) })
	if err != nil {
		return nil, fmt.Errorf("attendance of %s: %w", worker, err)
	}
	for _, a := range attended {
		part := out[a.ActivityID]
		part.Attendance = &a
		out[a.ActivityID] = part
	}
	return out, nil
}

// UpdateActivity locks the activity, lets change alter its status fields and
// stores them with the event change returns, in one transaction.
func (s *Store) UpdateActivity(ctx context.Context, id uuid.UUID, change func(a *Activity) (*pending, error)) (Activity, error) {
	var a Activity
	err := s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		var err error
		a, err = scanActivity(tx.QueryRow(ctx, "SELECT "+activityCols+" FROM activities WHERE id = $1 FOR UPDATE", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errActivityNotFound
		}
		if err != nil {
			return nil, err
		}
		ev, err := change(&a)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE activities SET status = $2, cancel_reason = $3, published_at = $4, cancelled_at = $5,
				checkin_code = $6
			WHERE id = $1`, a.ID, a.Status, a.CancelReason, a.PublishedAt, a.CancelledAt, a.CheckinCode); err != nil {
			return nil, err
		}
		if ev == nil {
			return nil, nil
		}
		return []pending{*ev}, nil
	})
	return a, err
}

const signupCols = "activity_id, worker_id, status, created_at, withdrawn_at"

func scanSignup(row pgx.Row) (Signup, error) {
	var su Signup
	err := row.Scan(&su.ActivityID, &su.WorkerID, &su.Status, &su.CreatedAt, &su.WithdrawnAt)
	return su, err
}

func signupEvent(name event.Name, a Activity, w Worker) pending {
	return pending{name, a.Street, a.ID.String(), event.SignupData{
		ActivityID: a.ID.String(), WorkerID: w.ID.String(), Street: a.Street, Community: w.Community, StartsAt: a.StartsAt,
	}}
}

// SignUp signs w up for the activity. The sign-up row and the count move in
// one transaction; the count moves only by a conditional UPDATE, which
// Postgres re-evaluates on the locked row, so concurrent sign-ups never
// take more places than there are. A re-sign-up after withdrawal reactivates
// the row; one while signed up returns it unchanged (isNew false, no event).
func (s *Store) SignUp(ctx context.Context, id uuid.UUID, w Worker, now time.Time) (su Signup, isNew bool, err error) {
	err = s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		a, err := scanActivity(tx.QueryRow(ctx, "SELECT "+activityCols+" FROM activities WHERE id = $1", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errActivityNotFound
		}
		if err != nil {
			return nil, err
		}
		if err := checkSignable(a, w, now); err != nil {
			return nil, err
		}
		su, err = scanSignup(tx.QueryRow(ctx, `INSERT INTO signups (activity_id, worker_id, status, created_at)
			VALUES ($1, $2, 'signed_up', $3)
			ON CONFLICT (activity_id, worker_id) DO UPDATE
				SET status = 'signed_up', created_at = EXCLUDED.created_at, withdrawn_at = NULL
				WHERE signups.status = 'withdrawn'
			RETURNING `+signupCols, id, w.ID, now))
		if errors.Is(err, pgx.ErrNoRows) {
			// Already signed up: answer with the sign-up as it stands.
			su, err = scanSignup(tx.QueryRow(ctx, "SELECT "+signupCols+" FROM signups WHERE activity_id = $1 AND worker_id = $2", id, w.ID))
			return nil, err
		}
		if err != nil {
			return nil, err
		}
		var taken int
		err = tx.QueryRow(ctx, `UPDATE activities SET signed_up = signed_up + 1
			WHERE id = $1 AND status = 'published' AND (capacity IS NULL OR signed_up < capacity)
			RETURNING signed_up`, id).Scan(&taken)
		if errors.Is(err, pgx.ErrNoRows) {
			var status string
			if err := tx.QueryRow(ctx, "SELECT status FROM activities WHERE id = $1", id).Scan(&status); err != nil {
				return nil, err
			}
			if status == StatusCancelled {
				return nil, fault.ConflictReason("activity_cancelled", "the activity is cancelled")
			}
			return nil, fault.ConflictReason("activity_full", "the activity is full")
		}
		if err != nil {
			return nil, err
		}
		isNew = true
		return []pending{signupEvent(event.SignupCreated, a, w)}, nil
	})
	return su, isNew, err
}

// Withdraw withdraws w's active sign-up and frees the place.
func (s *Store) Withdraw(ctx context.Context, id uuid.UUID, w Worker, now time.Time) (su Signup, err error) {
	err = s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		a, err := scanActivity(tx.QueryRow(ctx, "SELECT "+activityCols+" FROM activities WHERE id = $1", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errActivityNotFound
		}
		if err != nil {
			return nil, err
		}
		if err := checkSignable(a, w, now); err != nil {
			return nil, err
		}
		su, err = scanSignup(tx.QueryRow(ctx, `UPDATE signups SET status = 'withdrawn', withdrawn_at = $3
			WHERE activity_id = $1 AND worker_id = $2 AND status = 'signed_up'
			RETURNING `+signupCols, id, w.ID, now))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fault.ConflictReason("not_signed_up", "you are not signed up for this activity")
		}
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, "UPDATE activities SET signed_up = signed_up - 1 WHERE id = $1", id); err != nil {
			return nil, err
		}
		return []pending{signupEvent(event.SignupWithdrawn, a, w)}, nil
	})
	return su, err
}

// Signups returns an activity's sign-ups in the order they were made.
func (s *Store) Signups(ctx context.Context, id uuid.UUID) ([]Signup, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+signupCols+" FROM signups WHERE activity_id = $1 ORDER BY created_at, worker_id", id)
	if err != nil {
		return nil, fmt.Errorf("signups of %s: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Signup, error) { return scanSignup(r) })
	if err != nil {
		return nil, fmt.Errorf("signups of %s: %w", id, err)
	}
	return out, nil
}

// WorkerActivities returns a page of the activities q.worker signed up
// for or attended, newest start first, with their sign-up and attendance.
func (s *Store) WorkerActivities(ctx context.Context, q WorkerActivityQuery) (Page[WorkerActivity], error) {
	var f db.Filter
	f.Where(`id IN (SELECT activity_id FROM signups WHERE worker_id = $%[1]d
		UNION SELECT activity_id FROM attendance WHERE worker_id = $%[1]d)`, q.worker)
	f.Eq("street", q.street)
	if q.community != "" {
		f.Where("community IN ('', $%d)", q.community)
	}
	if q.After != "" {
		f.Args = append(f.Args, q.afterStart, q.afterID)
		f.Raw(fmt.Sprintf("(starts_at, id) < ($%d, $%d)", len(f.Args)-1, len(f.Args)))
	}
	clause := f.Clause()
	f.Args = append(f.Args, q.Limit+1)
	rows, err := s.pool.Query(ctx, "SELECT "+activityCols+" FROM activities"+clause+
		fmt.Sprintf(" ORDER BY starts_at DESC, id DESC LIMIT $%d", len(f.Args)), f.Args...)
	if err != nil {
		return Page[WorkerActivity]{}, fmt.Errorf("activities of worker %s: %w", q.worker, err)
	}
	acts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Activity, error) { return scanActivity(row) })
	if err != nil {
		return Page[WorkerActivity]{}, fmt.Errorf("activities of worker %s: %w", q.worker, err)
	}
	p := Page[WorkerActivity]{Items: []WorkerActivity{}}
	if len(acts) > q.Limit {
		acts = acts[:q.Limit]
		p.Next = startCursor(acts[q.Limit-1])
	}
	if len(acts) == 0 {
		return p, nil
	}
	ids := make([]uuid.UUID, len(acts))
	for i, a := range acts {
		ids[i] = a.ID
	}
	rows, err = s.pool.Query(ctx, "SELECT "+signupCols+" FROM signups WHERE worker_id = $1 AND activity_id = ANY($2)", q.worker, ids)
	if err != nil {
		return Page[WorkerActivity]{}, fmt.Errorf("sign-ups of worker %s: %w", q.worker, err)
	}
	signups, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Signup, error) { return scanSignup(row) })
	if err != nil {
		return Page[WorkerActivity]{}, fmt.Errorf("sign-ups of worker %s: %w", q.worker, err)
	}
	rows, err = s.pool.Query(ctx, "SELECT "+attendanceCols+" FROM attendance WHERE worker_id = $1 AND activity_id = ANY($2)", q.worker, ids)
	if err != nil {
		return Page[WorkerActivity]{}, fmt.Errorf("attendance of worker %s: %w", q.worker, err)
	}
	attended, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Attendance, error) { return scanAttendance(row) })
	if err != nil {
		return Page[WorkerActivity]{}, fmt.Errorf("attendance of worker %s: %w", q.worker, err)
	}
	bySignup, byAttendance := map[uuid.UUID]*Signup{}, map[uuid.UUID]*Attendance{}
	for i := range signups {
		bySignup[signups[i].ActivityID] = &signups[i]
	}
	for i := range attended {
		byAttendance[attended[i].ActivityID] = &attended[i]
	}
	for _, a := range acts {
		p.Items = append(p.Items, WorkerActivity{Activity: a.withoutCode(), Signup: bySignup[a.ID], Attendance: byAttendance[a.ID]})
	}
	return p, nil
}
