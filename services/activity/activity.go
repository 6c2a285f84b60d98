// Package activity runs the street offices' activities (study sessions,
// riders' councils, safety training, festival visits, volunteer service),
// with sign-up, attendance and the hours that feed volunteer points.
//
// It knows workers only from registry events: a local projection of id,
// street, community and status (projection.go), never registry's tables.
// This file is the domain core; SQL is in store.go, HTTP in transport_http.go.
package activity

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
)

// Shanghai is the zone dates and "this month" are read in.
var Shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// Service implements the activity service's use cases.
type Service struct {
	store  *Store
	now    func() time.Time
	photos PhotoStore // report photos; see SetPhotos
}

// NewService returns the service over store.
func NewService(store *Store) *Service {
	return &Service{store: store, now: now}
}

// now is the current time as Postgres keeps it (UTC, microseconds).
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// pending is an event the store writes to the outbox in the same
// transaction as the change that caused it.
type pending struct {
	name    event.Name
	street  string
	subject string
	data    any
}

// Worker is what the service knows of a worker, from registry events.
type Worker struct {
	ID         uuid.UUID
	Street     string
	Community  string
	Status     string
	Occupation string
}

var errWorkerUnknown = fault.NotFoundf("worker not found")

// activeWorker returns a worker known from registry events and still active.
func (s *Service) activeWorker(ctx context.Context, id uuid.UUID) (Worker, error) {
	w, found, err := s.store.Worker(ctx, id)
	if err != nil {
		return Worker{}, err
	}
	if !found {
		return Worker{}, errWorkerUnknown
	}
	if w.Status != "active" {
		return Worker{}, fault.ConflictReason("worker_left", "the worker has left the ledger")
	}
	return w, nil
}

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// illegalTransition refuses a step a lifecycle does not allow (a task's, a
// report's): the problem names the current status (as current_status: a
// problem's "status" is its HTTP status) and the statuses it may move to.
func illegalTransition(msg, current string, allowed []string) error {
	return &fault.Error{Kind: fault.Conflict, Message: msg,
		Details: map[string]any{"reason": "illegal_transition", "current_status": current, "allowed": allowed}}
}
