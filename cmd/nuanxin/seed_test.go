package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// registryVocabularies reads the vocabularies (EnterpriseKinds, Occupations,
// ...) from the registry's source, or from the event catalog where the
// registry takes them from it, so the demo data cannot drift from them and
// this test does not depend on the registry compiling.
func registryVocabularies(t *testing.T) map[string][]string {
	t.Helper()
	root, err := findRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	vocab := map[string][]string{}
	for _, path := range []string{
		filepath.Join(root, "services", "registry", "registry.go"),
		filepath.Join(root, "pkg", "event", "catalog_registry.go"),
	} {
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			spec, ok := n.(*ast.ValueSpec)
			if !ok || len(spec.Names) != 1 || len(spec.Values) != 1 {
				return true
			}
			lit, ok := spec.Values[0].(*ast.CompositeLit)
			if !ok || len(vocab[spec.Names[0].Name]) > 0 {
				return true
			}
			for _, elt := range lit.Elts {
				if s, ok := elt.(*ast.BasicLit); ok && s.Kind == token.STRING {
					v, _ := strconv.Unquote(s.Value)
					vocab[spec.Names[0].Name] = append(vocab[spec.Names[0].Name], v)
				}
			}
			return true
		})
	}
	for _, name := range []string{"EnterpriseKinds", "Occupations", "PoliticalStatuses", "StationKinds", "Facilities"} {
		if len(vocab[name]) == 0 {
			t.Fatalf("vocabulary %s found neither in services/registry/registry.go nor in pkg/event/catalog_registry.go", name)
		}
	}
	return vocab
}

