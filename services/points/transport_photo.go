package points

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/route"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// mountItemPhotos mounts an item's photo. It is not JSON either way: PUT
// takes the image's bytes as the body, GET answers them (with its own
// encoder); PUT and DELETE answer the item as JSON.
func mountItemPhotos(rt route.Router, svc *Service) {
	rt.Handle("PUT /v1/items/{id}/photo", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[PhotoUpload])
		return svc.SetItemPhoto(ctx, p, r.ID, r.In)
	}), decodePhotoUpload)
	rt.Handle("DELETE /v1/items/{id}/photo", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.DeleteItemPhoto(ctx, p, req.(uuid.UUID))
	}), itemID)
	rt.HandleWith("GET /v1/items/{id}/photo", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		ref := req.(photoRef)
		f, err := svc.ItemPhotoFile(ctx, p, ref.ID, func(version string) bool { return etagMatches(ref.ifNoneMatch, version) })
		if err != nil {
			return nil, err
		}
		return photoAnswer{PhotoFile: f, immutable: ref.v == f.Version}, nil
	}), decodePhotoRef, encodeItemPhoto)
}

// itemID decodes an item's path {id}.
var itemID = route.PathID("id", errItemNotFound)

func photoBodyErr(status int, code, msg string) error {
	return &httpx.BodyError{Status: status, Field: validate.FieldError{Field: "photo", Code: code, Message: msg}}
}

// decodePhotoUpload reads a photo sent as the body itself, of a photo
// content type (else 415, as a JSON route answers a body that is not
// JSON), at most MaxPhotoBytes (reading stops there: 413). What the bytes
// are is checked by the service. The route takes no query parameter: one
// is refused before the body is read.
func decodePhotoUpload(ctx context.Context, r *http.Request) (any, error) {
	id, err := itemID(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := httpx.QueryFrom(ctx, r).Err(); err != nil {
		return nil, err
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !slices.Contains(PhotoTypes, mt) {
		return nil, photoBodyErr(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"the body must be the image itself, sent as image/jpeg, image/png or image/webp")
	}
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxPhotoBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, photoBodyErr(http.StatusRequestEntityTooLarge, "too_large", "a photo may be at most 1 MiB (1048576 bytes)")
		}
		return nil, photoBodyErr(http.StatusBadRequest, "unreadable", "the body could not be read to its end")
	}
	return route.WithID[PhotoUpload]{ID: id.(uuid.UUID), In: PhotoUpload{ContentType: mt, Data: data}}, nil
}

// photoRef asks for an item's photo: v is the version the client put in
// the URL, ifNoneMatch the ETags it holds.
type photoRef struct {
	ID          uuid.UUID
	v           string
	ifNoneMatch string
}

func decodePhotoRef(ctx context.Context, r *http.Request) (any, error) {
	id, err := itemID(ctx, r)
	if err != nil {
		return nil, err
	}
	q := httpx.QueryFrom(ctx, r)
	ref := photoRef{ID: id.(uuid.UUID), v: q.Text("v"), ifNoneMatch: r.Header.Get("If-None-Match")}
	return ref, q.Err()
}

// etagMatches reports whether an If-None-Match header names version's
// ETag, by the weak comparison RFC 9110 asks of If-None-Match.
func etagMatches(header, version string) bool {
	if strings.TrimSpace(header) == "*" {
		return true
	}
	for _, tag := range strings.Split(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(tag), "W/") == `"`+version+`"` {
			return true
		}
	}
	return false
}

// photoAnswer is a photo to send; immutable when the URL names its
// version, so a browser may keep it for good (a new photo is a new URL).
type photoAnswer struct {
	PhotoFile
	immutable bool
}

// encodeItemPhoto answers a photo's bytes, or 304 when the caller holds
// them already. The photo is in memory (at most 1 MiB): a failure to write
// it is the client gone, with nothing left to tell it.
func encodeItemPhoto(_ context.Context, w http.ResponseWriter, resp any) error {
	a := resp.(photoAnswer)
	h := w.Header()
	h.Set("ETag", `"`+a.Version+`"`)
	// Photos are only for those who may see the store: browsers may keep
	// them, shared caches may not.
	if a.immutable {
		h.Set("Cache-Control", "private, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "private, no-cache")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	if a.NotModified {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(a.Data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(a.Data)
	return nil
}
