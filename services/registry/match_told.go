package registry

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/event"
)

// tellBatch is how many untold workers one transaction tells.
const tellBatch = 500

// TellMobileMatches publishes, once, a worker.updated (changed:
// mobile_match) for every worker registered before worker events carried
// the match of the mobile: without it the identity service does not know
// them, and a rider of theirs signing in would be sent to the 报到 form as
// a stranger. It returns how many it told; each batch commits its events
// and its marks together, so a restart goes on where it stopped and tells
// no one twice.
func (s *Service) TellMobileMatches(ctx context.Context) (int, error) {
	told := 0
	for {
		n, err := s.tellBatch(ctx)
		told += n
		if err != nil || n < tellBatch {
			return told, err
		}
	}
}

func (s *Service) tellBatch(ctx context.Context) (int, error) {
	n := 0
	err := s.store.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		rows, err := tx.Query(ctx, "SELECT "+workerCols+` FROM workers WHERE NOT match_told
			ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, tellBatch)
		if err != nil {
			return nil, fmt.Errorf("untold workers: %w", err)
		}
		workers, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Worker, error) { return scanWorker(r) })
		if err != nil {
			return nil, fmt.Errorf("untold workers: %w", err)
		}
		evs := make([]pending, 0, len(workers))
		ids := make([]uuid.UUID, 0, len(workers))
		for _, w := range workers {
			match, err := s.matchOf(w)
			if err != nil {
				return nil, fmt.Errorf("worker %s: %w", w.ID, err)
			}
			evs = append(evs, workerEvent(event.WorkerUpdated, w, []string{"mobile_match"}, match))
			ids = append(ids, w.ID)
		}
		if len(workers) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE workers SET match_told = true WHERE id = ANY($1)`, ids); err != nil {
				return nil, fmt.Errorf("mark told: %w", err)
			}
		}
		n = len(workers)
		return evs, nil
	})
	return n, err
}

// RunTellMobileMatches tells the untold workers' matches at start, and
// logs what it did; a failure is logged and tried again at the next start.
func RunTellMobileMatches(ctx context.Context, s *Service, log *slog.Logger) {
	n, err := s.TellMobileMatches(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		log.Error("tell the identity service the mobile matches of workers registered before", "told", n, "err", err)
	case n > 0:
		log.Info("told the identity service the mobile matches of workers registered before", "told", n)
	}
}