func TestDemoDataIsValid(t *testing.T) {
	d := demo()
	vocab := registryVocabularies(t)

	streetOf := map[string]string{} // community -> street
	for _, st := range d.Streets {
		if !event.ValidToken(st.Code) {
			t.Errorf("street code %q is not a token", st.Code)
		}
		for _, c := range st.Communities {
			if !event.ValidToken(c.Code) {
				t.Errorf("community code %q is not a token", c.Code)
			}
			if _, dup := streetOf[c.Code]; dup {
				t.Errorf("community %s appears twice", c.Code)
			}
			streetOf[c.Code] = st.Code
		}
	}
	seen := map[string]bool{} // every credit code, mobile and ID number is unique
	unique := func(what, v string) {
		if seen[v] {
			t.Errorf("%s %s appears twice", what, v)
		}
		seen[v] = true
	}

	enterpriseStreet := map[string]string{}
	for _, e := range d.Enterprises {
		if _, err := validate.CreditCode(e.CreditCode); err != nil {
			t.Errorf("enterprise %s: credit code %s: %v", e.Key, e.CreditCode, err)
		}
		if _, err := validate.Mobile(e.Contact.Mobile); err != nil {
			t.Errorf("enterprise %s: contact mobile %s: %v", e.Key, e.Contact.Mobile, err)
		}
		unique("credit code", e.CreditCode)
		unique("mobile", e.Contact.Mobile)
		if !slices.Contains(vocab["EnterpriseKinds"], e.Kind) {
			t.Errorf("enterprise %s: kind %q not in the registry's EnterpriseKinds", e.Key, e.Kind)
		}
		if streetOf[e.Community] == "" {
			t.Errorf("enterprise %s: unknown community %q", e.Key, e.Community)
		}
		enterpriseStreet[e.Key] = streetOf[e.Community]
	}

	stations := map[string]bool{}
	for _, s := range d.Stations {
		stations[s.Key] = true
		if !slices.Contains(vocab["StationKinds"], s.Kind) {
			t.Errorf("station %s: kind %q not in the registry's StationKinds", s.Key, s.Kind)
		}
		for _, f := range s.Facilities {
			if !slices.Contains(vocab["Facilities"], f) {
				t.Errorf("station %s: facility %q not in the registry's Facilities", s.Key, f)
			}
		}
		if streetOf[s.Community] == "" {
			t.Errorf("station %s: unknown community %q", s.Key, s.Community)
		}
		// Zhifu district, Yantai.
		if s.Lat < 37.53 || s.Lat > 37.55 || s.Lng < 121.38 || s.Lng > 121.43 {
			t.Errorf("station %s at (%v, %v) is outside Zhifu district", s.Key, s.Lat, s.Lng)
		}
		if len(s.OpeningHours) == 0 {
			t.Errorf("station %s has no opening hours", s.Key)
		}
		for _, p := range s.OpeningHours {
			if len(p.Days) == 0 || p.Open == p.Close {
				t.Errorf("station %s: bad opening period %+v", s.Key, p)
			}
			for _, day := range p.Days {
				if day < 1 || day > 7 {
					t.Errorf("station %s: weekday %d", s.Key, day)
				}
			}
		}
	}

	var mobilePartyMembers int
	channels := map[string]int{}
	for _, w := range d.Workers {
		if _, err := validate.ResidentID(w.IDNumber); err != nil {
			t.Errorf("worker %s: ID number %s: %v", w.Name, w.IDNumber, err)
		}
		if w.IDNumber[:4] != "3706" {
			t.Errorf("worker %s: ID number %s is not from Yantai (3706xx)", w.Name, w.IDNumber)
		}
		if _, err := validate.Mobile(w.Mobile); err != nil {
			t.Errorf("worker %s: mobile %s: %v", w.Name, w.Mobile, err)
		}
		unique("ID number", w.IDNumber)
		unique("mobile", w.Mobile)
		if !slices.Contains(vocab["Occupations"], w.Occupation) {
			t.Errorf("worker %s: occupation %q not in the registry's Occupations", w.Name, w.Occupation)
		}
		if !slices.Contains(vocab["PoliticalStatuses"], w.PoliticalStatus) {
			t.Errorf("worker %s: political status %q not in the registry's PoliticalStatuses", w.Name, w.PoliticalStatus)
		}
		street := streetOf[w.Community]
		if street == "" {
			t.Errorf("worker %s: unknown community %q", w.Name, w.Community)
		}
		// The registry files a worker of an enterprise in that enterprise's street.
		if w.Enterprise != "" && enterpriseStreet[w.Enterprise] != street {
			t.Errorf("worker %s: enterprise %q is not in street %s", w.Name, w.Enterprise, street)
		}
		if w.MobilePartyMember {
			mobilePartyMembers++
			if w.HomePartyOrg == "" || (w.PoliticalStatus != "party_member" && w.PoliticalStatus != "probationary_member") {
				t.Errorf("worker %s: a mobile party member needs member status and a home party organisation", w.Name)
			}
		}
		channels[w.CheckIn.Channel]++
		if w.CheckIn.Channel == "station" && !stations[w.CheckIn.Station] {
			t.Errorf("worker %s checks in at unknown station %q", w.Name, w.CheckIn.Station)
		}
	}
	if mobilePartyMembers != 3 {
		t.Errorf("%d mobile party members, want 3 (seed 002)", mobilePartyMembers)
	}
	if channels["online"] == 0 || channels["station"] == 0 {
		t.Errorf("check-ins by channel %v, want both online and station ones", channels)
	}
}

func TestDemoStationsCoverSpecialOpeningHours(t *testing.T) {
	var allDay, pastMidnight bool
	for _, s := range demo().Stations {
		for _, p := range s.OpeningHours {
			allDay = allDay || (p.Open == "00:00" && p.Close == "24:00" && len(p.Days) == 7)
			pastMidnight = pastMidnight || p.Close < p.Open
		}
	}
	if !allDay || !pastMidnight {
		t.Errorf("want a station open round the clock (%v) and one open past midnight (%v)", allDay, pastMidnight)
	}
}

func TestDemoDataHasADemosWorth(t *testing.T) {
	d := demo()
	if len(d.Workers) < 25 || len(d.Stations) < 8 || len(d.Enterprises) < 5 {
		t.Errorf("demo has %d workers, %d stations, %d enterprises; want about 30, 8 and a handful",
			len(d.Workers), len(d.Stations), len(d.Enterprises))
	}
}

