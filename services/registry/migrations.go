package registry

import (
	"embed"
	"io/fs"

	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/outbox"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Schema is the Postgres schema the registry owns.
const Schema = "registry"

// Migrations lists what db.Migrate applies for the registry: the platform's
// outbox and idempotency tables, then the registry's own.
func Migrations() []db.Source {
	own, _ := fs.Sub(migrationFiles, "migrations")
	return []db.Source{outbox.Migrations(), idempotency.Migrations(), {Name: "registry", FS: own}}
}
