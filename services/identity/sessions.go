package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Session is what a sign-in or a refresh hands out: tokens, and whom they
// are for — a staff member's account or a worker.
type Session struct {
	AccessToken      string         `json:"access_token"`
	TokenType        string         `json:"token_type"`
	ExpiresIn        int            `json:"expires_in"`
	RefreshToken     string         `json:"refresh_token"`
	RefreshExpiresIn int            `json:"refresh_expires_in"`
	Account          *Account       `json:"account,omitempty"`
	Worker           *SessionWorker `json:"worker,omitempty"`
}

// SessionWorker is the worker a rider signed in as.
type SessionWorker struct {
	WorkerID  string `json:"worker_id"`
	Street    string `json:"street"`
	Community string `json:"community"`
}

// holder is whom a session is for: a staff account or a worker (one of
// the two is set).
type holder struct {
	account *Account
	worker  *worker
}

func (h holder) principal() auth.Principal {
	if h.account != nil {
		return h.account.principal()
	}
	id := h.worker.ID.String()
	return auth.Principal{Subject: "worker-" + id, Role: auth.Worker, WorkerID: id, Street: h.worker.Street}
}

// PasswordSignIn is a staff member's sign-in. NewPassword is required
// when the account's password must be changed (its first sign-in, or after
// a reset): the sign-in changes it and goes on.
type PasswordSignIn struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	NewPassword string `json:"new_password"`
}

// SignInInput is any sign-in, by what it carries: a staff member's
// username and password (with new_password when it must change), a
// rider's mobile and the code sent to it, or a rider's enrolment token
// once they have sent the 报到 form.
type SignInInput struct {
	Username       string `json:"username"`
	Password       string `json:"password"`
	NewPassword    string `json:"new_password"`
	Mobile         string `json:"mobile"`
	Code           string `json:"code"`
	EnrolmentToken string `json:"enrolment_token"`
}

// SignInAny signs in whoever in is: it answers a Session, or an
// Enrolment for a rider whose mobile the registry does not know. ip is the
// caller's address, for the limits on codes.
func (s *Service) SignInAny(ctx context.Context, in SignInInput, ip string) (any, error) {
	staff := in.Username != "" || in.Password != "" || in.NewPassword != ""
	rider := in.Mobile != "" || in.Code != ""
	enrolled := in.EnrolmentToken != ""
	method := "password"
	var out any
	var err error
	switch {
	case staff && (rider || enrolled) || rider && enrolled:
		var c validate.Collector
		for _, f := range []struct {
			name string
			set  bool
		}{{"username", in.Username != ""}, {"mobile", in.Mobile != ""}, {"enrolment_token", enrolled}} {
			c.Check(!f.set, f.name, "one_way", "sign in with a username and password, a mobile and code, or an enrolment token: one of them")
		}
		return nil, c.Err()
	case enrolled:
		method = "enrolment"
		c := validate.Collector{}
		c.Check(len(in.EnrolmentToken) <= auth.MaxTokenBytes, "enrolment_token", validate.CodeTooLong, "not an enrolment token")
		if err := c.Err(); err != nil {
			return nil, err
		}
		out, err = s.signInEnrolled(ctx, in.EnrolmentToken)
	case rider:
		method = "code"
		out, err = s.signInWithCode(ctx, in.Mobile, in.Code, ip)
	default:
		out, err = s.SignIn(ctx, PasswordSignIn{Username: in.Username, Password: in.Password, NewPassword: in.NewPassword})
	}
	outcome := "ok"
	if _, ok := out.(Enrolment); ok {
		outcome = "enrolment"
	}
	if err != nil {
		outcome = "refused"
		if fault.KindOf(err) == fault.Internal {
			outcome = "error"
		}
	}
	s.metrics.signIns.WithLabelValues(method, outcome).Inc()
	return out, err
}

// errBadCredentials answers a wrong name and a wrong password alike, so a
// sign-in form tells no one which names exist.
var errBadCredentials = &fault.Error{Kind: fault.Unauthenticated, Message: "wrong username or password"}

