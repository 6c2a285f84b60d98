package points_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// item opens a store (community "" for the whole street) with one item.
func (h *harness) item(street, community string, price, stock int) string {
	h.t.Helper()
	admin := h.StreetAdmin(street)
	if community != "" {
		admin = h.Staff(street, community)
	}
	store := h.Must(201, "POST", "/v1/stores", admin, map[string]any{"name": "奇山积分超市", "address": "奇山街道党群服务中心"}).Str("id")
	return h.Must(201, "POST", "/v1/stores/"+store+"/items", admin,
		map[string]any{"name": "电动车头盔", "price": price, "stock": stock}).Str("id")
}

// redeem posts a redemption with an Idempotency-Key and checks the status.
func (h *harness) redeem(token, item string, qty int, key string, want int) testenv.Response {
	h.t.Helper()
	return h.Must(want, "POST", "/v1/redemptions", token, map[string]any{"item_id": item, "quantity": qty}, "Idempotency-Key", key)
}

func (h *harness) stock(item string) int {
	h.t.Helper()
	return h.count("SELECT stock FROM items WHERE id = $1", item)
}

func TestRedeem_takesPointsAndStockAndAnswersARetryWithTheFirstAnswer(t *testing.T) {
	h := newHarness(t, nil)
	w := h.openAccount("qishan", "tashan")
	h.fund(w, 100)
	item := h.item("qishan", "", 30, 5)
	key := uuid.NewString()
	first := h.redeem(h.Worker(w), item, 2, key, 201)
	if first.Str("status") != "placed" || first.Num("points") != 60 || first.Num("balance") != 40 || first.Str("item_name") != "电动车头盔" {
		t.Fatalf("redemption: %s", first.Raw)
	}
	again := h.redeem(h.Worker(w), item, 2, key, 201)
	if again.Str("id") != first.Str("id") || again.Num("balance") != 40 || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %s %v", again.Raw, again.Header)
	}
	if h.balance(w) != 40 || h.stock(item) != 3 {
		t.Fatalf("balance %d stock %d after a retried redemption", h.balance(w), h.stock(item))
	}
	// The same key for another request is refused.
	if r := h.redeem(h.Worker(w), item, 1, key, 422); r.Field() != "Idempotency-Key" {
		t.Fatalf("reused key: %s", r.Raw)
	}
	// Cancelling refunds the points and puts the stock back; once.
	id := first.Str("id")
	c := h.Must(200, "POST", "/v1/redemptions/"+id+"/cancel", h.Worker(w), map[string]any{"reason": "不需要了"})
	if c.Str("status") != "cancelled" || c.Num("balance") != 100 || h.stock(item) != 5 {
		t.Fatalf("cancelled: %s, stock %d", c.Raw, h.stock(item))
	}
	h.Conflict("redemption_not_cancellable", "POST", "/v1/redemptions/"+id+"/cancel", h.Worker(w), map[string]any{"reason": "again"})
	// Staff hand an item over; a fulfilled redemption is final.
	second := h.redeem(h.Worker(w), item, 1, uuid.NewString(), 201).Str("id")
	h.Must(403, "POST", "/v1/redemptions/"+second+"/fulfil", h.Worker(w), nil)
	h.Must(404, "POST", "/v1/redemptions/"+second+"/fulfil", h.StreetAdmin("zhifu"), nil)
	f := h.Must(200, "POST", "/v1/redemptions/"+second+"/fulfil", h.StreetAdmin("qishan"), nil)
	if f.Str("status") != "fulfilled" || f.Str("closed_by") == "" {
		t.Fatalf("fulfilled: %s", f.Raw)
	}
	h.Conflict("redemption_not_fulfillable", "POST", "/v1/redemptions/"+second+"/fulfil", h.StreetAdmin("qishan"), nil)
	h.Conflict("redemption_not_fulfillable", "POST", "/v1/redemptions/"+id+"/fulfil", h.StreetAdmin("qishan"), nil)
	h.Conflict("redemption_not_cancellable", "POST", "/v1/redemptions/"+second+"/cancel", h.StreetAdmin("qishan"), map[string]any{"reason": "x"})
	// The worker's community staff see it too; the entry names who placed it.
	h.Must(200, "GET", "/v1/redemptions/"+second, h.Staff("qishan", "tashan"), nil)
	h.Must(404, "GET", "/v1/redemptions/"+second, h.Staff("qishan", "changsheng"), nil)
	var actor string
	_ = h.Pool.QueryRow(h.ctx, "SELECT actor FROM entries WHERE redemption_id = $1 AND kind = 'redeem'", second).Scan(&actor)
	if actor != "worker-"+w {
		t.Fatalf("the redeem entry's actor is %q", actor)
	}
	// The worker's list, newest first.
	if items := h.Must(200, "GET", "/v1/redemptions", h.Worker(w), nil).Items(); len(items) != 2 ||
		items[0].(map[string]any)["id"] != second {
		t.Fatalf("list: %v", items)
	}
	for name, want := range map[event.Name]int{event.PointsRedeemed: 2, event.PointsRefunded: 1, event.PointsAdjusted: 1} {
		if got := len(h.Events(name)); got != want {
			t.Errorf("%d %s events, want %d", got, name.Type(), want)
		}
	}
	// A redemption's events say what it was of, for the district's figures.
	for _, name := range []event.Name{event.PointsRedeemed, event.PointsRefunded} {
		for _, e := range h.Events(name) {
			var d event.PointsData
			if err := e.Decode(&d); err != nil {
				t.Fatal(err)
			}
			if d.ItemID != item || d.Item == "" || d.Quantity < 1 || d.Points != -30*int64(d.Quantity) && d.Points != 30*int64(d.Quantity) {
				t.Errorf("%s names item %q %q × %d for %d points, want %s at 30 a piece", name.Type(), d.ItemID, d.Item, d.Quantity, d.Points, item)
			}
		}
	}
	h.checkLedger()
}

