package identity

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Account is a staff member's account as admins see it; never its hash.
type Account struct {
	ID          uuid.UUID  `json:"id"`
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name,omitempty"`
	Role        auth.Role  `json:"role"`
	Street      string     `json:"street,omitempty"`
	Community   string     `json:"community,omitempty"`
	Grid        string     `json:"grid,omitempty"`
	MustChange  bool       `json:"must_change_password"`
	Disabled    bool       `json:"disabled"`
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	hash        string
	failed      int
}

// principal is who the account signs in as: its username is the token's
// subject, as audit records name staff.
func (a Account) principal() auth.Principal {
	return auth.Principal{Subject: a.Username, Role: a.Role, Street: a.Street, Community: a.Community}
}

// AccountInput creates a staff account.
type AccountInput struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	Street      string `json:"street"`
	Community   string `json:"community"`
	Grid        string `json:"grid"`
}

// CreatedAccount is a new account with the password to hand over, shown
// once: it must be changed at the first sign-in.
type CreatedAccount struct {
	Account
	InitialPassword string `json:"initial_password"`
}

var usernameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)

// errAccountNotFound is an account that does not exist or lies outside the
// caller's scope (the two answer alike).
var errAccountNotFound = fault.NotFoundf("account not found")

// manages reports whether p may create and manage an account of role in
// street: a district admin any street admin or community staff member, a
// street admin the community staff of their street. No one creates a
// district admin through the API: the first is made at bootstrap.
func manages(p auth.Principal, role auth.Role, street string) bool {
	switch p.Role {
	case auth.DistrictAdmin:
		return role == auth.StreetAdmin || role == auth.CommunityStaff
	case auth.StreetAdmin:
		return role == auth.CommunityStaff && street == p.Street
	}
	return false
}

// CreateAccount creates a staff account below the caller with a random
// initial password.
func (s *Service) CreateAccount(ctx context.Context, p auth.Principal, in AccountInput) (CreatedAccount, error) {
	if p.Role != auth.DistrictAdmin && p.Role != auth.StreetAdmin {
		return CreatedAccount{}, fault.Forbiddenf("accounts are created by district and street admins")
	}
	var c validate.Collector
	a := Account{ID: uuid.Must(uuid.NewV7()), MustChange: true, CreatedBy: p.Subject}
	a.Username = in.Username
	if c.Check(in.Username != "", "username", validate.CodeRequired, "a username is required") {
		c.Check(usernameRe.MatchString(in.Username), "username", validate.CodeInvalidFormat,
			"3 to 64 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit")
	}
	a.DisplayName = c.Text("display_name", in.DisplayName, 0, 64)
	if err := s.place(ctx, &c, p, &a, in.Role, in.Street, in.Community, in.Grid); err != nil {
		return CreatedAccount{}, err
	}
	if err := c.Err(); err != nil {
		return CreatedAccount{}, err
	}
	password, err := newInitialPassword()
	if err != nil {
		return CreatedAccount{}, err
	}
	if a.hash, err = s.hashPassword(ctx, password); err != nil {
		return CreatedAccount{}, err
	}
	a.CreatedAt = s.now().UTC().Truncate(time.Microsecond)
	a.UpdatedAt = a.CreatedAt
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := insertAccount(ctx, tx, a); err != nil {
			return err
		}
		return s.audit(ctx, tx, event.AccountCreated, &a, event.AccountData{Actor: p.Subject, At: a.CreatedAt})
	})
	if db.IsUniqueViolation(err, "accounts_username_key") {
		return CreatedAccount{}, fault.ConflictReason("account_exists", "an account named %s exists", a.Username)
	}
	if err != nil {
		return CreatedAccount{}, err
	}
	return CreatedAccount{Account: a, InitialPassword: password}, nil
}

