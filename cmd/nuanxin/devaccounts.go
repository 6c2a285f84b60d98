package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

// staffLogin is a dev staff account and the password to sign in with the
// first time (it must then be changed).
type staffLogin struct {
	Username, Role, Scope, Password string
	Note                            string // e.g. "unless you changed it"
}

// devStaff are the staff accounts `nuanxin dev` keeps, besides the district
// admin the identity service is bootstrapped with.
var devStaff = []struct {
	username, role, street, community, scope string
}{
	{"qishan.admin", "street_admin", "qishan", "", "street qishan 奇山街道"},
	{"tashan.staff", "community_staff", "qishan", "tashan", "community tashan 塔山社区"},
}

// devAccounts makes sure the dev staff accounts exist and gives each a
// fresh password to sign in with (a reset, so it is known on every start;
// it must be changed at the first sign-in). It calls the identity service
// with a dev district token. The identity service learns the streets from
// the registry's events a moment after the seed: until then it refuses
// them (422 on street), and this waits a while. An account that cannot be
// made is listed with why, and the stack runs on.
func devAccounts(ctx context.Context, identity *apiClient, key ed25519.PrivateKey) ([]staffLogin, error) {
	token, err := auth.Issue(key, auth.Principal{Subject: "nuanxin-dev", Role: auth.DistrictAdmin}, time.Hour)
	if err != nil {
		return nil, err
	}
	out := []staffLogin{{Username: devDistrictAdmin, Role: "district_admin", Scope: "whole district", Password: devDistrictPassword,
		Note: "unless you changed it"}}
	for _, s := range devStaff {
		var made struct {
			ID              string `json:"id"`
			InitialPassword string `json:"initial_password"`
		}
		body := map[string]string{"username": s.username, "role": s.role, "street": s.street, "community": s.community}
		deadline := time.Now().Add(10 * time.Second)
		for {
			err = identity.do(ctx, token, http.MethodPost, "/v1/accounts", body, &made)
			var ae *apiError
			if !errors.As(err, &ae) || ae.Status != http.StatusUnprocessableEntity || time.Now().After(deadline) {
				break
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(300 * time.Millisecond):
			}
		}
		if _, exists := isConflict(err); exists {
			if made.ID, err = findAccount(ctx, identity, token, s.username); err == nil {
				err = identity.do(ctx, token, http.MethodPost, "/v1/accounts/"+url.PathEscape(made.ID)+"/password-reset", nil, &made)
			}
		}
		if err != nil {
			// A convenience, not a reason to stop the stack (a data
			// directory marked seeded whose streets are gone): say so.
			out = append(out, staffLogin{Username: s.username, Role: s.role, Scope: s.scope, Password: "-",
				Note: "not made: " + err.Error()})
			continue
		}
		out = append(out, staffLogin{Username: s.username, Role: s.role, Scope: s.scope, Password: made.InitialPassword})
	}
	return out, nil
}

// findAccount is the id of the account named username.
func findAccount(ctx context.Context, identity *apiClient, token, username string) (string, error) {
	var list struct {
		Items []struct {
			ID       string `json:"id"`
			Username string `json:"username"`
		} `json:"items"`
	}
	if err := identity.do(ctx, token, http.MethodGet, "/v1/accounts", nil, &list); err != nil {
		return "", err
	}
	for _, a := range list.Items {
		if a.Username == username {
			return a.ID, nil
		}
	}
	return "", fmt.Errorf("no account %s", username)
}