// registryInputFields reads the JSON field names of every struct type in the
// registry's source (StreetInput, WorkerInput, ...).
func registryInputFields(t *testing.T) map[string][]string { return inputFields(t, "registry") }

// inputFields reads the JSON field names of every struct type in a
// service's source.
func inputFields(t *testing.T, service string) map[string][]string {
	t.Helper()
	root, err := findRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "services", service, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string][]string{}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return true
			}
			for _, fld := range st.Fields.List {
				if fld.Tag == nil {
					continue
				}
				tag, _ := strconv.Unquote(fld.Tag.Value)
				name, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
				if name != "" && name != "-" {
					fields[ts.Name.Name] = append(fields[ts.Name.Name], name)
				}
			}
			return true
		})
	}
	return fields
}

// jsonKeys lists the members of v encoded as a JSON object.
func jsonKeys(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// The registry refuses unknown JSON fields, so every field the seed sends
// must exist in the registry's input type.
func TestDemoRequestsUseOnlyFieldsTheRegistryAccepts(t *testing.T) {
	fields := registryInputFields(t)
	d := demo()
	worker := d.Workers[0]
	worker.EnterpriseID, worker.HomePartyOrg = "id", "org" // set at seed time or for a few
	tests := []struct {
		request  any
		typeName string
	}{
		{d.Streets[0], "StreetInput"},
		{d.Streets[0].Communities[0], "CommunityInput"},
		{d.Enterprises[0], "EnterpriseInput"},
		{d.Enterprises[0].Contact, "Contact"},
		{d.Stations[0], "StationInput"},
		{d.Stations[0].OpeningHours[0], "OpeningPeriod"},
		{worker, "WorkerInput"},
		{checkInRequest{Channel: "station", StationID: "id"}, "CheckInInput"},
	}
	for _, tt := range tests {
		t.Run(tt.typeName, func(t *testing.T) {
			accepted, ok := fields[tt.typeName]
			if !ok {
				t.Fatalf("no struct %s in services/registry", tt.typeName)
			}
			for _, k := range jsonKeys(t, tt.request) {
				if !slices.Contains(accepted, k) {
					t.Errorf("the seed sends %q, which %s does not have (it has %v)", k, tt.typeName, accepted)
				}
			}
		})
	}
}

// The registry accepts a check-in at a station only with the station's own
// community, so every demo check-in at a station must be in the worker's.
func TestDemoStationCheckInsAreAtTheWorkersCommunity(t *testing.T) {
	d := demo()
	community := map[string]string{}
	for _, s := range d.Stations {
		community[s.Key] = s.Community
	}
	for _, w := range d.Workers {
		if w.CheckIn.Channel != "station" {
			continue
		}
		if got, ok := community[w.CheckIn.Station]; !ok || got != w.Community {
			t.Errorf("%s (%s) checks in at station %s of community %q", w.Name, w.Community, w.CheckIn.Station, got)
		}
	}
}

// The points service refuses unknown JSON fields too.
func TestDemoStoreRequestsUseOnlyFieldsThePointsServiceAccepts(t *testing.T) {
	fields := inputFields(t, "points")
	st := demo().Stores[0]
	for _, tt := range []struct {
		request  any
		typeName string
	}{{st, "StoreInput"}, {st.Items[0], "ItemInput"}} {
		accepted, ok := fields[tt.typeName]
		if !ok {
			t.Fatalf("no struct %s in services/points", tt.typeName)
		}
		for _, k := range jsonKeys(t, tt.request) {
			if !slices.Contains(accepted, k) {
				t.Errorf("the seed sends %q, which %s does not have (it has %v)", k, tt.typeName, accepted)
			}
		}
	}
}

// One street-wide supermarket per demo street, with a handful of items the
// points service takes (names 1–100 characters, prices 1–100000) and a
// demo's stock.
func TestDemoStoresAreOnePerStreet(t *testing.T) {
	d := demo()
	stores := map[string]int{}
	for _, st := range d.Stores {
		stores[st.Street]++
		if n := utf8.RuneCountInString(st.Name); n < 1 || n > 100 {
			t.Errorf("store %s: name of %d characters", st.Name, n)
		}
		if n := utf8.RuneCountInString(st.Address); n > 200 {
			t.Errorf("store %s: address of %d characters", st.Name, n)
		}
		if len(st.Items) < 4 || len(st.Items) > 6 {
			t.Errorf("store %s has %d items, want 4 to 6", st.Name, len(st.Items))
		}
		names := map[string]bool{}
		for _, it := range st.Items {
			if names[it.Name] {
				t.Errorf("store %s: %s twice (the seed finds items by name)", st.Name, it.Name)
			}
			names[it.Name] = true
			if n := utf8.RuneCountInString(it.Name); n < 1 || n > 100 {
				t.Errorf("store %s: item name %q", st.Name, it.Name)
			}
			if it.Price < 1 || it.Price > 100000 || it.Stock < 20 || it.Stock > 100 {
				t.Errorf("store %s: %s costs %d points, %d in stock; want 1–100000 and 20–100", st.Name, it.Name, it.Price, it.Stock)
			}
		}
	}
	for _, street := range d.Streets {
		if stores[street.Code] != 1 {
			t.Errorf("street %s has %d supermarkets, want 1", street.Code, stores[street.Code])
		}
		delete(stores, street.Code)
	}
	for street := range stores {
		t.Errorf("a supermarket in street %q, which the demo does not have", street)
	}
}

// The census figures the source reports give for 奇山街道 (seed 001) and
// 建设路社区 (seed 002) are what the demo holds, so the statistics of
// `make run` show them (docs/stats.md).
func TestDemoHoldsTheReportsFigures(t *testing.T) {
	d := demo()
	street := map[string]string{}
	for _, s := range d.Streets {
		for _, c := range s.Communities {
			street[c.Code] = s.Code
		}
	}
	var outlets, couriers, drivers, online, stations, lockers, jianshelu, mobile, suggestions int
	for _, e := range d.Enterprises {
		if street[e.Community] == "qishan" && (e.Kind == "express_outlet" || e.Kind == "parcel_station") {
			outlets++
		}
	}
	for _, s := range d.Stations {
		if street[s.Community] == "qishan" {
			if s.Kind == "shared_locker" {
				lockers++
			} else {
				stations++
			}
		}
	}
	byID := map[string]demoWorker{}
	for _, w := range d.Workers {
		byID[w.IDNumber] = w
		if street[w.Community] == "qishan" {
			switch w.Occupation {
			case "courier":
				couriers++
			case "freight_driver", "ride_hailing_driver":
				drivers++
			}
			if w.CheckIn.Channel == "online" {
				online++
			}
		}
		if w.Community == "jianshelu" {
			jianshelu++
			if w.MobilePartyMember {
				mobile++
			}
		}
	}
	for _, r := range d.Reports {
		if w, ok := byID[r.Worker]; ok && street[w.Community] == "qishan" && r.Category == "suggestion" {
			suggestions++
		}
	}
	jiansheluEnterprises := 0
	for _, e := range d.Enterprises {
		if e.Community == "jianshelu" {
			jiansheluEnterprises++
		}
	}
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"奇山街道 express last-mile outlets", outlets, 10},
		{"奇山街道 couriers", couriers, 81},
		{"奇山街道 freight and ride-hailing drivers", drivers, 14},
		{"奇山街道 online check-ins", online, 102},
		{"奇山街道 suggestions", suggestions, 72},
		{"奇山街道 stations", stations, 18},
		{"奇山街道 shared lockers", lockers, 3},
		{"建设路社区 enterprises", jiansheluEnterprises, 3},
		{"建设路社区 mobile party members", mobile, 3},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.what, c.got, c.want)
		}
	}
	if jianshelu < 30 {
		t.Errorf("建设路社区 has %d workers, want 30 or more", jianshelu)
	}
}
