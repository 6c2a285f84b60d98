package pii

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// testKeys returns two distinct, fixed 32-byte keys.
func testKeys() (encKey, hashKey []byte) {
	return bytes.Repeat([]byte{0x11}, KeySize), bytes.Repeat([]byte{0x22}, KeySize)
}

func newTestBox(t testing.TB) *Box {
	t.Helper()
	enc, hash := testKeys()
	b, err := NewBox(enc, hash)
	if err != nil {
		t.Fatalf("NewBox: %v", err)
	}
	return b
}

func TestNewBox_rejectsBadKeys(t *testing.T) {
	good1, good2 := testKeys()
	tests := []struct {
		name          string
		enc, hash     []byte
		wantInMessage string
	}{
		{"nil encryption key", nil, good2, "encryption key must be 32 bytes, got 0"},
		{"short encryption key", good1[:16], good2, "encryption key must be 32 bytes, got 16"},
		{"long hashing key", good1, append(bytes.Clone(good2), 0), "hashing key must be 32 bytes, got 33"},
		{"equal keys", good1, bytes.Clone(good1), "must be different"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBox(tt.enc, tt.hash)
			if err == nil || b != nil {
				t.Fatalf("NewBox = %v, %v, want nil and an error", b, err)
			}
			if !strings.Contains(err.Error(), tt.wantInMessage) {
				t.Errorf("error %q does not contain %q", err, tt.wantInMessage)
			}
		})
	}
}

func TestNewBoxFromBase64_decodesStandardBase64(t *testing.T) {
	enc, hash := testKeys()
	encB64 := base64.StdEncoding.EncodeToString(enc)
	hashB64 := base64.StdEncoding.EncodeToString(hash)

	fromB64, err := NewBoxFromBase64(encB64+"\n", " "+hashB64)
	if err != nil {
		t.Fatalf("NewBoxFromBase64: %v", err)
	}
	// Same keys must give the same hashes and open each other's seals.
	direct := newTestBox(t)
	if !bytes.Equal(fromB64.Hash("mobile", "13812345678"), direct.Hash("mobile", "13812345678")) {
		t.Error("box from base64 hashes differently from box from raw keys")
	}
	sealed, err := direct.Seal("张三", "worker.name")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fromB64.Open(sealed, "worker.name"); err != nil || got != "张三" {
		t.Errorf("Open = %q, %v, want 张三, nil", got, err)
	}
}

func TestNewBoxFromBase64_rejectsBadInput(t *testing.T) {
	enc, hash := testKeys()
	encB64 := base64.StdEncoding.EncodeToString(enc)
	hashB64 := base64.StdEncoding.EncodeToString(hash)
	tests := []struct {
		name          string
		enc, hash     string
		wantInMessage string
	}{
		{"empty encryption key", "", hashB64, "encryption key must be 32 bytes"},
		{"encryption key not base64", "not*base64", hashB64, "encryption key is not valid standard base64"},
		{"hashing key is URL-safe base64", encB64, "__" + hashB64[2:], "hashing key is not valid standard base64"},
		{"hashing key too short", encB64, base64.StdEncoding.EncodeToString(hash[:31]), "hashing key must be 32 bytes"},
		{"equal keys", encB64, encB64, "must be different"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewBoxFromBase64(tt.enc, tt.hash)
			if err == nil || !strings.Contains(err.Error(), tt.wantInMessage) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantInMessage)
			}
		})
	}
}

func TestBox_sealOpenRoundTrip(t *testing.T) {
	b := newTestBox(t)
	for _, plaintext := range []string{"", "13812345678", "11010519491231002X", "欧阳娜娜", strings.Repeat("长", 1000)} {
		sealed, err := b.Seal(plaintext, "worker.mobile")
		if err != nil {
			t.Fatalf("Seal(%q): %v", plaintext, err)
		}
		if sealed[0] != 1 {
			t.Errorf("version byte = %d, want 1", sealed[0])
		}
		if want := 1 + 12 + len(plaintext) + 16; len(sealed) != want {
			t.Errorf("len(sealed) = %d, want %d", len(sealed), want)
		}
		if plaintext != "" && bytes.Contains(sealed, []byte(plaintext)) {
			t.Errorf("sealed value contains the plaintext %q", plaintext)
		}
		got, err := b.Open(sealed, "worker.mobile")
		if err != nil || got != plaintext {
			t.Errorf("Open = %q, %v, want %q, nil", got, err, plaintext)
		}
	}
}

