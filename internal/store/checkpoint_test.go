package store_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/store"
)

// The SQLite writer never checkpoints inside a commit; the checkpointer copies the whole
// log, and the log file is trimmed once copied.
func TestSQLiteCheckpointsOffTheCommitPath(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var auto int
	if err := db.Write(ctx, func(c store.Conn) error {
		return c.QueryRow(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto)
	}); err != nil || auto != 0 {
		t.Fatalf("writer wal_autocheckpoint = %d, %v; want 0", auto, err)
	}
	if err := db.Write(ctx, func(c store.Conn) error {
		_, err := c.Exec(ctx, "CREATE TABLE filler (b BLOB)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	row := strings.Repeat("x", 4000)
	for range 30 {
		if err := db.Write(ctx, func(c store.Conn) error {
			for range 100 {
				if _, err := c.Exec(ctx, "INSERT INTO filler (b) VALUES (?)", row); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	frames, copied, err := db.Checkpoint(ctx)
	if err != nil || frames < 1000 || copied != frames {
		t.Fatalf("checkpoint: %d frames, %d copied, %v; want all of more than 1,000", frames, copied, err)
	}
	var n int
	if err := db.Read().QueryRow(ctx, "SELECT count(*) FROM filler").Scan(&n); err != nil || n != 3000 {
		t.Fatalf("%d rows after the checkpoint, %v", n, err)
	}
	st, err := os.Stat(db.Path() + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > 64<<20 {
		t.Errorf("log file %d bytes after a full checkpoint", st.Size())
	}
}

// A writer that never pauses leaves the log no moment at which it could start again from
// its beginning, so a log past its bound is emptied by the checkpointer; below the bound
// it only copies.
func TestSQLiteLogEmptiedPastItsBound(t *testing.T) {
	defer store.SetCheckpointing(time.Hour, 256)()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Write(ctx, func(c store.Conn) error {
		_, err := c.Exec(ctx, "CREATE TABLE filler (b BLOB)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	write := func(n int) {
		row := strings.Repeat("y", 4000)
		for range n {
			if err := db.Write(ctx, func(c store.Conn) error {
				_, err := c.Exec(ctx, "INSERT INTO filler (b) VALUES (?)", row)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	logSize := func() int64 {
		st, err := os.Stat(db.Path() + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	write(50) // about 100 pages: below the bound
	before := logSize()
	db.CheckpointTick(ctx)
	if after := logSize(); after != before || after == 0 {
		t.Errorf("below the bound the log went from %d to %d bytes; want it only copied", before, after)
	}
	write(300) // past the bound
	if logSize() < 256*4096 {
		t.Fatalf("log of %d bytes; the test wants it past the bound", logSize())
	}
	db.CheckpointTick(ctx)
	if after := logSize(); after != 0 {
		t.Errorf("past the bound the log is %d bytes after a tick; want it emptied", after)
	}
	var n int
	if err := db.Read().QueryRow(ctx, "SELECT count(*) FROM filler").Scan(&n); err != nil || n != 350 {
		t.Fatalf("%d rows, %v; want 350", n, err)
	}
}

// Closing a database twice is harmless, as database/sql's Close is.
func TestSQLiteCloseTwice(t *testing.T) {
	db, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db.Close()
}
