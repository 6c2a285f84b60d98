package notification

import (
	"embed"
	"io/fs"

	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/outbox"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Schema is the Postgres schema the notification service owns.
const Schema = "notification"

// Migrations lists what db.Migrate applies: the platform's outbox, inbox and
// idempotency tables, then the service's own.
func Migrations() []db.Source {
	own, _ := fs.Sub(migrationFiles, "migrations")
	return []db.Source{outbox.Migrations(), consume.Migrations(), idempotency.Migrations(), {Name: "notification", FS: own}}
}
