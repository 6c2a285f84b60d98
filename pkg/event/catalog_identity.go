package event

import "time"

// The identity service's audit events: every staff sign-in, failure,
// lockout and change to an account. Payloads carry the account's id, role
// and scope, never its username, a password, a hash or a token; a failed
// sign-in of a name no account has carries nothing of what was typed.
var (
	AccountCreated       = Name{"identity", "account", "created"}
	AccountSignedIn      = Name{"identity", "account", "signed_in"}
	AccountSignInFailed  = Name{"identity", "account", "sign_in_failed"}
	AccountLocked        = Name{"identity", "account", "locked"}
	AccountDisabled      = Name{"identity", "account", "disabled"}
	AccountEnabled       = Name{"identity", "account", "enabled"}
	AccountPasswordReset = Name{"identity", "account", "password_reset"}
	AccountRoleChanged   = Name{"identity", "account", "role_changed"}

	// A rider's sign-in with a one-time code: signed in as a worker the
	// registry knows, refused, or (a mobile the registry does not know)
	// sent on to the 报到 form. Payloads never carry the mobile, its
	// match or the code.
	RiderSignedIn         = Name{"identity", "rider", "signed_in"}
	RiderSignInFailed     = Name{"identity", "rider", "sign_in_failed"}
	RiderEnrolmentStarted = Name{"identity", "rider", "enrolment_started"}
)

// AccountData is the data of every identity.account.* event.
type AccountData struct {
	AccountID string `json:"account_id,omitempty"` // absent on a failed sign-in of no account
	Role      string `json:"role,omitempty"`
	Street    string `json:"street,omitempty"`
	Community string `json:"community,omitempty"`
	// Actor is the token subject of the admin who made the change
	// (created, disabled, enabled, password_reset).
	Actor string `json:"actor,omitempty"`
	// Reason says why a sign-in failed: wrong_password, locked, disabled
	// or unknown_account.
	Reason string `json:"reason,omitempty"`
	// FailedAttempts is the count of wrong passwords in a row, on
	// sign_in_failed and locked; LockedUntil when the lock ends, on locked.
	FailedAttempts int        `json:"failed_attempts,omitempty"`
	LockedUntil    *time.Time `json:"locked_until,omitempty"`
	// FromRole, FromStreet and FromCommunity are where the account stood
	// before a role_changed (Role, Street, Community: where it stands now).
	FromRole      string    `json:"from_role,omitempty"`
	FromStreet    string    `json:"from_street,omitempty"`
	FromCommunity string    `json:"from_community,omitempty"`
	At            time.Time `json:"at"`
}

// RiderData is the data of every identity.rider.* event.
type RiderData struct {
	WorkerID  string `json:"worker_id,omitempty"` // signed_in
	Street    string `json:"street,omitempty"`
	Community string `json:"community,omitempty"`
	// Method is how a rider signed in: code, or enrolment (after the 报到
	// form, with the enrolment token).
	Method string `json:"method,omitempty"`
	// Reason says why a sign-in failed: wrong_code, code_burnt (the fifth
	// wrong one), no_code (none sent, expired or burnt), not_recorded (an
	// enrolment token whose 报到 the registry has not yet told of).
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}
