package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/golang-jwt/jwt/v5"
)

// claimKind is the JSON type a claim must have.
type claimKind int

const (
	unknownClaim claimKind = iota // not ours: ignored (RFC 7519 §4)
	stringClaim
	dateClaim     // a NumericDate: a JSON number of seconds since 1970
	audienceClaim // a string or an array of strings (RFC 7519 §4.1.3)
)

func kindOf(name string) claimKind {
	switch name {
	case "iss", "sub", "jti", "role", "street", "community", "worker_id", "purpose", "mobile_match":
		return stringClaim
	case "exp", "nbf", "iat":
		return dateClaim
	case "aud":
		return audienceClaim
	}
	return unknownClaim
}

// maxNumericDate is the end of the year 9999: a later date (1e20) would
// wrap around when made a time.Time.
const maxNumericDate = 253402300799

// UnmarshalJSON reads a claims set strictly, where encoding/json and
// golang-jwt are lenient in ways a forger can use: NumericDate takes a
// string ("exp":"9999999999" is good until 2286), a null reads as an absent
// claim, a member name matches a field in any case ("EXP" for exp, even
// "ſub" for sub), and of a repeated name the last copy wins. Here every
// claim we read must have its JSON type, names match exactly, a name may
// appear once, and claims we do not know are ignored.
func (c *claims) UnmarshalJSON(b []byte) error {
	members, err := objectMembers(b)
	if err != nil {
		return err
	}
	var out claims
	for name, raw := range members {
		switch kindOf(name) {
		case stringClaim:
			var s string
			if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
				return fmt.Errorf("claim %s must be a JSON string", name)
			}
			*out.stringField(name) = s
		case dateClaim:
			var d jwt.NumericDate
			if (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) || d.UnmarshalJSON(raw) != nil {
				return fmt.Errorf("claim %s must be a JSON number of seconds since 1970", name)
			}
			if s := d.Unix(); s < 0 || s > maxNumericDate {
				return fmt.Errorf("claim %s must be a time between 1970 and the year 9999", name)
			}
			*out.dateField(name) = &d
		case audienceClaim:
			aud, ok := audience(raw)
			if !ok {
				return errors.New("claim aud must be a JSON string or an array of strings")
			}
			out.Audience = aud
		}
	}
	*c = out
	return nil
}

// audience reads aud: a string, or an array of strings (not of nulls).
func audience(raw json.RawMessage) (jwt.ClaimStrings, bool) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil, false
	}
	switch v := v.(type) {
	case string:
		return jwt.ClaimStrings{v}, true
	case []any:
		out := make(jwt.ClaimStrings, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

func (c *claims) stringField(name string) *string {
	switch name {
	case "iss":
		return &c.Issuer
	case "sub":
		return &c.Subject
	case "jti":
		return &c.ID
	case "role":
		return (*string)(&c.Role)
	case "street":
		return &c.Street
	case "community":
		return &c.Community
	case "purpose":
		return &c.Purpose
	case "mobile_match":
		return &c.MobileMatch
	}
	return &c.WorkerID
}

func (c *claims) dateField(name string) **jwt.NumericDate {
	switch name {
	case "exp":
		return &c.ExpiresAt
	case "nbf":
		return &c.NotBefore
	}
	return &c.IssuedAt
}

// objectMembers splits a JSON object into its members, refusing anything
// else, a name that appears twice, and data after the object.
func objectMembers(b []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("the claims set must be a JSON object")
	}
	members := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("claims set: %w", err)
		}
		name, _ := tok.(string) // an object's keys are strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("claim %s: %w", name, err)
		}
		if _, twice := members[name]; twice {
			return nil, fmt.Errorf("claim %s appears twice", name)
		}
		members[name] = bytes.TrimSpace(raw)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, fmt.Errorf("claims set: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the claims set")
	}
	return members, nil
}