func TestRedeem_badInputAnswersClearlyAndChangesNothing(t *testing.T) {
	h := newHarness(t, nil)
	w := h.openAccount("qishan", "tashan")
	other := h.openAccount("qishan", "tashan")
	elsewhere := h.openAccount("zhifu", "baishi")
	h.fund(w, 100)
	item := h.item("qishan", "", 30, 5)
	zhifuItem := h.item("zhifu", "", 10, 5)
	cases := []struct {
		name   string
		token  string
		body   any
		key    string
		status int
		field  string // or, on a 409, the reason
	}{
		{"unknown item", h.Worker(w), map[string]any{"item_id": uuid.NewString(), "quantity": 1}, "k1", 404, ""},
		{"item not an id", h.Worker(w), map[string]any{"item_id": "头盔", "quantity": 1}, "k2", 422, "item_id"},
		{"quantity 0", h.Worker(w), map[string]any{"item_id": item, "quantity": 0}, "k3", 422, "quantity"},
		{"quantity huge", h.Worker(w), map[string]any{"item_id": item, "quantity": 1000000}, "k4", 422, "quantity"},
		{"no quantity", h.Worker(w), map[string]any{"item_id": item}, "k5", 422, "quantity"},
		{"no idempotency key", h.Worker(w), map[string]any{"item_id": item, "quantity": 1}, "", 422, "Idempotency-Key"},
		{"for someone else", h.Worker(w), map[string]any{"item_id": item, "quantity": 1, "worker_id": other}, "k6", 403, ""},
		{"too dear", h.Worker(w), map[string]any{"item_id": item, "quantity": 4}, "k7", 409, "insufficient_balance"},
		{"more than the stock", h.Worker(w), map[string]any{"item_id": item, "quantity": 6}, "k8", 409, "out_of_stock"},
		{"another street's store", h.Worker(w), map[string]any{"item_id": zhifuItem, "quantity": 1}, "k9", 404, ""},
		{"staff without a worker", h.StreetAdmin("qishan"), map[string]any{"item_id": item, "quantity": 1}, "k10", 422, "worker_id"},
		{"staff for another street's worker", h.StreetAdmin("qishan"), map[string]any{"item_id": item, "quantity": 1, "worker_id": elsewhere}, "k11", 404, ""},
		{"a store not serving the worker", h.District(), map[string]any{"item_id": zhifuItem, "quantity": 1, "worker_id": w}, "k13", 404, ""},
		{"unknown field", h.Worker(w), map[string]any{"item_id": item, "quantity": 1, "price": 0}, "k12", 400, "price"},
	}
	snapshot := func() string {
		var s string
		_ = h.Pool.QueryRow(h.ctx, `SELECT (SELECT count(*) FROM entries) || '/' || (SELECT sum(balance) FROM accounts) || '/' ||
			(SELECT sum(stock) FROM items) || '/' || (SELECT count(*) FROM redemptions)`).Scan(&s)
		return s
	}
	before := snapshot()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var headers []string
			if tc.key != "" {
				headers = []string{"Idempotency-Key", tc.key}
			}
			r := h.Do("POST", "/v1/redemptions", tc.token, tc.body, headers...)
			if got := r.FieldOrReason(); r.Status != tc.status || got != tc.field || r.Str("detail") == "" {
				t.Fatalf("status %d field %q, want %d %q: %s", r.Status, got, tc.status, tc.field, r.Raw)
			}
		})
	}
	// The two conflicts say what was in the way: the balance, the stock.
	if r := h.Conflict("insufficient_balance", "POST", "/v1/redemptions", h.Worker(w), map[string]any{"item_id": item, "quantity": 4},
		"Idempotency-Key", "k7b"); r.Num("balance") != 100 {
		t.Errorf("too dear: %s", r.Raw)
	}
	if r := h.Conflict("out_of_stock", "POST", "/v1/redemptions", h.Worker(w), map[string]any{"item_id": item, "quantity": 6},
		"Idempotency-Key", "k8b"); r.Num("stock") != 5 {
		t.Errorf("more than the stock: %s", r.Raw)
	}
	// Adjustments: a reason is required, and no balance goes below zero.
	for _, tc := range []struct {
		body   map[string]any
		status int
		field  string
	}{
		{map[string]any{"points": 10}, 422, "reason"},
		{map[string]any{"points": 0, "reason": "调整"}, 422, "points"},
		{map[string]any{"points": -101, "reason": "扣回误发积分"}, 409, "insufficient_balance"},
	} {
		if r := h.Do("POST", "/v1/accounts/"+w+"/adjustments", h.District(), tc.body); r.Status != tc.status || r.FieldOrReason() != tc.field {
			t.Errorf("adjust %v: %d %q %s", tc.body, r.Status, r.FieldOrReason(), r.Raw)
		}
	}
	h.Must(403, "POST", "/v1/accounts/"+w+"/adjustments", h.Worker(w), map[string]any{"points": 10, "reason": "自己加分"})
	h.Must(404, "POST", "/v1/accounts/"+w+"/adjustments", h.StreetAdmin("zhifu"), map[string]any{"points": 10, "reason": "跨街道"})
	if after := snapshot(); after != before {
		t.Fatalf("state changed: %s → %s", before, after)
	}
	h.checkLedger()
}

