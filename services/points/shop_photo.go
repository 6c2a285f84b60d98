package points

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// An item of the supermarket may have one photo, kept in Postgres with the
// item (they are few and small, and replicas share no volume).

// ItemPhoto describes an item's photo; its bytes are fetched on their own
// (GET /v1/items/{id}/photo?v=<version>).
type ItemPhoto struct {
	ContentType string    `json:"content_type"`
	Size        int       `json:"size"`    // in bytes
	Version     string    `json:"version"` // the first 16 hex digits of the bytes' SHA-256
	UpdatedAt   time.Time `json:"updated_at"`
}

// MaxPhotoBytes is the largest photo an item takes.
const MaxPhotoBytes = 1 << 20

// PhotoTypes are the content types a photo may have.
var PhotoTypes = []string{"image/jpeg", "image/png", "image/webp"}

// PhotoUpload is a photo as sent: its declared content type and its bytes.
type PhotoUpload struct {
	ContentType string
	Data        []byte
}

// PhotoFile is an item's photo to answer with: its description and bytes,
// or only its description when the caller holds this version already
// (NotModified).
type PhotoFile struct {
	ItemPhoto
	Data        []byte
	NotModified bool
}

var errPhotoNotFound = fault.NotFoundf("photo not found")

// photoNames name the photo types in messages.
var photoNames = map[string]string{"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP"}

// sniffPhoto returns the type of image b is by its first bytes, one of
// PhotoTypes, or "".
func sniffPhoto(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}):
		return "image/png"
	case len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")):
		return "image/webp"
	}
	return ""
}

// photoVersion is the version of a photo's bytes.
func photoVersion(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// SetItemPhoto puts a photo on an item, in place of any it had. Only the
// staff who manage the item's store may; the bytes must be an image of the
// type declared.
func (s *Service) SetItemPhoto(ctx context.Context, p auth.Principal, itemID uuid.UUID, up PhotoUpload) (Item, error) {
	if !p.IsStaff() {
		return Item{}, fault.Forbiddenf("only staff manage stores")
	}
	var c validate.Collector
	switch name, got := photoNames[up.ContentType], sniffPhoto(up.Data); {
	case len(up.Data) == 0:
		c.Add("photo", validate.CodeRequired, "send the image as the body")
	case len(up.Data) > MaxPhotoBytes:
		c.Add("photo", "too_large", fmt.Sprintf("a photo may be at most %d bytes (1 MiB)", MaxPhotoBytes))
	case name == "":
		c.Add("photo", validate.CodeInvalidFormat, "a photo must be image/jpeg, image/png or image/webp")
	case got == "":
		c.Add("photo", validate.CodeInvalidFormat, fmt.Sprintf("the body is not a %s image (nor a JPEG, PNG or WebP one)", name))
	case got != up.ContentType:
		c.Add("photo", validate.CodeInvalidFormat, fmt.Sprintf("the body is a %s image, not %s as its Content-Type says", photoNames[got], name))
	}
	if err := c.Err(); err != nil {
		return Item{}, err
	}
	if _, err := s.managedItem(ctx, p, itemID); err != nil {
		return Item{}, err
	}
	ph := ItemPhoto{ContentType: up.ContentType, Size: len(up.Data), Version: photoVersion(up.Data), UpdatedAt: s.now()}
	return s.store.SetItemPhoto(ctx, itemID, ph, up.Data)
}

// DeleteItemPhoto removes an item's photo; an item without one is answered
// as it is. Only the staff who manage the item's store may.
func (s *Service) DeleteItemPhoto(ctx context.Context, p auth.Principal, itemID uuid.UUID) (Item, error) {
	if !p.IsStaff() {
		return Item{}, fault.Forbiddenf("only staff manage stores")
	}
	if _, err := s.managedItem(ctx, p, itemID); err != nil {
		return Item{}, err
	}
	return s.store.DeleteItemPhoto(ctx, itemID, s.now())
}

// ItemPhotoFile answers an item's photo to whoever may see the item: those
// who may see its store, and for a rider only an item on sale (as in the
// store's list). When cached reports that the caller holds the photo's
// version already, its bytes are not read (NotModified).
func (s *Service) ItemPhotoFile(ctx context.Context, p auth.Principal, itemID uuid.UUID, cached func(version string) bool) (PhotoFile, error) {
	it, found, err := s.store.Item(ctx, itemID)
	if err != nil {
		return PhotoFile{}, err
	}
	if !found || (p.Role == auth.Worker && !it.Active) {
		return PhotoFile{}, errItemNotFound
	}
	if _, err := s.shopFor(ctx, p, it.StoreID, false); err != nil {
		if fault.KindOf(err) == fault.NotFound {
			return PhotoFile{}, errItemNotFound
		}
		return PhotoFile{}, err
	}
	if it.Photo == nil {
		return PhotoFile{}, errPhotoNotFound
	}
	if cached != nil && cached(it.Photo.Version) {
		return PhotoFile{ItemPhoto: *it.Photo, NotModified: true}, nil
	}
	ph, data, found, err := s.store.ItemPhoto(ctx, itemID)
	if err != nil {
		return PhotoFile{}, err
	}
	if !found { // removed since
		return PhotoFile{}, errPhotoNotFound
	}
	return PhotoFile{ItemPhoto: ph, Data: data}, nil
}
