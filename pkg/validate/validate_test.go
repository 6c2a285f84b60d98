package validate

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

func TestCollector_errIsNilWhenEverythingIsValid(t *testing.T) {
	var c Collector
	id := c.ResidentID("id_number", "11010519491231002x")
	mobile := c.Mobile("mobile", "+86 138 1234 5678")
	name := c.Text("name", " 张三 ", 1, 50)
	code := c.CreditCode("credit_code", "91350100M000100Y43")
	located := c.LatLng("lat", "lng", 39.9042, 116.4074)
	occupation := c.OneOf("occupation", "rider", []string{"rider", "courier"})
	checked := c.Check(true, "body", CodeRequired, "body is required")

	if err := c.Err(); err != nil {
		t.Fatalf("Err() = %v, want nil", err)
	}
	got := []string{id, mobile, name, code, occupation}
	want := []string{"11010519491231002X", "13812345678", "张三", "91350100M000100Y43", "rider"}
	if !slices.Equal(got, want) {
		t.Errorf("normalised values = %q, want %q", got, want)
	}
	if !located || !checked {
		t.Errorf("LatLng = %v, Check = %v, want true, true", located, checked)
	}
}

func TestCollector_zeroValueErrIsUntypedNil(t *testing.T) {
	var c Collector
	// A typed nil inside the error interface would make "err != nil" true.
	if err := c.Err(); err != nil {
		t.Fatalf("Err() on a fresh Collector = %#v, want nil", err)
	}
}

func TestCollector_accumulatesErrorsInOrder(t *testing.T) {
	var c Collector
	id := c.ResidentID("id_number", "11010519491231003X")
	mobile := c.Mobile("mobile", "12812345678")
	name := c.Text("name", "", 1, 50)
	code := c.CreditCode("credit_code", "91350100M000100Y44")
	located := c.LatLng("lat", "lng", 0, 0)
	occupation := c.OneOf("occupation", "pilot", []string{"rider", "courier"})
	checked := c.Check(false, "body", CodeRequired, "body is required")
	c.Add("custom", "conflict", "this mobile number is already registered")

	for field, v := range map[string]string{"id": id, "mobile": mobile, "name": name, "code": code, "occupation": occupation} {
		if v != "" {
			t.Errorf("%s = %q, want empty for an invalid field", field, v)
		}
	}
	if located || checked {
		t.Errorf("LatLng = %v, Check = %v, want false, false", located, checked)
	}

	err := c.Err()
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Err() = %v (%T), want Errors", err, err)
	}
	var got [][2]string
	for _, fe := range errs {
		if fe.Message == "" {
			t.Errorf("field %s has an empty message", fe.Field)
		}
		got = append(got, [2]string{fe.Field, fe.Code})
	}
	want := [][2]string{
		{"id_number", CodeInvalidCheckCharacter},
		{"mobile", CodeInvalidFormat},
		{"name", CodeRequired},
		{"credit_code", CodeInvalidCheckCharacter},
		{"lat", CodeRequired},
		{"lng", CodeRequired},
		{"occupation", CodeUnknownValue},
		{"body", CodeRequired},
		{"custom", "conflict"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("errors =\n%v\nwant\n%v", got, want)
	}
}

func TestCollector_latLngReportsEachBadCoordinateOnItsOwnField(t *testing.T) {
	var c Collector
	c.LatLng("pickup_lat", "pickup_lng", 91, -181)
	var errs Errors
	if !errors.As(c.Err(), &errs) || len(errs) != 2 {
		t.Fatalf("Err() = %v, want two errors", c.Err())
	}
	if errs[0].Field != "pickup_lat" || errs[1].Field != "pickup_lng" {
		t.Errorf("fields = %q, %q, want pickup_lat, pickup_lng", errs[0].Field, errs[1].Field)
	}
}

func TestCollector_errIsNotChangedByLaterAdds(t *testing.T) {
	var c Collector
	c.Add("a", CodeRequired, "a is required")
	err := c.Err()
	c.Add("b", CodeRequired, "b is required")
	if got := len(err.(Errors)); got != 1 {
		t.Errorf("earlier Err() has %d errors after a later Add, want 1", got)
	}
}

func TestErrors_errorListsFieldsAndMessages(t *testing.T) {
	tests := []struct {
		name string
		errs Errors
		want string
	}{
		{"none", nil, "invalid fields: none"},
		{"one", Errors{{"mobile", CodeRequired, "mobile number is required"}},
			"invalid fields: mobile: mobile number is required"},
		{"two", Errors{
			{"id_number", CodeInvalidLength, "resident ID number must be 18 characters, got 17"},
			{"mobile", CodeRequired, "mobile number is required"},
		}, "invalid fields: id_number: resident ID number must be 18 characters, got 17; mobile: mobile number is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.errs.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrors_marshalToFieldCodeMessageObjects(t *testing.T) {
	errs := Errors{{Field: "mobile", Code: CodeRequired, Message: "mobile number is required"}}
	got, err := json.Marshal(errs)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"field":"mobile","code":"required","message":"mobile number is required"}]`
	if string(got) != want {
		t.Errorf("json = %s, want %s", got, want)
	}
}