func TestAdjust_isAuditedAndARetryWithItsKeyAdjustsOnce(t *testing.T) {
	h := newHarness(t, nil)
	w := h.openAccount("qishan", "tashan")
	body := map[string]any{"points": 15, "reason": "补记3月义诊服务"}
	first := h.Must(201, "POST", "/v1/accounts/"+w+"/adjustments", h.Staff("qishan", "tashan"), body, "Idempotency-Key", "adj-1")
	again := h.Must(201, "POST", "/v1/accounts/"+w+"/adjustments", h.Staff("qishan", "tashan"), body, "Idempotency-Key", "adj-1")
	if first.Str("id") != again.Str("id") || again.Header.Get("Idempotent-Replayed") != "true" || h.balance(w) != 15 {
		t.Fatalf("retry: %s / %s, balance %d", first.Raw, again.Raw, h.balance(w))
	}
	if first.Str("actor") != "community_staff-test" || first.Str("reason") != "补记3月义诊服务" || first.Str("kind") != "adjust" {
		t.Fatalf("entry: %s", first.Raw)
	}
	// The same key sent at once for two accounts: one adjusts, the other is told the key is reused.
	other := h.openAccount("qishan", "tashan")
	statuses := make(chan int, 2)
	for _, acct := range []string{w, other} {
		go func() {
			status, _, _ := rawPost(h.URL+"/v1/accounts/"+acct+"/adjustments", h.District(), "adj-2", map[string]any{"points": 5, "reason": "活动补记"})
			statuses <- status
		}()
	}
	if a, b := <-statuses, <-statuses; a+b != 201+422 {
		t.Fatalf("statuses %d and %d, want 201 and 422", a, b)
	}
	var d event.PointsData
	ev := h.Events(event.PointsAdjusted)
	if len(ev) != 2 || json.Unmarshal(ev[0].Data, &d) != nil || d.Reason != "补记3月义诊服务" || d.Points != 15 {
		t.Fatalf("points.adjusted: %d %+v", len(ev), d)
	}
}

