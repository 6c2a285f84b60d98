package identity

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/nuanxin/nuanxin/pkg/pii"
)

// SMS sends a rider their one-time code. The real gateways (China Mobile,
// Alibaba Cloud, Tencent Cloud) come with the notification channels; in
// development the code is printed to the service's log (DevSMS).
type SMS interface {
	SendCode(ctx context.Context, mobile, code string) error
}

// DevSMS "sends" a code by printing it, with the mobile masked, as one
// line on W — the dev log, where `make run` tells developers to look. It
// is for development only: selected by IDENTITY_SMS_PROVIDER=log, and the
// service warns at start that codes are printed. It writes beside the
// structured log, not through it: no log line carries a code.
type DevSMS struct {
	W  io.Writer
	mu sync.Mutex
}

// SendCode prints the code.
func (d *DevSMS) SendCode(_ context.Context, mobile, code string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, err := fmt.Fprintf(d.W, "DEV SMS %s to %s: 【暖新】验证码 %s，5分钟内有效。\n",
		time.Now().Format(time.RFC3339), pii.MaskMobile(mobile), code)
	return err
}
