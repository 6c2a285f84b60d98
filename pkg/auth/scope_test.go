package auth_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

func TestPrincipal_Manages(t *testing.T) {
	district := principals[auth.DistrictAdmin]
	street := principals[auth.StreetAdmin]   // s01
	staff := principals[auth.CommunityStaff] // s01/c01
	worker := principals[auth.Worker]        // s01
	for _, tc := range []struct {
		name              string
		p                 auth.Principal
		street, community string
		want              bool
	}{
		{"district: any street", district, "s02", "", true},
		{"district: any community", district, "s02", "c09", true},
		{"street admin: own street", street, "s01", "", true},
		{"street admin: a community of it", street, "s01", "c07", true},
		{"street admin: another street", street, "s02", "", false},
		{"street admin: a community of another street", street, "s02", "c01", false},
		{"staff: own community", staff, "s01", "c01", true},
		{"staff: another community", staff, "s01", "c02", false},
		{"staff: the whole street", staff, "s01", "", false},
		{"staff: same community code, other street", staff, "s02", "c01", false},
		{"worker: own street", worker, "s01", "", false},
		{"worker: a community", worker, "s01", "c01", false},
	} {
		if got := tc.p.Manages(tc.street, tc.community); got != tc.want {
			t.Errorf("%s: Manages(%q, %q) = %v, want %v", tc.name, tc.street, tc.community, got, tc.want)
		}
	}
}

func TestPrincipal_Place(t *testing.T) {
	district := principals[auth.DistrictAdmin]
	street := principals[auth.StreetAdmin]   // s01
	staff := principals[auth.CommunityStaff] // s01/c01
	type fe = validate.FieldError
	badStreet := fe{Field: "street", Code: validate.CodeInvalidFormat, Message: "must be a street code: lower-case letters, digits, - or _, at most 64"}
	badCommunity := fe{Field: "community", Code: validate.CodeInvalidFormat, Message: "must be a community code: lower-case letters, digits, - or _, at most 64"}
	notOwnStreet := fe{Field: "street", Code: validate.CodeUnknownValue, Message: "must be your own street"}
	notOwnCommunity := fe{Field: "community", Code: validate.CodeUnknownValue, Message: "must be your own community"}
	for _, tc := range []struct {
		name                      string
		p                         auth.Principal
		street, community         string
		wantStreet, wantCommunity string
		wantErrs                  []fe
	}{
		{"district names the street", district, " s02 ", "", "s02", "", nil},
		{"district names street and community", district, "s02", "c03", "s02", "c03", nil},
		{"district must name a street", district, "", "c03", "", "c03",
			[]fe{{Field: "street", Code: validate.CodeRequired, Message: "is required for a district admin"}}},
		{"district: not codes", district, "S 02", "C!", "S 02", "C!", []fe{badStreet, badCommunity}},
		{"street admin: own street by default", street, "", "", "s01", "", nil},
		{"street admin: own street named", street, "s01", "c05", "s01", "c05", nil},
		{"street admin: another street", street, "s02", "", "s01", "", []fe{notOwnStreet}},
		{"street admin: community not a code", street, "", "C 5", "s01", "C 5", []fe{badCommunity}},
		{"staff: own community by default", staff, "", "", "s01", "c01", nil},
		{"staff: own named", staff, "s01", "c01", "s01", "c01", nil},
		{"staff: elsewhere", staff, "s02", "c02", "s01", "c01", []fe{notOwnStreet, notOwnCommunity}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c validate.Collector
			gotStreet, gotCommunity := tc.p.Place(&c, tc.street, tc.community)
			if gotStreet != tc.wantStreet || gotCommunity != tc.wantCommunity {
				t.Errorf("placed in %q/%q, want %q/%q", gotStreet, gotCommunity, tc.wantStreet, tc.wantCommunity)
			}
			var errs validate.Errors
			if err := c.Err(); err != nil && !errors.As(err, &errs) {
				t.Fatalf("error %v is not validate.Errors", err)
			}
			if !reflect.DeepEqual([]fe(errs), tc.wantErrs) {
				t.Errorf("errors %+v, want %+v", errs, tc.wantErrs)
			}
		})
	}
}