// SignIn checks a staff member's password and opens a session. Wrong
// passwords count; after lockAfter in a row the account is locked, longer
// with each further failure, and a locked account is refused (429 with
// Retry-After) before its password is even checked.
func (s *Service) SignIn(ctx context.Context, in PasswordSignIn) (Session, error) {
	var c validate.Collector
	c.Check(in.Username != "", "username", validate.CodeRequired, "a username is required")
	c.Check(in.Password != "", "password", validate.CodeRequired, "a password is required")
	c.Check(len(in.Username) <= 64, "username", validate.CodeTooLong, "at most 64 characters")
	c.Check(len(in.Password) <= maxPasswordBytes, "password", validate.CodeTooLong, fmt.Sprintf("at most %d bytes", maxPasswordBytes))
	if err := c.Err(); err != nil {
		return Session{}, err
	}
	release, err := s.hashSlot(ctx)
	if err != nil {
		return Session{}, err
	}
	defer release()
	var out Session
	var refused error // committed, then answered: a failure counted is a failure kept
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		a, found, err := accountBy(ctx, tx, "username", in.Username, true)
		if err != nil {
			return err
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		if !found {
			_, _ = checkPassword(dummyHash, in.Password)
			refused = errBadCredentials
			return s.audit(ctx, tx, event.AccountSignInFailed, nil, event.AccountData{Reason: "unknown_account", At: now})
		}
		if a.LockedUntil != nil && a.LockedUntil.After(now) {
			refused = fault.TooManyf(a.LockedUntil.Sub(now), "too many wrong passwords: the account is locked for now")
			return s.audit(ctx, tx, event.AccountSignInFailed, &a, event.AccountData{Reason: "locked", FailedAttempts: a.failed, At: now})
		}
		ok, err := checkPassword(a.hash, in.Password)
		if err != nil {
			return fmt.Errorf("account %s: %w", a.Username, err)
		}
		if !ok {
			a.failed++
			var until *time.Time
			if a.failed >= lockAfter {
				t := now.Add(lockFor(a.failed))
				until = &t
			}
			if _, err := tx.Exec(ctx, `UPDATE accounts SET failed_attempts = $2, locked_until = $3 WHERE id = $1`, a.ID, a.failed, until); err != nil {
				return fmt.Errorf("sign in: %w", err)
			}
			refused = errBadCredentials
			if err := s.audit(ctx, tx, event.AccountSignInFailed, &a, event.AccountData{Reason: "wrong_password", FailedAttempts: a.failed, At: now}); err != nil {
				return err
			}
			if until != nil {
				return s.audit(ctx, tx, event.AccountLocked, &a, event.AccountData{FailedAttempts: a.failed, LockedUntil: until, At: now})
			}
			return nil
		}
		if a.Disabled {
			refused = fault.Forbiddenf("this account is disabled; ask the admin who manages it")
			return s.audit(ctx, tx, event.AccountSignInFailed, &a, event.AccountData{Reason: "disabled", At: now})
		}
		if a.MustChange {
			if in.NewPassword == "" {
				refused = (&fault.Error{Kind: fault.Forbidden, Message: "the password must be changed: sign in again with new_password"}).
					With("password_change_required", true)
				return nil
			}
			var c validate.Collector
			checkNewPassword(&c, "new_password", a.Username, in.NewPassword)
			c.Check(in.NewPassword != in.Password, "new_password", "same_password", "choose a password other than the one given to you")
			if err := c.Err(); err != nil {
				refused = err
				return nil
			}
			if a.hash, err = hashPassword(in.NewPassword); err != nil {
				return err
			}
			a.MustChange = false
		}
		a.failed, a.LockedUntil, a.UpdatedAt = 0, nil, now
		if _, err := tx.Exec(ctx, `UPDATE accounts SET failed_attempts = 0, locked_until = NULL, password_hash = $2,
			must_change = $3, updated_at = $4 WHERE id = $1`, a.ID, a.hash, a.MustChange, now); err != nil {
			return fmt.Errorf("sign in: %w", err)
		}
		if out, err = s.open(ctx, tx, holder{account: &a}, uuid.Must(uuid.NewV7()), now); err != nil {
			return err
		}
		return s.audit(ctx, tx, event.AccountSignedIn, &a, event.AccountData{At: now})
	})
	if err != nil {
		return Session{}, err
	}
	if refused != nil {
		return Session{}, refused
	}
	return out, nil
}

// lockFor is how long an account is locked after its failed-th wrong
// password in a row.
func lockFor(failed int) time.Duration {
	d := lockBase
	for i := lockAfter; i < failed && d < lockMax; i++ {
		d *= 2
	}
	return min(d, lockMax)
}

