package points_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strconv"
	"testing"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// tinyImage is a 2×2 image encoded by encode (jpeg or png).
func tinyImage(t *testing.T, encode func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{R: 200, A: 255})
	img.Set(1, 1, color.RGBA{B: 200, A: 255})
	var buf bytes.Buffer
	if err := encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tinyJPEG(t *testing.T) []byte {
	return tinyImage(t, func(b *bytes.Buffer, img image.Image) error { return jpeg.Encode(b, img, nil) })
}

func tinyPNG(t *testing.T) []byte {
	return tinyImage(t, func(b *bytes.Buffer, img image.Image) error { return png.Encode(b, img) })
}

// tinyWebP is the start of a lossless WebP file: what the service looks
// at ("RIFF", a size, "WEBP").
var tinyWebP = []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x01\x40\x00\x00\x07\x10\x11\x11\x88\x88\xfe\x07\x00")

func version(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}

// putPhoto sends data as an item's photo, declared as contentType.
func (h *harness) putPhoto(token, item, contentType string, data []byte) testenv.Response {
	h.t.Helper()
	return h.Do("PUT", "/v1/items/"+item+"/photo", token, string(data), "Content-Type", contentType)
}

// storeOf is the id of an item's store.
func (h *harness) storeOf(item string) string {
	h.t.Helper()
	var store string
	if err := h.Pool.QueryRow(h.ctx, "SELECT store_id::text FROM items WHERE id = $1", item).Scan(&store); err != nil {
		h.t.Fatal(err)
	}
	return store
}

// photoOf is the photo member of an item as answered ("photo" of an
// object), nil when absent.
func photoOf(item map[string]any) map[string]any {
	ph, _ := item["photo"].(map[string]any)
	return ph
}

func TestItemPhoto_staffPutAndRidersSeeIt(t *testing.T) {
	h := newHarness(t, nil)
	w := h.openAccount("qishan", "tashan")
	item := h.item("qishan", "", 30, 5)
	admin := h.StreetAdmin("qishan")
	img := tinyJPEG(t)
	ver := version(img)

	r := h.putPhoto(admin, item, "image/jpeg", img)
	if r.Status != 200 {
		t.Fatalf("put: %d %s", r.Status, r.Raw)
	}
	ph := photoOf(r.Body)
	if ph["content_type"] != "image/jpeg" || ph["size"] != float64(len(img)) || ph["version"] != ver || ph["updated_at"] == nil {
		t.Fatalf("photo %v, want image/jpeg of %d bytes, version %s: %s", ph, len(img), ver, r.Raw)
	}
	if r.Str("updated_at") != ph["updated_at"] {
		t.Errorf("the item's updated_at %s is not the photo's %v", r.Str("updated_at"), ph["updated_at"])
	}

	// The list shows the photo's description, to staff and riders.
	for _, token := range []string{admin, h.Worker(w)} {
		items := h.Must(200, "GET", "/v1/stores/"+h.storeOf(item)+"/items", token, nil).Items()
		if len(items) != 1 {
			t.Fatalf("items: %v", items)
		}
		if got := photoOf(items[0].(map[string]any)); got["version"] != ver || got["content_type"] != "image/jpeg" || got["size"] != float64(len(img)) {
			t.Fatalf("the list's photo: %v", got)
		}
	}
	// Every other answer with the item has it too.
	if got := photoOf(h.Must(200, "PATCH", "/v1/items/"+item, admin, map[string]any{"name": "头盔"}).Body); got["version"] != ver {
		t.Errorf("PATCH answers photo %v", got)
	}
	if got := photoOf(h.Must(200, "POST", "/v1/items/"+item+"/restock", admin, map[string]any{"quantity": 1}).Body); got["version"] != ver {
		t.Errorf("restock answers photo %v", got)
	}

	// A rider served by the store gets the very bytes, with the headers.
	path := "/v1/items/" + item + "/photo"
	for _, tc := range []struct {
		name, query, cache string
	}{
		{"without v", "", "private, no-cache"},
		{"with v, the current version", "?v=" + ver, "private, max-age=31536000, immutable"},
		{"with v, another version", "?v=0123456789abcdef", "private, no-cache"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Must(200, "GET", path+tc.query, h.Worker(w), nil)
			if !bytes.Equal(r.Raw, img) {
				t.Fatalf("got %d bytes, not the %d put", len(r.Raw), len(img))
			}
			for name, want := range map[string]string{
				"Content-Type": "image/jpeg", "Content-Length": strconv.Itoa(len(img)), "ETag": `"` + ver + `"`,
				"X-Content-Type-Options": "nosniff", "Cache-Control": tc.cache,
			} {
				if got := r.Header.Get(name); got != want {
					t.Errorf("%s: %q, want %q", name, got, want)
				}
			}
		})
	}

	// A browser that holds the version is told so, without the bytes.
	for _, inm := range []string{`"` + ver + `"`, `W/"` + ver + `"`, `"0123456789abcdef", "` + ver + `"`, "*"} {
		r := h.Do("GET", path+"?v="+ver, h.Worker(w), nil, "If-None-Match", inm)
		if r.Status != 304 || len(r.Raw) != 0 || r.Header.Get("ETag") != `"`+ver+`"` {
			t.Errorf("If-None-Match %s: %d %q ETag %q", inm, r.Status, r.Raw, r.Header.Get("ETag"))
		}
	}
	if r := h.Do("GET", path, h.Worker(w), nil, "If-None-Match", `"0123456789abcdef"`); r.Status != 200 || !bytes.Equal(r.Raw, img) {
		t.Errorf("If-None-Match of another version: %d", r.Status)
	}
	// As on every route, a parameter the route does not take is refused.
	if r := h.Do("GET", path+"?version="+ver, h.Worker(w), nil); r.Status != 400 || r.Field() != "version" {
		t.Errorf("an unknown parameter: %d %s", r.Status, r.Raw)
	}
}