func TestBox_sealRejectsEmptyAAD(t *testing.T) {
	if _, err := newTestBox(t).Seal("13812345678", ""); err == nil {
		t.Error("Seal with empty aad succeeded, want an error")
	}
}

func TestBox_sealTwiceDiffersButHashIsEqual(t *testing.T) {
	b := newTestBox(t)
	first, err1 := b.Seal("11010519491231002X", "worker.id_number")
	second, err2 := b.Seal("11010519491231002X", "worker.id_number")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if bytes.Equal(first, second) {
		t.Error("two seals of the same value are equal; the nonce is not random")
	}
	if !bytes.Equal(b.Hash("id_number", "11010519491231002X"), b.Hash("id_number", "11010519491231002X")) {
		t.Error("Hash of the same value differs between calls")
	}
}

func TestBox_openRejectsBadInput(t *testing.T) {
	b := newTestBox(t)
	sealed, err := b.Seal("13812345678", "worker.mobile")
	if err != nil {
		t.Fatal(err)
	}
	otherEnc := bytes.Repeat([]byte{0x33}, KeySize)
	_, hashKey := testKeys()
	other, err := NewBox(otherEnc, hashKey)
	if err != nil {
		t.Fatal(err)
	}

	// modified returns a copy of sealed with byte i flipped.
	modified := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 0x01
		return c
	}
	tests := []struct {
		name   string
		box    *Box
		sealed []byte
		aad    string
		want   error
	}{
		{"nil", b, nil, "worker.mobile", ErrTooShort},
		{"shorter than header and tag", b, sealed[:1+12+15], "worker.mobile", ErrTooShort},
		{"unknown version", b, append([]byte{2}, sealed[1:]...), "worker.mobile", ErrUnknownVersion},
		{"tampered nonce", b, modified(1), "worker.mobile", ErrAuthentication},
		{"tampered ciphertext", b, modified(1 + 12), "worker.mobile", ErrAuthentication},
		{"tampered tag", b, modified(len(sealed) - 1), "worker.mobile", ErrAuthentication},
		{"truncated", b, sealed[:len(sealed)-1], "worker.mobile", ErrAuthentication},
		{"wrong aad (copied to another column)", b, sealed, "emergency_contact.mobile", ErrAuthentication},
		{"empty aad", b, sealed, "", ErrAuthentication},
		{"wrong key", other, sealed, "worker.mobile", ErrAuthentication},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.box.Open(tt.sealed, tt.aad)
			if !errors.Is(err, tt.want) {
				t.Errorf("Open error = %v, want %v", err, tt.want)
			}
			if got != "" {
				t.Errorf("Open returned %q together with an error", got)
			}
		})
	}
}

func TestBox_hashSeparatesKindsAndKeys(t *testing.T) {
	b := newTestBox(t)
	enc, _ := testKeys()
	otherHashKey, err := NewBox(enc, bytes.Repeat([]byte{0x44}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	base := b.Hash("mobile", "13812345678")
	if len(base) != 32 {
		t.Fatalf("len(Hash) = %d, want 32", len(base))
	}
	tests := []struct {
		name string
		got  []byte
	}{
		{"different kind", b.Hash("id_number", "13812345678")},
		{"different value", b.Hash("mobile", "13812345679")},
		{"different hashing key", otherHashKey.Hash("mobile", "13812345678")},
		// Without the separator, "mobile"+"1381..." would equal "mobile1"+"381...".
		{"kind and value boundary", b.Hash("mobile1", "3812345678")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if bytes.Equal(tt.got, base) {
				t.Error("hash equals the base hash, want different")
			}
		})
	}
}

func TestBox_printingDoesNotRevealKeys(t *testing.T) {
	b := newTestBox(t)
	for _, format := range []string{"%v", "%+v", "%s", "%#v"} {
		// Without String/GoString, fmt would print the hashing key bytes.
		if out := fmt.Sprintf(format, b); out != "pii.Box{keys redacted}" {
			t.Errorf("Sprintf(%q, box) = %q, want pii.Box{keys redacted}", format, out)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	box := newTestBox(b)
	for b.Loop() {
		if _, err := box.Seal("11010519491231002X", "worker.id_number"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	box := newTestBox(b)
	for b.Loop() {
		box.Hash("id_number", "11010519491231002X")
	}
}
