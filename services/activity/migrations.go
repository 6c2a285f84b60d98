package activity

import (
	"embed"
	"io/fs"

	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/outbox"
	"github.com/nuanxin/nuanxin/pkg/places"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Schema is the Postgres schema the activity service owns.
const Schema = "activity"

// Migrations lists what db.Migrate applies: the platform's outbox, inbox,
// idempotency and places tables, then the service's own.
func Migrations() []db.Source {
	own, _ := fs.Sub(migrationFiles, "migrations")
	return []db.Source{outbox.Migrations(), consume.Migrations(), idempotency.Migrations(), places.Migrations(),
		{Name: "activity", FS: own}}
}