func TestAccounts_workersSeeTheirOwnAndStaffTheirScope(t *testing.T) {
	h := newHarness(t, nil)
	w := h.openAccount("qishan", "tashan")
	other := h.openAccount("qishan", "tashan")
	for range 5 {
		h.fund(w, 1)
	}
	h.Must(403, "GET", "/v1/accounts/"+w, h.Worker(other), nil)
	h.Must(403, "GET", "/v1/accounts/"+w+"/entries", h.Worker(other), nil)
	h.Must(404, "GET", "/v1/accounts/"+w, h.Staff("qishan", "changsheng"), nil)
	h.Must(404, "GET", "/v1/accounts/"+w, h.StreetAdmin("zhifu"), nil)
	h.Must(200, "GET", "/v1/accounts/"+w, h.Staff("qishan", "tashan"), nil)
	h.Must(404, "GET", "/v1/accounts/nope", h.District(), nil)
	// Entries page newest first.
	p1 := h.Must(200, "GET", "/v1/accounts/"+w+"/entries?limit=3", h.Worker(w), nil)
	p2 := h.Must(200, "GET", "/v1/accounts/"+w+"/entries?limit=3&before="+p1.Str("next"), h.Worker(w), nil)
	if len(p1.Items()) != 3 || len(p2.Items()) != 2 || p2.Str("next") != "" ||
		p1.Items()[0].(map[string]any)["balance_after"] != 5.0 || p2.Items()[1].(map[string]any)["balance_after"] != 1.0 {
		t.Fatalf("pages: %s / %s", p1.Raw, p2.Raw)
	}
	if r := h.Do("GET", "/v1/accounts/"+w+"/entries?limit=0", h.Worker(w), nil); r.Status != 422 || r.Field() != "limit" {
		t.Fatalf("limit 0: %d %s", r.Status, r.Raw)
	}
}

// rawPost posts from a goroutine (no testing.T calls): the status and body.
func rawPost(url, token, key string, body any) (int, []byte, error) {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", url, bytes.NewReader(raw))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

func TestRedeem_oneKeyAtOnceForTwoWorkersRedeemsOnce(t *testing.T) {
	h := newHarness(t, nil)
	w, other := h.openAccount("qishan", "tashan"), h.openAccount("qishan", "tashan")
	h.fund(w, 100)
	h.fund(other, 100)
	item := h.item("qishan", "", 30, 5)
	// Staff at the counter send one key at once for two workers: one is
	// redeemed, the other is told the key is reused (its insert meets the
	// winner's key, and it looks again), and only one is debited.
	statuses := make(chan int, 2)
	for _, acct := range []string{w, other} {
		go func() {
			status, _, _ := rawPost(h.URL+"/v1/redemptions", h.StreetAdmin("qishan"), "counter-1",
				map[string]any{"item_id": item, "quantity": 1, "worker_id": acct})
			statuses <- status
		}()
	}
	if a, b := <-statuses, <-statuses; a+b != 201+422 {
		t.Fatalf("statuses %d and %d, want 201 and 422", a, b)
	}
	if h.balance(w)+h.balance(other) != 200-30 || h.stock(item) != 4 {
		t.Fatalf("balances %d and %d, stock %d after one key for two workers", h.balance(w), h.balance(other), h.stock(item))
	}
	h.checkLedger()
}

// race sends n redemptions of one item per worker, all at once, and counts
// the answers by status.
func (h *harness) race(workers []string, item string, n int) map[int]int {
	h.t.Helper()
	tokens := map[string]string{}
	for _, w := range workers {
		tokens[w] = h.Worker(w)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[int]int{}
	start := make(chan struct{})
	for _, w := range workers {
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				status, body, err := rawPost(h.URL+"/v1/redemptions", tokens[w], fmt.Sprintf("%s-%d", w, i),
					map[string]any{"item_id": item, "quantity": 1})
				mu.Lock()
				defer mu.Unlock()
				if err != nil || (status != 201 && status != 409) {
					counts[-1]++
					h.t.Errorf("redemption: %d %v %s", status, err, body)
					return
				}
				counts[status]++
			}()
		}
	}
	close(start)
	wg.Wait()
	return counts
}

