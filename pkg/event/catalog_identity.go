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
	At             time.Time  `json:"at"`
}
