package places_test

import (
	"context"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/places"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestKnown_acceptsOnlyPlacesTheRegistryCreatedAndLearnsNewOnes: a token's
// street or community is known once it is in the projection, a place
// created later is accepted without a restart, and one never created is
// refused however often it is asked for.
func TestKnown_acceptsOnlyPlacesTheRegistryCreatedAndLearnsNewOnes(t *testing.T) {
	ctx := context.Background()
	pool, err := db.Open(ctx, testenv.Postgres(t), "svc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := db.Migrate(ctx, pool, "svc", places.Migrations()); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO streets (code) VALUES ('qishan');
		INSERT INTO communities (street, code) VALUES ('qishan', 'tashan')`); err != nil {
		t.Fatal(err)
	}
	k := places.NewKnown(pool)
	check := func(street, community string, want bool) {
		t.Helper()
		for range 2 { // the second answer comes from memory when known
			got, err := k.Known(ctx, street, community)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("Known(%q, %q) = %v, want %v", street, community, got, want)
			}
		}
	}
	check("qishan", "", true)
	check("qishan", "tashan", true)
	check("atlantis", "", false)
	check("qishan", "atlantis", false)
	check("zhifu", "tashan", false) // tashan is qishan's
	check("", "tashan", false)

	if _, err := pool.Exec(ctx, `INSERT INTO streets (code) VALUES ('atlantis');
		INSERT INTO communities (street, code) VALUES ('atlantis', 'poseidonia')`); err != nil {
		t.Fatal(err)
	}
	check("atlantis", "", true)
	check("atlantis", "poseidonia", true)

	pool.Close() // what is known is remembered; the rest needs the database
	check("qishan", "tashan", true)
	if _, err := k.Known(ctx, "laishan", ""); err == nil {
		t.Fatal("an unknown street was refused without asking the database")
	}
}
