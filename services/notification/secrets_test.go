package notification_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/notification"
)

// signatures is a webhook receiver that checks each call's signature
// against the secret it was given.
type signatures struct {
	mu     sync.Mutex
	secret string
	good   int
	bad    int
}

func (s *signatures) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Header.Get("X-Nuanxin-Signature") == notification.Sign(s.secret, r.Header.Get("X-Nuanxin-Timestamp"), b) {
		s.good++
	} else {
		s.bad++
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *signatures) counts() (int, int) { s.mu.Lock(); defer s.mu.Unlock(); return s.good, s.bad }

func (s *signatures) use(secret string) { s.mu.Lock(); defer s.mu.Unlock(); s.secret = secret }

// A webhook's signing secret is kept sealed: the database holds no copy a
// dump could forge signatures with, and pushes are still signed with it.
// A secret stored in the clear by an earlier version is sealed at start,
// and signs the same in between.
func TestWebhookSecret_isKeptSealedAndSecretsInTheClearAreSealed(t *testing.T) {
	h := newHarness(t)
	w := h.worker("qishan", "tashan")
	recv := &signatures{}
	hook := httptest.NewServer(recv)
	defer hook.Close()
	prefs := h.Must(200, "PUT", "/v1/preferences", h.Worker(w), map[string]any{"webhook_url": hook.URL,
		"channels": map[string]any{"points": map[string]bool{"webhook": true}}, "quiet_hours": map[string]string{"start": "00:00", "end": "00:00"}})
	recv.use(prefs.Str("webhook_secret"))
	var clear string
	var sealed []byte
	_ = h.Pool.QueryRow(h.ctx, "SELECT webhook_secret, webhook_secret_sealed FROM preferences").Scan(&clear, &sealed)
	if clear != "" || len(sealed) == 0 || bytes.Contains(sealed, []byte(prefs.Str("webhook_secret"))) {
		t.Fatalf("stored: clear %q, sealed %d bytes", clear, len(sealed))
	}
	// Changing another preference keeps the secret.
	h.Must(200, "PUT", "/v1/preferences", h.Worker(w), map[string]any{"webhook_url": hook.URL, "lang": "en",
		"channels": map[string]any{"points": map[string]bool{"webhook": true}}, "quiet_hours": map[string]string{"start": "00:00", "end": "00:00"}})
	h.Settled()
	push := func(want int) {
		t.Helper()
		h.Publish(event.PointsEarned, "qishan", w, event.PointsData{EntryID: uuid.NewString(), WorkerID: w, Street: "qishan",
			Kind: "earn", Points: 10, Balance: 10})
		testenv.Eventually(t, 10*time.Second, func() bool { good, _ := recv.counts(); return good == want })
		if _, bad := recv.counts(); bad != 0 {
			t.Fatalf("%d pushes with a wrong signature", bad)
		}
	}
	push(1)

	// A secret in the clear, as an earlier version stored it.
	recv.use("whsec_from_before")
	if _, err := h.Pool.Exec(h.ctx, "UPDATE preferences SET webhook_secret = $1, webhook_secret_sealed = NULL", "whsec_from_before"); err != nil {
		t.Fatal(err)
	}
	push(2)
	n, err := h.store.SealLegacySecrets(h.ctx)
	if err != nil || n != 1 {
		t.Fatalf("sealed %d: %v", n, err)
	}
	_ = h.Pool.QueryRow(h.ctx, "SELECT webhook_secret, webhook_secret_sealed FROM preferences").Scan(&clear, &sealed)
	if clear != "" || len(sealed) == 0 {
		t.Fatalf("after sealing: clear %q, sealed %d bytes", clear, len(sealed))
	}
	push(3)
	if r := h.Must(200, "GET", "/v1/preferences", h.Worker(w), nil); r.Body["webhook_secret_set"] != true || r.Str("webhook_secret") != "" {
		t.Fatalf("preferences: %s", r.Raw)
	}
}