func TestItemPhoto_refusesWhatIsNotAnImageOfItsType(t *testing.T) {
	h := newHarness(t, nil)
	item := h.item("qishan", "", 30, 5)
	admin := h.StreetAdmin("qishan")
	jpg, pngImg := tinyJPEG(t), tinyPNG(t)
	tooBig := append(append([]byte{}, jpg...), make([]byte, 1<<20+1-len(jpg))...)
	for _, tc := range []struct {
		name, contentType string
		data              []byte
		status            int
		code              string
	}{
		{"text", "text/plain", []byte("not a photo"), 415, "unsupported_media_type"},
		{"a JPEG sent as JSON", "application/json", jpg, 415, "unsupported_media_type"},
		{"a GIF", "image/gif", []byte("GIF89a\x01\x00\x01\x00"), 415, "unsupported_media_type"},
		{"a malformed Content-Type", "image/", jpg, 415, "unsupported_media_type"},
		{"a PNG declared a JPEG", "image/jpeg", pngImg, 422, "invalid_format"},
		{"a JPEG declared a PNG", "image/png", jpg, 422, "invalid_format"},
		{"text declared a WebP", "image/webp", []byte("RIFF....WAVEfmt "), 422, "invalid_format"},
		{"text declared a JPEG", "image/jpeg", []byte("<svg onload=alert(1)>"), 422, "invalid_format"},
		{"1 MiB and a byte", "image/jpeg", tooBig, 413, "too_large"},
		{"nothing", "image/jpeg", nil, 422, "required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.putPhoto(admin, item, tc.contentType, tc.data)
			if r.Status != tc.status || r.Field() != "photo" {
				t.Fatalf("status %d naming %q, want %d naming photo: %.300s", r.Status, r.Field(), tc.status, r.Raw)
			}
			errs, _ := r.Body["errors"].([]any)
			if e := errs[0].(map[string]any); e["code"] != tc.code || e["message"] == "" {
				t.Errorf("error %v, want code %s with a message", e, tc.code)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	if n := h.count("SELECT count(*) FROM item_photos"); n != 0 {
		t.Fatalf("%d photos stored after refusals", n)
	}
	if r := h.Must(200, "PATCH", "/v1/items/"+item, admin, map[string]any{"name": "头盔"}); r.Body["photo"] != nil {
		t.Fatalf("the item has a photo after refusals: %s", r.Raw)
	}

	// What is allowed: a WebP, and a photo of exactly 1 MiB.
	if r := h.putPhoto(admin, item, "image/webp", tinyWebP); r.Status != 200 || photoOf(r.Body)["content_type"] != "image/webp" {
		t.Fatalf("a WebP: %d %s", r.Status, r.Raw)
	}
	exact := tooBig[:1<<20]
	if r := h.putPhoto(admin, item, "image/jpeg; charset=binary", exact); r.Status != 200 || photoOf(r.Body)["size"] != float64(1<<20) {
		t.Fatalf("1 MiB: %d %.300s", r.Status, r.Raw)
	}
}

func TestItemPhoto_onlyTheStoresStaffChangeIt(t *testing.T) {
	h := newHarness(t, nil)
	tashan := h.openAccount("qishan", "tashan")
	changsheng := h.openAccount("qishan", "changsheng")
	baishi := h.openAccount("zhifu", "baishi")
	streetItem := h.item("qishan", "", 30, 5)          // the street admin's
	communityItem := h.item("qishan", "tashan", 10, 5) // tashan's staff's
	img := tinyJPEG(t)
	h.Must(200, "PUT", "/v1/items/"+communityItem+"/photo", h.Staff("qishan", "tashan"), string(img), "Content-Type", "image/jpeg")

	for _, tc := range []struct {
		name, token, item string
		status            int
	}{
		{"a rider", h.Worker(tashan), streetItem, 403},
		{"community staff, at the street's store", h.Staff("qishan", "tashan"), streetItem, 403},
		{"another street's admin", h.StreetAdmin("zhifu"), streetItem, 404},
		{"another community's staff", h.Staff("qishan", "changsheng"), communityItem, 404},
		{"the admin, an unknown item", h.StreetAdmin("qishan"), uuid.NewString(), 404},
		{"the admin, no id at all", h.StreetAdmin("qishan"), "helmet", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := h.putPhoto(tc.token, tc.item, "image/jpeg", img); r.Status != tc.status {
				t.Errorf("PUT: %d, want %d: %s", r.Status, tc.status, r.Raw)
			} else if tc.status == 404 && r.Str("detail") != "item not found" {
				t.Errorf("PUT: %s", r.Raw)
			}
			if r := h.Do("DELETE", "/v1/items/"+tc.item+"/photo", tc.token, nil); r.Status != tc.status {
				t.Errorf("DELETE: %d, want %d: %s", r.Status, tc.status, r.Raw)
			}
		})
	}
	if n := h.count("SELECT count(*) FROM item_photos WHERE item_id = $1", streetItem); n != 0 {
		t.Fatalf("the street's item has %d photos after refusals", n)
	}
	if n := h.count("SELECT count(*) FROM item_photos WHERE item_id = $1", communityItem); n != 1 {
		t.Fatalf("tashan's item has %d photos after refused deletes", n)
	}

	// Who sees the photo: whoever sees the store, a rider only while the
	// item is on sale.
	path := "/v1/items/" + communityItem + "/photo"
	for _, tc := range []struct {
		name, token string
		status      int
	}{
		{"a rider the store serves", h.Worker(tashan), 200},
		{"the store's staff", h.Staff("qishan", "tashan"), 200},
		{"the street's admin", h.StreetAdmin("qishan"), 200},
		{"the district", h.District(), 200},
		{"a rider of another community", h.Worker(changsheng), 404},
		{"a rider of another street", h.Worker(baishi), 404},
		{"another community's staff", h.Staff("qishan", "changsheng"), 404},
		{"another street's admin", h.StreetAdmin("zhifu"), 404},
	} {
		t.Run("GET by "+tc.name, func(t *testing.T) {
			r := h.Do("GET", path, tc.token, nil)
			if r.Status != tc.status {
				t.Fatalf("%d, want %d: %s", r.Status, tc.status, r.Raw)
			}
			if tc.status == 404 && r.Str("detail") != "item not found" {
				t.Errorf("%s", r.Raw)
			}
		})
	}
	h.Must(200, "PATCH", "/v1/items/"+communityItem, h.Staff("qishan", "tashan"), map[string]any{"active": false})
	if r := h.Do("GET", path, h.Worker(tashan), nil); r.Status != 404 || r.Str("detail") != "item not found" {
		t.Errorf("a rider, the item off sale: %d %s", r.Status, r.Raw)
	}
	if r := h.Do("GET", path, h.Staff("qishan", "tashan"), nil); r.Status != 200 || !bytes.Equal(r.Raw, img) {
		t.Errorf("staff, the item off sale: %d", r.Status)
	}
}

func TestItemPhoto_replacingChangesTheVersionAndRemovingTwiceIsFine(t *testing.T) {
	h := newHarness(t, nil)
	w := h.openAccount("qishan", "tashan")
	item := h.item("qishan", "", 30, 5)
	admin := h.StreetAdmin("qishan")
	path := "/v1/items/" + item + "/photo"
	jpg, pngImg := tinyJPEG(t), tinyPNG(t)

	first := photoOf(h.Must(200, "PUT", path, admin, string(jpg), "Content-Type", "image/jpeg").Body)
	second := photoOf(h.Must(200, "PUT", path, admin, string(pngImg), "Content-Type", "image/png").Body)
	if first["version"] == second["version"] || second["version"] != version(pngImg) || second["content_type"] != "image/png" {
		t.Fatalf("replaced: %v, then %v", first, second)
	}
	// The old version's URL and ETag now get the new photo, not kept.
	r := h.Do("GET", path+"?v="+first["version"].(string), h.Worker(w), nil, "If-None-Match", `"`+first["version"].(string)+`"`)
	if r.Status != 200 || !bytes.Equal(r.Raw, pngImg) || r.Header.Get("Content-Type") != "image/png" ||
		r.Header.Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("the old version's URL: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"))
	}
	if n := h.count("SELECT count(*) FROM item_photos WHERE item_id = $1", item); n != 1 {
		t.Fatalf("%d photos after a replacement", n)
	}

	r = h.Must(200, "DELETE", path, admin, nil)
	if _, has := r.Body["photo"]; has || r.Str("id") != item {
		t.Fatalf("removed: %s", r.Raw)
	}
	if r := h.Do("GET", path, h.Worker(w), nil); r.Status != 404 || r.Str("detail") != "photo not found" {
		t.Fatalf("GET after removal: %d %s", r.Status, r.Raw)
	}
	items := h.Must(200, "GET", "/v1/stores/"+h.storeOf(item)+"/items", h.Worker(w), nil).Items()
	if _, has := items[0].(map[string]any)["photo"]; has {
		t.Fatalf("the list still shows a photo: %v", items)
	}
	if r := h.Must(200, "DELETE", path, admin, nil); r.Body["photo"] != nil {
		t.Fatalf("removed again: %s", r.Raw)
	}
	if n := h.count("SELECT count(*) FROM item_photos"); n != 0 {
		t.Fatalf("%d photos after removal", n)
	}
}