// place sets a's role, street, community and grid from what was asked:
// a street admin has a street only, community staff a community of a
// street (the street admin's own by default) and perhaps a grid. The role
// and place must be ones p manages (403) and places the registry created
// (422).
func (s *Service) place(ctx context.Context, c *validate.Collector, p auth.Principal, a *Account, role, street, community, grid string) error {
	a.Role = auth.Role(c.OneOf("role", role, []string{string(auth.StreetAdmin), string(auth.CommunityStaff)}))
	a.Grid = c.Text("grid", grid, 0, 64)
	if c.Has("role") {
		return nil
	}
	switch a.Role {
	case auth.StreetAdmin:
		a.Street, a.Community = c.Code("street", street), ""
		c.Check(community == "", "community", validate.CodeUnknownValue, "a street admin has no community")
		c.Check(grid == "", "grid", validate.CodeUnknownValue, "a street admin has no grid")
	default:
		if street == "" && p.Role == auth.StreetAdmin {
			street = p.Street
		}
		a.Street = c.Code("street", street)
		a.Community = c.Code("community", community)
	}
	if !c.Has("street") && !manages(p, a.Role, a.Street) {
		return fault.Forbiddenf("a %s may not manage a %s of street %s", p.Role, a.Role, a.Street)
	}
	return s.knownPlace(ctx, c, a.Street, a.Community)
}

// knownPlace checks that street (and community, if any) are places the
// registry has created.
func (s *Service) knownPlace(ctx context.Context, c *validate.Collector, street, community string) error {
	if c.Has("street") || c.Has("community") {
		return nil
	}
	known, err := s.places.StreetKnown(ctx, street)
	if err != nil {
		return err
	}
	if !c.Check(known, "street", validate.CodeUnknownValue, "no such street") {
		return nil
	}
	return s.places.Community(ctx, c, "community", street, community)
}

