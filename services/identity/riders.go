package identity

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// The limits of one-time codes: what a telecom gateway expects of a
// sender, and what makes guessing a 6-digit code hopeless (5 tries of a
// million per code, codes at most one a minute).
const (
	codeTTL           = 5 * time.Minute
	resendAfter       = time.Minute // one code per mobile per minute
	sendsPerDay       = 10          // per mobile, in any 24 hours
	wrongTriesBurn    = 5           // wrong tries that burn a code
	ipSendsPerHour    = 30          // codes asked for from one address (a station's Wi-Fi is shared)
	ipFailuresPerHour = 30          // wrong or unknown codes from one address
	limitsKept        = 24 * time.Hour
	// EnrolmentTTL is how long a rider whose mobile the registry does not
	// know has to fill in the 报到 form.
	EnrolmentTTL = 30 * time.Minute
)

// CodeRequest asks for a one-time code by SMS.
type CodeRequest struct {
	Mobile string `json:"mobile"`
}

// CodeSent says a code is on its way: how long it is good for, and when
// another may be asked for.
type CodeSent struct {
	Sent        bool `json:"sent"`
	ExpiresIn   int  `json:"expires_in"`
	ResendAfter int  `json:"resend_after"`
}

// errRidersOff answers rider sign-in on a service started without an SMS
// gateway or the mobile match key.
var errRidersOff = fault.Unavailablef(time.Hour, "sign-in by SMS code is not set up on this server")

// SendCode sends a 6-digit code to a mobile, within the limits: one a
// minute and ten a day per mobile, ipSendsPerHour per address. Each
// refusal says when to try again (429, Retry-After). The code is kept
// only as a keyed hash; a gateway failure leaves nothing counted (503).
func (s *Service) SendCode(ctx context.Context, in CodeRequest, ip string) (CodeSent, error) {
	if s.Match == nil || s.SMS == nil {
		return CodeSent{}, errRidersOff
	}
	var c validate.Collector
	mobile := c.Mobile("mobile", in.Mobile)
	if err := c.Err(); err != nil {
		return CodeSent{}, err
	}
	match := s.Match.Of(mobile)
	code, err := newCode()
	if err != nil {
		return CodeSent{}, err
	}
	var refused error
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now().UTC().Truncate(time.Microsecond)
		// One sender per address, then per mobile, at a time (always in
		// this order: no two requests wait for each other's lock).
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('otp-ip:' || $1, 0)),
			pg_advisory_xact_lock(hashtextextended('otp-mobile:' || $2, 0))`, ip, match); err != nil {
			return fmt.Errorf("send code: %w", err)
		}
		var last, first *time.Time
		var today int
		if err := tx.QueryRow(ctx, `SELECT max(sent_at), min(sent_at), count(*) FROM otp_sends
			WHERE mobile_match = $1 AND sent_at > $2`, match, now.Add(-24*time.Hour)).Scan(&last, &first, &today); err != nil {
			return fmt.Errorf("send code: %w", err)
		}
		switch {
		case last != nil && now.Sub(*last) < resendAfter:
			refused = fault.TooManyf(last.Add(resendAfter).Sub(now), "a code was sent to this mobile less than a minute ago")
			return nil
		case today >= sendsPerDay:
			refused = fault.TooManyf(first.Add(24*time.Hour).Sub(now), "%d codes were sent to this mobile in the last 24 hours", today)
			return nil
		}
		wait, err := hourlyWait(ctx, tx, `SELECT count(*), min(sent_at) FROM otp_sends WHERE ip = $1 AND sent_at > $2`, ip, now, ipSendsPerHour)
		if err != nil {
			return err
		}
		if wait > 0 {
			refused = fault.TooManyf(wait, "too many codes asked for from this network: try again later")
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO otp_sends (mobile_match, ip, sent_at) VALUES ($1, $2, $3)`, match, ip, now); err != nil {
			return fmt.Errorf("send code: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO otp_codes (mobile_match, code_hash, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (mobile_match) DO UPDATE SET code_hash = EXCLUDED.code_hash, expires_at = EXCLUDED.expires_at, wrong_tries = 0`,
			match, s.codeHash(match, code), now.Add(codeTTL)); err != nil {
			return fmt.Errorf("send code: %w", err)
		}
		// Sent inside the transaction: a gateway that fails leaves no code
		// and no count. (A commit failing after the send leaves a code that
		// never works: the rider asks again in a minute.)
		if err := s.SMS.SendCode(ctx, mobile, code); err != nil {
			s.metrics.codes.WithLabelValues("gateway_failed").Inc()
			return fault.Unavailablef(30*time.Second, "the SMS gateway did not take the code: try again shortly (%v)", err)
		}
		return nil
	})
	if err != nil {
		return CodeSent{}, err
	}
	if refused != nil {
		s.metrics.codes.WithLabelValues("limited").Inc()
		return CodeSent{}, refused
	}
	s.metrics.codes.WithLabelValues("sent").Inc()
	return CodeSent{Sent: true, ExpiresIn: int(codeTTL.Seconds()), ResendAfter: int(resendAfter.Seconds())}, nil
}

