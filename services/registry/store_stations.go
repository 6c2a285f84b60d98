package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/db"
)

const stationCols = `id, name, kind, street, community, host, lat, lng, address, phone, opening_hours, facilities,
	created_at, updated_at, closed_at, close_reason`

// stationDest is where a row of stationCols scans to, the opening hours
// into hours (JSON), followed by extra.
func stationDest(st *Station, hours *[]byte, extra ...any) []any {
	return append([]any{&st.ID, &st.Name, &st.Kind, &st.Street, &st.Community, &st.Host, &st.Lat, &st.Lng,
		&st.Address, &st.Phone, hours, &st.Facilities, &st.CreatedAt, &st.UpdatedAt, &st.ClosedAt, &st.CloseReason}, extra...)
}

// finishStation decodes the opening hours and sets the status.
func finishStation(st *Station, hours []byte) error {
	if err := json.Unmarshal(hours, &st.OpeningHours); err != nil {
		return fmt.Errorf("station %s opening hours: %w", st.ID, err)
	}
	st.Status = StationOpen
	if st.ClosedAt != nil {
		st.Status = StationClosed
	}
	return nil
}

func scanStation(row pgx.Row) (Station, error) {
	var st Station
	var hours []byte
	if err := row.Scan(stationDest(&st, &hours)...); err != nil {
		return Station{}, err
	}
	return st, finishStation(&st, hours)
}

// CreateStation stores a station.
func (s *Store) CreateStation(ctx context.Context, st Station, ev pending) error {
	hours, err := json.Marshal(st.OpeningHours)
	if err != nil {
		return fmt.Errorf("create station: %w", err)
	}
	return s.insert(ctx, "create station", ev, `
		INSERT INTO stations (id, name, kind, street, community, host, lat, lng, address, phone, opening_hours, facilities, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)`,
		st.ID, st.Name, st.Kind, st.Street, st.Community, st.Host, st.Lat, st.Lng, st.Address, st.Phone, hours, st.Facilities, st.CreatedAt)
}

// Station returns one station.
func (s *Store) Station(ctx context.Context, id uuid.UUID) (Station, bool, error) {
	st, err := scanStation(s.pool.QueryRow(ctx, "SELECT "+stationCols+" FROM stations WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Station{}, false, nil
	}
	if err != nil {
		return Station{}, false, fmt.Errorf("station %s: %w", id, err)
	}
	return st, true, nil
}

// ListStations returns a page of stations, by id, with the total.
func (s *Store) ListStations(ctx context.Context, q StationQuery) (Page[Station], error) {
	filter := func(f *db.Filter) {
		f.Eq("kind", q.Kind)
		switch q.Status {
		case StationOpen:
			f.Raw("closed_at IS NULL")
		case StationClosed:
			f.Raw("closed_at IS NOT NULL")
		}
		if q.Facility != "" {
			f.Where("$%d = ANY (facilities)", q.Facility)
		}
		if q.Q != "" {
			f.Where("name ILIKE $%d", containsPattern(q.Q))
		}
	}
	page, err := listCounted(ctx, s.pool, "stations", stationCols, q.ListQuery, filter, scanStation,
		func(st Station) uuid.UUID { return st.ID })
	if err != nil {
		return Page[Station]{}, fmt.Errorf("list stations: %w", err)
	}
	return page, nil
}

// UpdateStation locks the station, lets fn change it (an edit or closing
// it), and stores it with the event fn returns (nil: nothing changed,
// nothing written).
func (s *Store) UpdateStation(ctx context.Context, id uuid.UUID, fn func(*Station) (*pending, error)) error {
	return s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		st, err := scanStation(tx.QueryRow(ctx, "SELECT "+stationCols+" FROM stations WHERE id = $1 FOR UPDATE", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errStationNotFound
		}
		if err != nil {
			return nil, fmt.Errorf("update station: %w", err)
		}
		ev, err := fn(&st)
		if err != nil || ev == nil {
			return nil, err
		}
		hours, err := json.Marshal(st.OpeningHours)
		if err != nil {
			return nil, fmt.Errorf("update station: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE stations SET name = $2, kind = $3, host = $4, lat = $5, lng = $6, address = $7,
				opening_hours = $8, facilities = $9, updated_at = $10, closed_at = $11, close_reason = $12, phone = $13
			WHERE id = $1`,
			st.ID, st.Name, st.Kind, st.Host, st.Lat, st.Lng, st.Address, hours, st.Facilities, st.UpdatedAt,
			st.ClosedAt, st.CloseReason, st.Phone)
		if err != nil {
			return nil, fmt.Errorf("update station: %w", err)
		}
		return []pending{*ev}, nil
	})
}

// StationCommunity returns the community a station belongs to and whether
// it is closed.
func (s *Store) StationCommunity(ctx context.Context, id uuid.UUID) (community string, closed, found bool, err error) {
	err = s.pool.QueryRow(ctx, "SELECT community, closed_at IS NOT NULL FROM stations WHERE id = $1", id).Scan(&community, &closed)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, false, nil
	}
	return community, closed, err == nil, err
}

// Nearby returns the open stations within radius metres of (lat, lng),
// nearest first. A bounding box on the (lat, lng) index narrows the
// candidates; the haversine distance then decides. Closed stations are
// not among them.
func (s *Store) Nearby(ctx context.Context, lat, lng, radius float64, facility string, limit int) ([]NearbyStation, error) {
	const earth = 6371008.8
	dLat := radius / earth * 180 / math.Pi
	dLng := dLat / math.Max(math.Cos(lat*math.Pi/180), 0.01)
	rows, err := s.pool.Query(ctx, `
		SELECT * FROM (
			SELECT `+stationCols+`,
				2 * $8::float8 * asin(sqrt(power(sin(radians(lat - $1) / 2), 2)
					+ cos(radians($1)) * cos(radians(lat)) * power(sin(radians(lng - $2) / 2), 2))) AS distance
			FROM stations
			WHERE lat BETWEEN $1 - $3 AND $1 + $3 AND lng BETWEEN $2 - $4 AND $2 + $4
				AND ($6 = '' OR $6 = ANY (facilities))
				AND closed_at IS NULL
		) near
		WHERE distance <= $5
		ORDER BY distance, id
		LIMIT $7`, lat, lng, dLat, dLng, radius, facility, limit, earth)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []NearbyStation{}
	for rows.Next() {
		var n NearbyStation
		var hours []byte
		if err := rows.Scan(stationDest(&n.Station, &hours, &n.DistanceM)...); err != nil {
			return nil, err
		}
		if err := finishStation(&n.Station, hours); err != nil {
			return nil, err
		}
		n.DistanceM = math.Round(n.DistanceM)
		out = append(out, n)
	}
	return out, rows.Err()
}
