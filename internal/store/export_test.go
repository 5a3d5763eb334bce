package store

import (
	"context"
	"time"
)

// SetCheckpointing shortens the checkpointer's tick and log bound for a test; the
// returned function restores them. Only databases opened afterwards use the tick.
func SetCheckpointing(every time.Duration, frames int) func() {
	oldFrames := walRestartFrames
	walRestartFrames = frames
	oldEvery := checkpointEvery
	checkpointEvery = every
	return func() { walRestartFrames, checkpointEvery = oldFrames, oldEvery }
}

// CheckpointTick runs one tick of the SQLite checkpointer now.
func (db *DB) CheckpointTick(ctx context.Context) { db.checkpoints.tick(ctx) }
