package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/httpx"
)

// errNotSignedIn answers a request without a live session.
var errNotSignedIn = &fault.Error{Kind: fault.Unauthenticated, Message: "not signed in: sign in again"}

// errEnrolling answers a rider who has not finished the 报到 form yet.
var errEnrolling = &fault.Error{Kind: fault.Forbidden, Message: "send the 报到 form first"}

// View is what the browser is told of its session: never a token.
type View struct {
	CSRFToken         string          `json:"csrf_token"`
	Principal         *auth.Principal `json:"principal,omitempty"`
	DisplayName       string          `json:"display_name,omitempty"`
	EnrolmentRequired bool            `json:"enrolment_required,omitempty"`
	// Registration is the registry's answer to the 报到 form, on the
	// answer that sent it.
	Registration json.RawMessage `json:"registration,omitempty"`
}

func (r row) view() View {
	v := View{CSRFToken: r.CSRF, DisplayName: r.DisplayName}
	if r.AccessToken != nil {
		p := r.Principal
		v.Principal = &p
	} else {
		v.EnrolmentRequired = true
	}
	return v
}

// Started is a session a sign-in opened: the cookie's value, how long the
// cookie may live, and what the browser is told.
type Started struct {
	Cookie string
	MaxAge time.Duration
	Status int // 201 signed in, 200 the 报到 form is due
	View   View
}

// SignInInput is a sign-in as the browser sends it: a staff member's
// username and password (new_password when it must change), or a rider's
// mobile and code. An enrolment token is never the browser's to send.
type SignInInput struct {
	Username    string `json:"username,omitempty"`
	Password    string `json:"password,omitempty"`
	NewPassword string `json:"new_password,omitempty"`
	Mobile      string `json:"mobile,omitempty"`
	Code        string `json:"code,omitempty"`
}

