package activity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// PhotoStore keeps report photos under server-generated keys.
type PhotoStore interface {
	Put(ctx context.Context, key string, r io.Reader) error
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes a photo; a missing one is no error. It undoes a Put
	// whose report could not be stored.
	Delete(ctx context.Context, key string) error
}

// SetPhotos gives the service its photo store; without one, reports with
// photos fail.
func (s *Service) SetPhotos(ps PhotoStore) { s.photos = ps }

// DiskPhotos keeps photos as files in Dir.
type DiskPhotos struct {
	Dir string
}

func (d DiskPhotos) path(key string) (string, error) {
	if key == "" || !filepath.IsLocal(key) {
		return "", fmt.Errorf("photo key %q is not a local path", key)
	}
	return filepath.Join(d.Dir, filepath.FromSlash(key)), nil
}

// Put writes the photo to a temporary file and renames it into place, so a
// key names either a whole photo or nothing.
func (d DiskPhotos) Put(ctx context.Context, key string, r io.Reader) (err error) {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return fmt.Errorf("put photo: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".upload-*")
	if err != nil {
		return fmt.Errorf("put photo: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = io.Copy(f, r); err != nil {
		return fmt.Errorf("put photo: %w", err)
	}
	if err = ctx.Err(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("put photo: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("put photo: %w", err)
	}
	if err = os.Rename(f.Name(), p); err != nil {
		return fmt.Errorf("put photo: %w", err)
	}
	return nil
}

// Open opens a stored photo.
func (d DiskPhotos) Open(_ context.Context, key string) (io.ReadCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// Delete removes a stored photo.
func (d DiskPhotos) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
