package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// SQLite copies the write-ahead log back into the database file in a checkpoint. Left to
// itself it does so inside the commit that crosses 1,000 log pages, and that commit then
// waits for the copy and its fsync: one write in a few hundred took ten times as long as
// the others. The writer therefore never checkpoints (wal_autocheckpoint=0); a
// checkpointer on its own connection copies the log every CheckpointEvery without
// blocking readers or the writer (PASSIVE). The log starts again from its beginning only
// when a write begins after everything in it was copied, which a writer that never pauses
// does not allow: past walRestartFrames the checkpointer copies the rest and empties the
// log (TRUNCATE), making writers wait meanwhile, so the file stays bounded under bulk
// loads too. journal_size_limit trims a log file that grew before a reset.

// checkpointEvery is how often the checkpointer copies the log into the database (a
// variable for the tests).
var checkpointEvery = time.Second

// walLimitBytes is the size the log file is trimmed back to after a checkpoint.
const walLimitBytes = 64 << 20

// walRestartFrames is the log length (pages) past which the checkpointer empties the log
// even if writers must wait: 64 MiB of 4 KiB pages. A variable for the tests.
var walRestartFrames = 16384

type checkpointer struct {
	conn   *sql.DB
	frames int // walRestartFrames when it started
	stop   chan struct{}
	done   sync.WaitGroup
	closed sync.Once // Close may be called twice (a test closes a database it also cleans up)
}

func startCheckpointer(dsn string, every time.Duration, frames int) (*checkpointer, error) {
	conn, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	conn.SetMaxOpenConns(1)
	c := &checkpointer{conn: conn, frames: frames, stop: make(chan struct{})}
	c.done.Add(1)
	go c.run(every)
	return c, nil
}

func (c *checkpointer) run(every time.Duration) {
	defer c.done.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.tick(context.Background())
		}
	}
}

// tick copies the log, and empties it when it has grown past walRestartFrames. An error
// (a busy database, a closing file) is retried at the next tick.
func (c *checkpointer) tick(ctx context.Context) {
	frames, _, err := c.passive(ctx)
	if err == nil && frames >= c.frames {
		_, _ = c.conn.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	}
}

// passive runs one PASSIVE checkpoint and reports the log frames and how many were copied.
func (c *checkpointer) passive(ctx context.Context) (walFrames, copied int, err error) {
	var busy int
	err = c.conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &walFrames, &copied)
	return walFrames, copied, err
}

func (c *checkpointer) close() error {
	var err error
	c.closed.Do(func() {
		close(c.stop)
		c.done.Wait()
		err = c.conn.Close()
	})
	return err
}

// Checkpoint copies the SQLite write-ahead log into the database now and reports the
// log frames and how many of them were copied; on PostgreSQL it does nothing.
func (db *DB) Checkpoint(ctx context.Context) (walFrames, copied int, err error) {
	if db.checkpoints == nil {
		return 0, 0, nil
	}
	return db.checkpoints.passive(ctx)
}