func TestRedeem_1000ConcurrentRedemptionsAcceptExactlyWhatIsAffordable(t *testing.T) {
	h := newHarness(t, nil)
	// Round one, balances are the limit: 50 workers with 100 points each send
	// 20 redemptions of a 30-point item with plenty of stock; each can afford 3.
	var rich, poor []string
	for range 50 {
		w := h.openAccount("qishan", "tashan")
		h.fund(w, 100)
		poor = append(poor, w)
	}
	plenty := h.item("qishan", "", 30, 10000)
	if c := h.race(poor, plenty, 20); c[201] != 150 || c[409] != 850 {
		t.Fatalf("balance-limited: %v", c)
	}
	for _, w := range poor {
		if b := h.balance(w); b != 10 {
			t.Fatalf("worker %s has %d points left, want 10", w, b)
		}
	}
	if s := h.stock(plenty); s != 10000-150 {
		t.Fatalf("stock %d", s)
	}
	// Round two, stock is the limit: 50 workers with 1,000 points each send
	// 20 redemptions of a 10-point item of which 100 are on the shelf.
	for range 50 {
		w := h.openAccount("qishan", "changsheng")
		h.fund(w, 1000)
		rich = append(rich, w)
	}
	scarce := h.item("qishan", "", 10, 100)
	if c := h.race(rich, scarce, 20); c[201] != 100 || c[409] != 900 {
		t.Fatalf("stock-limited: %v", c)
	}
	if s := h.stock(scarce); s != 0 {
		t.Fatalf("stock %d", s)
	}
	var spent int64
	_ = h.Pool.QueryRow(h.ctx, "SELECT 50 * 1000 - sum(balance) FROM accounts WHERE community = 'changsheng'").Scan(&spent)
	if spent != 1000 {
		t.Fatalf("%d points spent on 100 items of 10", spent)
	}
	if n := h.count("SELECT count(*) FROM accounts WHERE balance < 0") + h.count("SELECT count(*) FROM items WHERE stock < 0"); n != 0 {
		t.Fatalf("%d negative balances or stocks", n)
	}
	h.checkLedger()
}

func TestShop_storesItemsAndRestockByRoleAndScope(t *testing.T) {
	h := newHarness(t, nil)
	tashan := h.openAccount("qishan", "tashan")
	changsheng := h.openAccount("qishan", "changsheng")
	streetItem := h.item("qishan", "", 30, 5)          // the street's store, by the street admin
	communityItem := h.item("qishan", "tashan", 10, 5) // tashan's own, by its staff
	h.item("zhifu", "", 10, 5)
	names := func(token string) int { return len(h.Must(200, "GET", "/v1/stores", token, nil).Items()) }
	// A rider sees the stores that serve them: the street's and their community's.
	if n := names(h.Worker(tashan)); n != 2 {
		t.Fatalf("tashan's rider sees %d stores", n)
	}
	if n := names(h.Worker(changsheng)); n != 1 {
		t.Fatalf("changsheng's rider sees %d stores", n)
	}
	if n := names(h.Staff("qishan", "changsheng")); n != 1 {
		t.Fatalf("changsheng's staff see %d stores", n)
	}
	if n := names(h.StreetAdmin("qishan")); n != 2 {
		t.Fatalf("the street admin sees %d stores", n)
	}
	if n := names(h.District()); n != 3 {
		t.Fatalf("the district sees %d stores", n)
	}
	var communityStore string
	_ = h.Pool.QueryRow(h.ctx, "SELECT store_id::text FROM items WHERE id = $1", communityItem).Scan(&communityStore)
	if items := h.Must(200, "GET", "/v1/stores/"+communityStore+"/items", h.Worker(tashan), nil).Items(); len(items) != 1 {
		t.Fatalf("items: %v", items)
	}
	h.Must(404, "GET", "/v1/stores/"+communityStore+"/items", h.Worker(changsheng), nil)
	h.Must(404, "GET", "/v1/stores/"+communityStore+"/items", h.StreetAdmin("zhifu"), nil)
	// A rider cannot redeem at another community's store.
	h.redeem(h.Worker(changsheng), communityItem, 1, "cs-1", 404)

	// Restock: the store's own staff only; bad quantities change nothing.
	r := h.Must(200, "POST", "/v1/items/"+streetItem+"/restock", h.StreetAdmin("qishan"), map[string]any{"quantity": 20})
	if r.Num("stock") != 25 || r.Num("stocked") != 25 {
		t.Fatalf("restocked: %s", r.Raw)
	}
	h.Must(403, "POST", "/v1/items/"+streetItem+"/restock", h.Worker(tashan), map[string]any{"quantity": 1})
	h.Must(403, "POST", "/v1/items/"+streetItem+"/restock", h.Staff("qishan", "tashan"), map[string]any{"quantity": 1})
	h.Must(404, "POST", "/v1/items/"+streetItem+"/restock", h.StreetAdmin("zhifu"), map[string]any{"quantity": 1})
	for _, q := range []any{0, -3, nil} {
		if r := h.Do("POST", "/v1/items/"+streetItem+"/restock", h.StreetAdmin("qishan"), map[string]any{"quantity": q}); r.Status != 422 || r.Field() != "quantity" {
			t.Errorf("quantity %v: %d %s", q, r.Status, r.Raw)
		}
	}
	h.Conflict("stock_over_max", "POST", "/v1/items/"+streetItem+"/restock", h.StreetAdmin("qishan"), map[string]any{"quantity": 1000000})
	if s := h.stock(streetItem); s != 25 {
		t.Fatalf("stock %d after refused restocks", s)
	}
	// Items: bad prices and stock name their field.
	var streetStore string
	_ = h.Pool.QueryRow(h.ctx, "SELECT store_id::text FROM items WHERE id = $1", streetItem).Scan(&streetStore)
	for _, body := range []map[string]any{{"name": "头盔", "price": 0, "stock": 1}, {"name": "头盔", "price": 10, "stock": -1}, {"name": "", "price": 10, "stock": 1}} {
		if r := h.Do("POST", "/v1/stores/"+streetStore+"/items", h.StreetAdmin("qishan"), body); r.Status != 422 {
			t.Errorf("item %v: %d %s", body, r.Status, r.Raw)
		}
	}
	h.checkLedger()
}