// open issues an access token and a refresh token of family for h.
func (s *Service) open(ctx context.Context, tx pgx.Tx, h holder, family uuid.UUID, now time.Time) (Session, error) {
	access, err := auth.Issue(s.key, h.principal(), s.accessTTL())
	if err != nil {
		return Session{}, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Session{}, fmt.Errorf("refresh token: %w", err)
	}
	refresh := base64.RawURLEncoding.EncodeToString(raw)
	out := Session{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(s.accessTTL().Seconds()), RefreshToken: refresh,
		RefreshExpiresIn: int(RefreshTTL.Seconds()), Account: h.account}
	var accountID, workerID *uuid.UUID
	if h.account != nil {
		accountID = &h.account.ID
	} else {
		workerID = &h.worker.ID
		out.Worker = &SessionWorker{WorkerID: h.worker.ID.String(), Street: h.worker.Street, Community: h.worker.Community}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO refresh_tokens (token_hash, family, account_id, worker_id, issued_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, tokenHash(refresh), family, accountID, workerID, now, now.Add(RefreshTTL)); err != nil {
		return Session{}, fmt.Errorf("store refresh token: %w", err)
	}
	return out, nil
}

// tokenHash is what is kept of a refresh token: 256 random bits need no
// salt or slow hash.
func tokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// RefreshInput carries a refresh token.
type RefreshInput struct {
	RefreshToken string `json:"refresh_token"`
}

// errSignedOut answers a refresh token that is unknown, expired, revoked
// or of a disabled account: sign in again.
var errSignedOut = &fault.Error{Kind: fault.Unauthenticated, Message: "signed out: sign in again"}

// Refresh swaps a refresh token for a new access token and a new refresh
// token of the same family, with the holder's role and scope as they are
// now. A token already used is the sign of a theft (the thief or the owner
// used it first): the whole family is revoked, so both are signed out. A
// disabled account, or a worker who has left or was rejected, is signed
// out: their access ends with their last access token.
func (s *Service) Refresh(ctx context.Context, in RefreshInput) (Session, error) {
	if err := checkRefreshInput(in); err != nil {
		return Session{}, err
	}
	var out Session
	var refused error
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var family uuid.UUID
		var accountID, workerID *uuid.UUID
		var expires time.Time
		var used, revoked *time.Time
		err := tx.QueryRow(ctx, `SELECT family, account_id, worker_id, expires_at, used_at, revoked_at FROM refresh_tokens
			WHERE token_hash = $1 FOR UPDATE`, tokenHash(in.RefreshToken)).Scan(&family, &accountID, &workerID, &expires, &used, &revoked)
		if errors.Is(err, pgx.ErrNoRows) {
			refused = errSignedOut
			return nil
		}
		if err != nil {
			return fmt.Errorf("refresh: %w", err)
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		switch {
		case revoked != nil || !expires.After(now):
			refused = errSignedOut
			return nil
		case used != nil:
			refused = &fault.Error{Kind: fault.Unauthenticated, Message: "this refresh token was used before: every session of it is signed out"}
			return revokeFamily(ctx, tx, family, now)
		}
		h, ok, err := currentHolder(ctx, tx, accountID, workerID)
		if err != nil {
			return err
		}
		if !ok {
			refused = errSignedOut
			return revokeFamily(ctx, tx, family, now)
		}
		if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1`, tokenHash(in.RefreshToken), now); err != nil {
			return fmt.Errorf("refresh: %w", err)
		}
		out, err = s.open(ctx, tx, h, family, now)
		return err
	})
	if err != nil {
		return Session{}, err
	}
	if refused != nil {
		return Session{}, refused
	}
	return out, nil
}

// currentHolder is a refresh token's holder as they are now, and whether
// they may still sign in: an account that exists and is not disabled, a
// worker who is active.
func currentHolder(ctx context.Context, tx pgx.Tx, accountID, workerID *uuid.UUID) (holder, bool, error) {
	if accountID != nil {
		a, found, err := accountBy(ctx, tx, "id", *accountID, false)
		return holder{account: &a}, found && !a.Disabled, err
	}
	w, found, err := workerByID(ctx, tx, *workerID)
	return holder{worker: &w}, found, err
}

// SignOut revokes the refresh token's family: that sign-in's every
// session. An unknown token is already signed out.
func (s *Service) SignOut(ctx context.Context, in RefreshInput) error {
	if err := checkRefreshInput(in); err != nil {
		return err
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var family uuid.UUID
		err := tx.QueryRow(ctx, `SELECT family FROM refresh_tokens WHERE token_hash = $1`, tokenHash(in.RefreshToken)).Scan(&family)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("sign out: %w", err)
		}
		return revokeFamily(ctx, tx, family, s.now().UTC())
	})
}

func checkRefreshInput(in RefreshInput) error {
	var c validate.Collector
	if c.Check(in.RefreshToken != "", "refresh_token", validate.CodeRequired, "a refresh token is required") {
		c.Check(len(in.RefreshToken) == 43, "refresh_token", validate.CodeInvalidFormat, "not a refresh token")
	}
	return c.Err()
}

func revokeFamily(ctx context.Context, tx pgx.Tx, family uuid.UUID, now time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL`, family, now); err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	return nil
}

func revokeAccount(ctx context.Context, tx pgx.Tx, account uuid.UUID, now time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL`, account, now); err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	return nil
}

// Me is the signed-in caller as their token says, with their account
// when they are staff.
type Me struct {
	auth.Principal
	Account *Account `json:"account,omitempty"`
}

// WhoAmI answers who the caller is.
func (s *Service) WhoAmI(ctx context.Context, p auth.Principal) (Me, error) {
	me := Me{Principal: p}
	if !p.IsStaff() {
		return me, nil
	}
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		a, found, err := accountBy(ctx, tx, "username", p.Subject, false)
		if found {
			me.Account = &a
		}
		return err
	})
	return me, err
}