// Bootstrap creates the first district admin when there is no account at
// all, with the password given (to be changed at the first sign-in). It
// reports whether it created one.
func (s *Service) Bootstrap(ctx context.Context, username, password string) (bool, error) {
	var c validate.Collector
	c.Check(usernameRe.MatchString(username), "username", validate.CodeInvalidFormat, "not a username")
	if err := c.Err(); err != nil {
		return false, fmt.Errorf("bootstrap: %w", err)
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return false, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	tag, err := s.pool.Exec(ctx, `INSERT INTO accounts (id, username, role, password_hash, must_change, created_by, created_at, updated_at)
		SELECT $1, $2, 'district_admin', $3, true, 'bootstrap', $4, $4 WHERE NOT EXISTS (SELECT 1 FROM accounts)`,
		uuid.Must(uuid.NewV7()), username, hash, now)
	if err != nil {
		return false, fmt.Errorf("bootstrap: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// AccountUpdate disables or re-enables an account, renames it for show,
// or changes its role or place (role, street, community, grid: given
// together, as at creation).
type AccountUpdate struct {
	Disabled    *bool   `json:"disabled"`
	DisplayName *string `json:"display_name"`
	Role        *string `json:"role"`
	Street      *string `json:"street"`
	Community   *string `json:"community"`
	Grid        *string `json:"grid"`
}

// UpdateAccount applies an admin's change to an account they manage.
// Disabling revokes every refresh token of the account: its access ends
// within one access token's lifetime. A new role or place must be one the
// admin manages too; it is an audit event, and the account's tokens carry
// it from their next refresh.
func (s *Service) UpdateAccount(ctx context.Context, p auth.Principal, id uuid.UUID, in AccountUpdate) (Account, error) {
	var c validate.Collector
	name := ""
	if in.DisplayName != nil {
		name = c.Text("display_name", *in.DisplayName, 0, 64)
	}
	moves := in.Role != nil || in.Street != nil || in.Community != nil || in.Grid != nil
	c.Check(!moves || in.Role != nil, "role", validate.CodeRequired, "a change of place names the role too, as at creation")
	if err := c.Err(); err != nil {
		return Account{}, err
	}
	var a Account
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if a, err = s.managedAccount(ctx, tx, p, id); err != nil {
			return err
		}
		if in.DisplayName != nil {
			a.DisplayName = name
		}
		was, before := a.Disabled, a
		if in.Disabled != nil {
			a.Disabled = *in.Disabled
		}
		if moves {
			if err := s.place(ctx, &c, p, &a, *in.Role, deref(in.Street), deref(in.Community), deref(in.Grid)); err != nil {
				return err
			}
			if err := c.Err(); err != nil {
				return err
			}
		}
		a.UpdatedAt = s.now().UTC().Truncate(time.Microsecond)
		if _, err := tx.Exec(ctx, `UPDATE accounts SET display_name = $2, disabled = $3, role = $4, street = $5, community = $6,
			grid = $7, updated_at = $8 WHERE id = $1`,
			a.ID, a.DisplayName, a.Disabled, a.Role, a.Street, a.Community, a.Grid, a.UpdatedAt); err != nil {
			return fmt.Errorf("update account: %w", err)
		}
		if a.Role != before.Role || a.Street != before.Street || a.Community != before.Community {
			if err := s.audit(ctx, tx, event.AccountRoleChanged, &a, event.AccountData{Actor: p.Subject, FromRole: string(before.Role),
				FromStreet: before.Street, FromCommunity: before.Community, At: a.UpdatedAt}); err != nil {
				return err
			}
		}
		switch {
		case a.Disabled && !was:
			if err := s.audit(ctx, tx, event.AccountDisabled, &a, event.AccountData{Actor: p.Subject, At: a.UpdatedAt}); err != nil {
				return err
			}
		case !a.Disabled && was:
			return s.audit(ctx, tx, event.AccountEnabled, &a, event.AccountData{Actor: p.Subject, At: a.UpdatedAt})
		}
		if a.Disabled {
			return revokeAccount(ctx, tx, a.ID, a.UpdatedAt)
		}
		return nil
	})
	return a, err
}

// hashPassword hashes in one of the hash slots (hashSlot).
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return hashPassword(password)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ResetPassword gives an account a new random password, to be changed at
// its next sign-in, unlocks it, and signs it out everywhere.
func (s *Service) ResetPassword(ctx context.Context, p auth.Principal, id uuid.UUID) (CreatedAccount, error) {
	password, err := newInitialPassword()
	if err != nil {
		return CreatedAccount{}, err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return CreatedAccount{}, err
	}
	var a Account
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if a, err = s.managedAccount(ctx, tx, p, id); err != nil {
			return err
		}
		a.MustChange, a.LockedUntil, a.UpdatedAt = true, nil, s.now().UTC().Truncate(time.Microsecond)
		if _, err := tx.Exec(ctx, `UPDATE accounts SET password_hash = $2, must_change = true, failed_attempts = 0,
			locked_until = NULL, updated_at = $3 WHERE id = $1`, a.ID, hash, a.UpdatedAt); err != nil {
			return fmt.Errorf("reset password: %w", err)
		}
		if err := s.audit(ctx, tx, event.AccountPasswordReset, &a, event.AccountData{Actor: p.Subject, At: a.UpdatedAt}); err != nil {
			return err
		}
		return revokeAccount(ctx, tx, a.ID, a.UpdatedAt)
	})
	if err != nil {
		return CreatedAccount{}, err
	}
	return CreatedAccount{Account: a, InitialPassword: password}, nil
}

// managedAccount reads and locks an account p manages; any other answers
// as one that does not exist.
func (s *Service) managedAccount(ctx context.Context, tx pgx.Tx, p auth.Principal, id uuid.UUID) (Account, error) {
	if p.Role != auth.DistrictAdmin && p.Role != auth.StreetAdmin {
		return Account{}, fault.Forbiddenf("accounts are managed by district and street admins")
	}
	a, found, err := accountBy(ctx, tx, "id", id, true)
	if err != nil {
		return Account{}, err
	}
	if !found || !manages(p, a.Role, a.Street) {
		return Account{}, errAccountNotFound
	}
	return a, nil
}

// ListAccounts lists the accounts the caller manages, by username.
func (s *Service) ListAccounts(ctx context.Context, p auth.Principal) ([]Account, error) {
	if p.Role != auth.DistrictAdmin && p.Role != auth.StreetAdmin {
		return nil, fault.Forbiddenf("accounts are managed by district and street admins")
	}
	all, err := listAccounts(ctx, s.pool, p.Street)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, a := range all {
		if manages(p, a.Role, a.Street) {
			out = append(out, a)
		}
	}
	return out, nil
}