// tokens is identity's answer to a sign-in or a refresh.
type tokens struct {
	AccessToken      string `json:"access_token"`
	ExpiresIn        int    `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int    `json:"refresh_expires_in"`
	Account          *struct {
		Username    string    `json:"username"`
		DisplayName string    `json:"display_name"`
		Role        auth.Role `json:"role"`
		Street      string    `json:"street"`
		Community   string    `json:"community"`
	} `json:"account"`
	Worker *struct {
		WorkerID  string `json:"worker_id"`
		Street    string `json:"street"`
		Community string `json:"community"`
	} `json:"worker"`
}

// enrolment is identity's answer to a rider whose mobile the registry
// does not know.
type enrolment struct {
	EnrolmentRequired bool   `json:"enrolment_required"`
	EnrolmentToken    string `json:"enrolment_token"`
	ExpiresIn         int    `json:"expires_in"`
}

// decodeAnswer reads a service's JSON answer into v.
func decodeAnswer(a *Answer, v any) error {
	if err := json.Unmarshal(a.Body, v); err != nil {
		return fmt.Errorf("identity's answer (%d): %w", a.Status, err)
	}
	return nil
}

// fill puts what identity handed out into r: the tokens (the refresh
// token sealed), whom they are for, and the session's end — the refresh
// token's.
func (s *Service) fill(r *row, t tokens, now time.Time) error {
	if t.AccessToken == "" || t.RefreshToken == "" || t.ExpiresIn <= 0 || t.RefreshExpiresIn <= 0 {
		return errors.New("identity's session answer lacks its tokens")
	}
	switch {
	case t.Account != nil:
		r.Principal = auth.Principal{Subject: t.Account.Username, Role: t.Account.Role, Street: t.Account.Street, Community: t.Account.Community}
		r.DisplayName = t.Account.DisplayName
	case t.Worker != nil:
		r.Principal = auth.Principal{Subject: "worker-" + t.Worker.WorkerID, Role: auth.Worker, WorkerID: t.Worker.WorkerID,
			Street: t.Worker.Street, Community: t.Worker.Community}
	default:
		return errors.New("identity's session answer names no one")
	}
	sealed, err := s.seal(r.IDHash, t.RefreshToken)
	if err != nil {
		return err
	}
	access, expires := t.AccessToken, now.Add(time.Duration(t.ExpiresIn)*time.Second)
	r.AccessToken, r.AccessExpires, r.RefreshSealed, r.EnrolmentSealed = &access, &expires, sealed, nil
	r.Expires = now.Add(time.Duration(t.RefreshExpiresIn) * time.Second)
	return nil
}

// newRow is a fresh session: a random id of 256 bits (the cookie's value)
// kept only as its hash, and a CSRF token.
func (s *Service) newRow(now time.Time) (row, string, error) {
	id, err := randomToken()
	if err != nil {
		return row{}, "", err
	}
	csrf, err := randomToken()
	if err != nil {
		return row{}, "", err
	}
	return row{IDHash: hashID(id), CSRF: csrf, Created: now, LastSeen: now}, id, nil
}

func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// hashID is what is kept of a session id: 256 random bits need no salt.
func hashID(id string) []byte {
	sum := sha256.Sum256([]byte(id))
	return sum[:]
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// SignIn signs in at identity and opens a session: signed in (201), or,
// for a rider the registry does not know, one that holds the enrolment
// token for the 报到 form (200). Identity's refusals are returned as an
// *Answer, to be passed on as they are. previous, the cookie the browser
// came with, is ended: a sign-in always starts a new session id.
func (s *Service) SignIn(ctx context.Context, in SignInInput, clientIP, previous string) (Started, error) {
	a, err := s.call(ctx, request{Service: "identity", Method: http.MethodPost, Path: "/v1/sessions", Body: in, ClientIP: clientIP})
	if err != nil {
		return Started{}, err
	}
	now := s.now()
	r, id, err := s.newRow(now)
	if err != nil {
		return Started{}, err
	}
	started := Started{Cookie: id, Status: a.Status}
	switch a.Status {
	case http.StatusCreated:
		var t tokens
		if err := decodeAnswer(a, &t); err != nil {
			return Started{}, err
		}
		if err := s.fill(&r, t, now); err != nil {
			return Started{}, err
		}
	case http.StatusOK:
		var e enrolment
		if err := decodeAnswer(a, &e); err != nil {
			return Started{}, err
		}
		if !e.EnrolmentRequired || e.EnrolmentToken == "" || e.ExpiresIn <= 0 {
			return Started{}, errors.New("identity's enrolment answer lacks its token")
		}
		if r.EnrolmentSealed, err = s.seal(r.IDHash, e.EnrolmentToken); err != nil {
			return Started{}, err
		}
		r.Expires = now.Add(time.Duration(e.ExpiresIn) * time.Second)
	default:
		return Started{}, a
	}
	if err := s.store.insert(ctx, s.store.pool, r); err != nil {
		return Started{}, err
	}
	s.countSignIn(r)
	if previous != "" {
		s.SignOut(ctx, previous)
	}
	started.MaxAge, started.View = r.Expires.Sub(now), r.view()
	return started, nil
}

func (s *Service) countSignIn(r row) {
	kind := "staff"
	switch {
	case r.AccessToken == nil:
		kind = "enrolling"
	case r.Principal.Role == auth.Worker:
		kind = "worker"
	}
	s.metrics.signIns.WithLabelValues(kind).Inc()
}

// Current is the live session the cookie names, or errNotSignedIn.
func (s *Service) Current(ctx context.Context, cookie string) (row, error) {
	if cookie == "" {
		return row{}, errNotSignedIn
	}
	now := s.now()
	r, found, err := s.store.get(ctx, s.store.pool, hashID(cookie), now, false)
	if err != nil {
		return row{}, err
	}
	if !found {
		return row{}, errNotSignedIn
	}
	if err := s.store.touch(ctx, r.IDHash, now); err != nil {
		// The session works; only the pruner's idea of it is late.
		s.log.WarnContext(ctx, "session not touched", "err", err, "request_id", httpx.RequestID(ctx))
	}
	return r, nil
}

// Access is an access token of r's to send now: r's own, or — when it ends
// within RefreshBefore — a new one from identity. Refreshes of one session
// are serialised on its row: a second request waiting for the lock finds
// the token the first stored, so one refresh token is never sent twice
// (identity would take that for a theft and end the session). A refresh
// identity refuses ends the session (errNotSignedIn).
func (s *Service) Access(ctx context.Context, r row) (string, error) {
	if r.AccessToken == nil {
		return "", errEnrolling
	}
	if r.AccessExpires.After(s.now().Add(s.cfg.RefreshBefore)) {
		return *r.AccessToken, nil
	}
	var token string
	var ended, refreshed bool
	err := db.InTx(ctx, s.store.pool, func(tx pgx.Tx) error {
		now := s.now()
		cur, found, err := s.store.get(ctx, tx, r.IDHash, now, true)
		if err != nil {
			return err
		}
		if !found || cur.AccessToken == nil {
			ended = true
			return nil
		}
		if cur.AccessExpires.After(now.Add(s.cfg.RefreshBefore)) {
			token = *cur.AccessToken // refreshed while this request waited
			return nil
		}
		refresh, err := s.unseal(cur.IDHash, cur.RefreshSealed)
		if err != nil {
			return err
		}
		a, err := s.call(ctx, request{Service: "identity", Method: http.MethodPost, Path: "/v1/sessions/refresh",
			Body: map[string]string{"refresh_token": refresh}})
		if err != nil {
			return err
		}
		switch {
		case a.Status == http.StatusOK || a.Status == http.StatusCreated:
		case a.Status >= 400 && a.Status < 500:
			ended = true
			_, err := s.store.delete(ctx, tx, cur.IDHash)
			return err
		default:
			return fmt.Errorf("refresh: identity answered %d", a.Status)
		}
		var t tokens
		if err := decodeAnswer(a, &t); err != nil {
			return err
		}
		if err := s.fill(&cur, t, now); err != nil {
			return err
		}
		token, refreshed = *cur.AccessToken, true
		return s.store.updateTokens(ctx, tx, cur)
	})
	switch {
	case err != nil:
		s.metrics.refreshes.WithLabelValues("error").Inc()
		return "", fmt.Errorf("refresh the access token: %w", err)
	case ended:
		s.metrics.refreshes.WithLabelValues("refused").Inc()
		return "", errNotSignedIn
	}
	if refreshed {
		s.metrics.refreshes.WithLabelValues("ok").Inc()
	}
	return token, nil
}

// SignOut ends the session the cookie names: its row is deleted, and its
// refresh token revoked at identity. A failure at identity is logged, not
// answered: the row, and with it the only copy of the token, is gone.
func (s *Service) SignOut(ctx context.Context, cookie string) {
	var refreshSealed, idHash []byte
	err := db.InTx(ctx, s.store.pool, func(tx pgx.Tx) error {
		r, found, err := s.store.get(ctx, tx, hashID(cookie), s.now(), true)
		if err != nil || !found {
			return err
		}
		refreshSealed, idHash = r.RefreshSealed, r.IDHash
		_, err = s.store.delete(ctx, tx, r.IDHash)
		return err
	})
	if err != nil {
		s.log.ErrorContext(ctx, "sign out", "err", err, "request_id", httpx.RequestID(ctx))
		return
	}
	if refreshSealed == nil {
		return
	}
	refresh, err := s.unseal(idHash, refreshSealed)
	if err == nil {
		var a *Answer
		a, err = s.call(ctx, request{Service: "identity", Method: http.MethodDelete, Path: "/v1/sessions",
			Body: map[string]string{"refresh_token": refresh}})
		if err == nil && a.Status != http.StatusOK {
			err = a
		}
	}
	if err != nil {
		s.log.WarnContext(ctx, "signed out here, but not revoked at identity", "err", err, "request_id", httpx.RequestID(ctx))
	}
}

// SendCode asks identity to send a rider a code; its answer is the
// browser's, whatever it is.
func (s *Service) SendCode(ctx context.Context, mobile, clientIP string) (*Answer, error) {
	return s.call(ctx, request{Service: "identity", Method: http.MethodPost, Path: "/v1/otp",
		Body: map[string]string{"mobile": mobile}, ClientIP: clientIP})
}

// enrolmentToken is the enrolment token r holds, or errEnrolmentDone.
func (s *Service) enrolmentToken(r row) (string, error) {
	if r.EnrolmentSealed == nil {
		return "", fault.ConflictReason("no_enrolment_due", "no 报到 is due in this session: sign in with a code")
	}
	return s.unseal(r.IDHash, r.EnrolmentSealed)
}

// Places answers the streets and communities a rider may choose in the
// 报到 form, from the registry, with r's enrolment token.
func (s *Service) Places(ctx context.Context, r row) (*Answer, error) {
	token, err := s.enrolmentToken(r)
	if err != nil {
		return nil, err
	}
	return s.call(ctx, request{Service: "registry", Method: http.MethodGet, Path: "/v1/self-registrations/places", Bearer: token})
}

// Enrol sends the 报到 form (as the browser sent it) to the registry with
// r's enrolment token, then signs the rider in at identity with it —
// retrying, within EnrolmentWait, while identity has not yet heard of the
// worker the registry recorded. The session is replaced by a signed-in one
// under a new id. A refusal (of the form, or identity still waiting) is an
// *Answer to pass on; sending the form again is safe (the registry answers
// a mobile's second 报到 with its first).
func (s *Service) Enrol(ctx context.Context, r row, form []byte, clientIP string) (Started, error) {
	token, err := s.enrolmentToken(r)
	if err != nil {
		return Started{}, err
	}
	reg, err := s.call(ctx, request{Service: "registry", Method: http.MethodPost, Path: "/v1/self-registrations", Body: form, Bearer: token})
	if err != nil {
		return Started{}, err
	}
	if reg.Status != http.StatusOK && reg.Status != http.StatusCreated {
		return Started{}, reg
	}
	wait, cancel := context.WithTimeout(ctx, s.cfg.EnrolmentWait)
	defer cancel()
	var a *Answer
	for {
		a, err = s.call(wait, request{Service: "identity", Method: http.MethodPost, Path: "/v1/sessions",
			Body: map[string]string{"enrolment_token": token}, ClientIP: clientIP})
		if err != nil {
			return Started{}, err
		}
		if a.Status != http.StatusConflict || reason(a) != "enrolment_pending" {
			break
		}
		// The registry's event is on its way to identity.
		pause := time.Duration(min(max(retryAfter(a), 1), 2)) * time.Second / 4
		timer := time.NewTimer(pause)
		select {
		case <-wait.Done():
			timer.Stop()
			if ctx.Err() != nil {
				return Started{}, ctx.Err()
			}
			return Started{}, a // still 409: the browser may send the form again
		case <-timer.C:
		}
	}
	if a.Status != http.StatusCreated {
		return Started{}, a
	}
	var t tokens
	if err := decodeAnswer(a, &t); err != nil {
		return Started{}, err
	}
	now := s.now()
	next, id, err := s.newRow(now)
	if err != nil {
		return Started{}, err
	}
	if err := s.fill(&next, t, now); err != nil {
		return Started{}, err
	}
	// A new id for the signed-in session: whoever saw the enrolling one's
	// cookie does not hold this one.
	err = db.InTx(ctx, s.store.pool, func(tx pgx.Tx) error {
		if _, err := s.store.delete(ctx, tx, r.IDHash); err != nil {
			return err
		}
		return s.store.insert(ctx, tx, next)
	})
	if err != nil {
		return Started{}, err
	}
	s.countSignIn(next)
	v := next.view()
	v.Registration = json.RawMessage(reg.Body)
	return Started{Cookie: id, MaxAge: next.Expires.Sub(now), Status: http.StatusCreated, View: v}, nil
}

// Prune deletes the sessions that have ended or lain idle past
// IdleTimeout. An idle session's refresh token is not revoked at identity:
// it is never used again, and ends at its expiry.
func (s *Service) Prune(ctx context.Context) (int64, error) {
	now := s.now()
	return s.store.prune(ctx, now, now.Add(-s.cfg.IdleTimeout))
}

// RunPruner prunes every interval until ctx ends.
func RunPruner(ctx context.Context, s *Service, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.Prune(ctx); err != nil && ctx.Err() == nil {
			log.Error("prune sessions", "err", err)
		} else if n > 0 {
			log.Info("sessions pruned", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
