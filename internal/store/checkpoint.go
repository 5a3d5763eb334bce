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
// blocking readers or the writer (PASSIVE), and journal_size_limit trims the log file
// once it has been copied, so the file on disk stays bounded.

// CheckpointEvery is how often the checkpointer copies the log into the database.
const CheckpointEvery = time.Second

// walLimitBytes is the size the log file is trimmed back to after a checkpoint.
const walLimitBytes = 64 << 20

type checkpointer struct {
	conn *sql.DB
	stop chan struct{}
	done sync.WaitGroup
}

func startCheckpointer(dsn string, every time.Duration) (*checkpointer, error) {
	conn, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	conn.SetMaxOpenConns(1)
	c := &checkpointer{conn: conn, stop: make(chan struct{})}
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
			// An error (a busy database, a closing file) is retried at the next tick.
			_, _, _ = c.passive(context.Background())
		}
	}
}

// passive runs one PASSIVE checkpoint and reports the log frames and how many were copied.
func (c *checkpointer) passive(ctx context.Context) (walFrames, copied int, err error) {
	var busy int
	err = c.conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &walFrames, &copied)
	return walFrames, copied, err
}

func (c *checkpointer) close() error {
	close(c.stop)
	c.done.Wait()
	return c.conn.Close()
}

// Checkpoint copies the SQLite write-ahead log into the database now and reports the
// log frames and how many of them were copied; on PostgreSQL it does nothing.
func (db *DB) Checkpoint(ctx context.Context) (walFrames, copied int, err error) {
	if db.checkpoints == nil {
		return 0, 0, nil
	}
	return db.checkpoints.passive(ctx)
}