// hourlyWait is how long key must wait for the rows query counts in the
// hour before now to drop below limit — until the oldest of them leaves
// the hour — or 0 when they are below it already.
func hourlyWait(ctx context.Context, tx pgx.Tx, query, key string, now time.Time, limit int) (time.Duration, error) {
	var n int
	var oldest *time.Time
	if err := tx.QueryRow(ctx, query, key, now.Add(-time.Hour)).Scan(&n, &oldest); err != nil {
		return 0, fmt.Errorf("count for the limit: %w", err)
	}
	if n < limit {
		return 0, nil
	}
	return max(oldest.Add(time.Hour).Sub(now), time.Second), nil
}

// newCode is a uniformly random 6-digit code.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("new code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// codeHash is what is kept of a code: an HMAC under a key derived from the
// signing key (one secret fewer to configure; a key rotation only voids
// the codes of the last five minutes), bound to the mobile's match.
func (s *Service) codeHash(match, code string) []byte {
	mac := hmac.New(sha256.New, s.codeKey)
	mac.Write([]byte(match))
	mac.Write([]byte{0})
	mac.Write([]byte(code))
	return mac.Sum(nil)
}

// codeKeyOf derives the code-hashing key from the signing key.
func codeKeyOf(key ed25519.PrivateKey) []byte {
	sum := sha256.Sum256(append([]byte("nuanxin one-time code key v1\x00"), key.Seed()...))
	return sum[:]
}

// Enrolment answers a rider whose mobile the registry does not know: the
// token with which to send the 报到 form to the registry (POST
// /v1/self-registrations), then to sign in with here.
type Enrolment struct {
	EnrolmentRequired bool   `json:"enrolment_required"`
	EnrolmentToken    string `json:"enrolment_token"`
	ExpiresIn         int    `json:"expires_in"`
}

var codeRe = regexp.MustCompile(`^[0-9]{6}$`)

// errWrongCode answers a code that is wrong, expired, burnt or never sent
// alike, but for the tries left on a wrong one.
const wrongCodeMessage = "wrong or expired code: check the SMS, or ask for a new code"

// signInWithCode checks a rider's code. Right, it is burnt, and the rider
// is signed in as the worker the registry knows by that mobile — or, for a
// mobile it does not know, given an enrolment token (answered as an
// Enrolment). Wrong, it counts: the fifth wrong try burns the code.
func (s *Service) signInWithCode(ctx context.Context, mobile, code, ip string) (any, error) {
	if s.Match == nil {
		return nil, errRidersOff
	}
	var c validate.Collector
	mobile = c.Mobile("mobile", mobile)
	if c.Check(code != "", "code", validate.CodeRequired, "the code from the SMS is required") {
		c.Check(codeRe.MatchString(code), "code", validate.CodeInvalidFormat, "6 digits")
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	match := s.Match.Of(mobile)
	var out any
	var refused error
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now().UTC().Truncate(time.Microsecond)
		wait, err := hourlyWait(ctx, tx, `SELECT count(*), min(failed_at) FROM otp_failures WHERE ip = $1 AND failed_at > $2`,
			ip, now, ipFailuresPerHour)
		if err != nil {
			return err
		}
		if wait > 0 {
			refused = fault.TooManyf(wait, "too many wrong codes from this network: try again later")
			return nil
		}
		var stored []byte
		var expires time.Time
		var tries int
		err = tx.QueryRow(ctx, `SELECT code_hash, expires_at, wrong_tries FROM otp_codes WHERE mobile_match = $1 FOR UPDATE`, match).
			Scan(&stored, &expires, &tries)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("check code: %w", err)
		}
		fail := func(reason string, msg *fault.Error) error {
			refused = msg
			if _, err := tx.Exec(ctx, `INSERT INTO otp_failures (ip, failed_at) VALUES ($1, $2)`, ip, now); err != nil {
				return fmt.Errorf("check code: %w", err)
			}
			return s.riderAudit(ctx, tx, event.RiderSignInFailed, nil, event.RiderData{Reason: reason, At: now})
		}
		switch {
		case errors.Is(err, pgx.ErrNoRows) || !expires.After(now):
			return fail("no_code", &fault.Error{Kind: fault.Unauthenticated, Message: wrongCodeMessage})
		case !hmac.Equal(stored, s.codeHash(match, code)):
			tries++
			if tries >= wrongTriesBurn {
				if _, err := tx.Exec(ctx, `DELETE FROM otp_codes WHERE mobile_match = $1`, match); err != nil {
					return fmt.Errorf("check code: %w", err)
				}
				return fail("code_burnt", &fault.Error{Kind: fault.Unauthenticated,
					Message: "wrong code, the fifth time: this code no longer works, ask for a new one"})
			}
			if _, err := tx.Exec(ctx, `UPDATE otp_codes SET wrong_tries = $2 WHERE mobile_match = $1`, match, tries); err != nil {
				return fmt.Errorf("check code: %w", err)
			}
			return fail("wrong_code", (&fault.Error{Kind: fault.Unauthenticated, Message: wrongCodeMessage}).
				With("tries_left", wrongTriesBurn-tries))
		}
		if _, err := tx.Exec(ctx, `DELETE FROM otp_codes WHERE mobile_match = $1`, match); err != nil {
			return fmt.Errorf("check code: %w", err)
		}
		w, found, err := activeWorker(ctx, tx, match)
		if err != nil {
			return err
		}
		if !found {
			token, err := auth.IssueEnrolment(s.key, match, EnrolmentTTL)
			if err != nil {
				return err
			}
			out = Enrolment{EnrolmentRequired: true, EnrolmentToken: token, ExpiresIn: int(EnrolmentTTL.Seconds())}
			return s.riderAudit(ctx, tx, event.RiderEnrolmentStarted, nil, event.RiderData{At: now})
		}
		if out, err = s.open(ctx, tx, holder{worker: &w}, uuid.Must(uuid.NewV7()), now); err != nil {
			return err
		}
		return s.riderAudit(ctx, tx, event.RiderSignedIn, &w, event.RiderData{Method: "code", At: now})
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	return out, nil
}