func TestShop_anItemTakenOffSaleIsHiddenFromRidersAndRefusedThenBackOnSale(t *testing.T) {
	h := newHarness(t, nil)
	w := h.openAccount("qishan", "tashan")
	h.fund(w, 100)
	item := h.item("qishan", "", 30, 5)
	var store string
	_ = h.Pool.QueryRow(h.ctx, "SELECT store_id::text FROM items WHERE id = $1", item).Scan(&store)
	onShelf := func(token string) int {
		return len(h.Must(200, "GET", "/v1/stores/"+store+"/items", token, nil).Items())
	}

	r := h.Must(200, "PATCH", "/v1/items/"+item, h.StreetAdmin("qishan"), map[string]any{"active": false, "price": 40})
	if r.Body["active"] != false || r.Num("price") != 40 || r.Str("name") != "电动车头盔" || r.Num("stock") != 5 {
		t.Fatalf("updated: %s", r.Raw)
	}
	if n := onShelf(h.Worker(w)); n != 0 {
		t.Fatalf("a rider sees %d items off sale", n)
	}
	if n := onShelf(h.StreetAdmin("qishan")); n != 1 {
		t.Fatalf("staff see %d items", n)
	}
	if r := h.redeem(h.Worker(w), item, 1, "off-1", 409); r.Str("detail") == "" || r.Str("reason") != "item_withdrawn" {
		t.Fatalf("refusal: %s", r.Raw)
	}
	if b, s := h.balance(w), h.stock(item); b != 100 || s != 5 {
		t.Fatalf("balance %d stock %d after a refused redemption", b, s)
	}

	h.Must(200, "PATCH", "/v1/items/"+item, h.StreetAdmin("qishan"), map[string]any{"active": true})
	if n := onShelf(h.Worker(w)); n != 1 {
		t.Fatalf("a rider sees %d items back on sale", n)
	}
	if r := h.redeem(h.Worker(w), item, 2, "off-2", 201); r.Num("points") != 80 {
		t.Fatalf("redeemed at the new price: %s", r.Raw)
	}
	h.checkLedger()
}

