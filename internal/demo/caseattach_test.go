package demo_test

import (
	"testing"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/demo"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// The demo's cases with attacking addresses come with a log excerpt, and the partner's
// reply with its analysis.
func TestDemoCaseFiles(t *testing.T) {
	env := testapp.New(t, testdb.SQLite(t))
	if res, err := demo.Load(testapp.Ctx(), env.App); err != nil || !res.Loaded {
		t.Fatalf("demo.Load: %v %v", res, err)
	}
	sys := auth.System()
	items, _, err := env.Desk.List(testapp.Ctx(), sys, desk.ListQuery{Limit: store.MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	withFiles, onMessages := 0, 0
	for _, it := range items {
		files, err := env.Desk.Attachments(testapp.Ctx(), sys, it.Case.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) > 0 {
			withFiles++
		}
		for _, f := range files {
			if f.MessageID != 0 {
				onMessages++
			}
		}
	}
	if withFiles == 0 || onMessages != 1 {
		t.Errorf("%d demo cases with files, %d files on messages (want some, and the partner's one)", withFiles, onMessages)
	}
}