// signInEnrolled signs in a rider who has sent the 报到 form, with their
// enrolment token, once the registry has told of the worker it recorded.
// Until then it answers 409 with a retry_after: the registry's event is
// on its way.
func (s *Service) signInEnrolled(ctx context.Context, token string) (any, error) {
	e, err := auth.Verifier{Key: s.key.Public().(ed25519.PublicKey)}.VerifyEnrolment(token)
	if err != nil {
		return nil, &fault.Error{Kind: fault.Unauthenticated, Message: "the enrolment token is not valid (expired?): sign in with a new code"}
	}
	var out Session
	var refused error
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now().UTC().Truncate(time.Microsecond)
		w, found, err := activeWorker(ctx, tx, e.MobileMatch)
		if err != nil {
			return err
		}
		if !found {
			refused = &fault.Error{Kind: fault.Conflict,
				Message: "your 报到 is not recorded yet: send the form first, or try again in a moment",
				Details: map[string]any{"reason": "enrolment_pending", "retry_after": 1}}
			return nil
		}
		if out, err = s.open(ctx, tx, holder{worker: &w}, uuid.Must(uuid.NewV7()), now); err != nil {
			return err
		}
		return s.riderAudit(ctx, tx, event.RiderSignedIn, &w, event.RiderData{Method: "enrolment", At: now})
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	return out, nil
}

// riderAudit adds a rider's audit event to tx; d's worker fields are
// filled from w (nil when no worker is known).
func (s *Service) riderAudit(ctx context.Context, tx pgx.Tx, name event.Name, w *worker, d event.RiderData) error {
	subject := ""
	if w != nil {
		d.WorkerID, d.Street, d.Community = w.ID.String(), w.Street, w.Community
		subject = d.WorkerID
	}
	if _, err := s.outbox.Add(ctx, tx, name, d.Street, subject, d); err != nil {
		return fmt.Errorf("audit %s: %w", name.Type(), err)
	}
	return nil
}

// PruneLimits forgets sends and failures older than the limits look back
// (a day), and codes long expired. Run it now and then (RunPruner).
func (s *Service) PruneLimits(ctx context.Context) error {
	cutoff := s.now().UTC().Add(-limitsKept)
	_, err := s.pool.Exec(ctx, `DELETE FROM otp_sends WHERE sent_at < $1`, cutoff)
	if err == nil {
		_, err = s.pool.Exec(ctx, `DELETE FROM otp_failures WHERE failed_at < $1`, cutoff)
	}
	if err == nil {
		_, err = s.pool.Exec(ctx, `DELETE FROM otp_codes WHERE expires_at < $1`, s.now().UTC().Add(-time.Hour))
	}
	if err != nil {
		return fmt.Errorf("prune code limits: %w", err)
	}
	return nil
}

// RunPruner prunes the code limits' rows every interval until ctx ends;
// a failure is logged and tried again next time.
func RunPruner(ctx context.Context, s *Service, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.PruneLimits(ctx); err != nil && ctx.Err() == nil {
			log.Warn("prune code limits", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
