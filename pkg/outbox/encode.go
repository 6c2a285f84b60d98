package outbox

import (
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/nuanxin/nuanxin/pkg/event"
)

func marshal(e event.Envelope) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("marshal event %s: %w", e.Type, err)
	}
	return b, nil
}

func fsSub(f fs.FS, dir string) (fs.FS, error) { return fs.Sub(f, dir) }