func TestShop_updatingAnItemChecksRoleScopeAndInput(t *testing.T) {
	h := newHarness(t, nil)
	w := h.openAccount("qishan", "tashan")
	item := h.item("qishan", "", 30, 5)
	path := "/v1/items/" + item
	h.Must(403, "PATCH", path, h.Worker(w), map[string]any{"active": false})
	h.Must(403, "PATCH", path, h.Staff("qishan", "tashan"), map[string]any{"active": false}) // the street's store
	h.Must(404, "PATCH", path, h.StreetAdmin("zhifu"), map[string]any{"active": false})
	h.Must(404, "PATCH", "/v1/items/"+uuid.NewString(), h.StreetAdmin("qishan"), map[string]any{"active": false})
	for _, tc := range []struct {
		body   map[string]any
		status int
		field  string
	}{
		{map[string]any{}, 422, "name"},
		{map[string]any{"name": "  "}, 422, "name"},
		{map[string]any{"price": 0}, 422, "price"},
		{map[string]any{"price": 100001}, 422, "price"},
		{map[string]any{"active": "no"}, 400, "active"},
		{map[string]any{"stock": 9}, 400, "stock"}, // stock changes by restock, which keeps count
	} {
		if r := h.Do("PATCH", path, h.StreetAdmin("qishan"), tc.body); r.Status != tc.status || r.Field() != tc.field {
			t.Errorf("%v: %d field %q, want %d %q: %s", tc.body, r.Status, r.Field(), tc.status, tc.field, r.Raw)
		}
	}
	var name string
	var price int
	var active bool
	_ = h.Pool.QueryRow(h.ctx, "SELECT name, price, active FROM items WHERE id = $1", item).Scan(&name, &price, &active)
	if name != "电动车头盔" || price != 30 || !active {
		t.Fatalf("after refused updates: %q %d %v", name, price, active)
	}
}

// A store under a street or community the registry never created would
// serve no one: it is refused, naming the field, until the registry's
// event tells of the place; the token of an admin of that street is
// refused as a whole until then.
func TestShop_aStoreOnlyOpensWhereTheRegistryCreatedThePlace(t *testing.T) {
	h := newHarness(t, nil)
	store := map[string]any{"name": "初旺积分超市", "street": "laishan", "community": "chuwang"}
	for _, tc := range []struct {
		token, field string
		status       int
		body         map[string]any
	}{
		{h.District(), "street", 422, store},
		{h.StreetAdmin("laishan"), "", 401, store},
	} {
		if r := h.Do("POST", "/v1/stores", tc.token, tc.body); r.Status != tc.status || r.Field() != tc.field {
			t.Fatalf("status %d field %q, want %d %q: %s", r.Status, r.Field(), tc.status, tc.field, r.Raw)
		}
	}
	if n := h.count("SELECT count(*) FROM stores"); n != 0 {
		t.Fatalf("%d stores opened", n)
	}
	h.Publish(event.StreetCreated, "laishan", "laishan", event.StreetData{Code: "laishan", Name: "莱山街道"})
	e := h.Publish(event.CommunityCreated, "laishan", "chuwang", event.CommunityData{Code: "chuwang", Name: "初旺社区", Street: "laishan"})
	h.Republish(event.CommunityCreated, e)
	h.Settled()
	h.Must(201, "POST", "/v1/stores", h.District(), store)
	h.Must(201, "POST", "/v1/stores", h.StreetAdmin("laishan"), store)
	if n := h.count("SELECT count(*) FROM communities WHERE street = 'laishan'"); n != 1 {
		t.Fatalf("%d communities recorded", n)
	}
}

// A worker who has left keeps their points in the ledger but can no
// longer spend them.
func TestRedeem_aWorkerWhoLeftIsRefused(t *testing.T) {
	h := newHarness(t, nil)
	w := h.openAccount("qishan", "tashan")
	h.fund(w, 100)
	item := h.item("qishan", "", 30, 5)
	h.Publish(event.WorkerLeft, "qishan", w, event.WorkerData{WorkerID: w, Street: "qishan", Community: "tashan",
		Occupation: "food_delivery", PoliticalStatus: "masses", Status: "left"})
	h.eventually(func() bool {
		return h.count("SELECT count(*) FROM accounts WHERE worker_id = $1 AND status = 'left'", w) == 1
	})
	h.Conflict("worker_left", "POST", "/v1/redemptions", h.Worker(w), map[string]any{"item_id": item, "quantity": 1},
		"Idempotency-Key", uuid.NewString())
	if b, s := h.balance(w), h.stock(item); b != 100 || s != 5 {
		t.Fatalf("balance %d stock %d after a refused redemption", b, s)
	}
}
