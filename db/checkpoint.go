package db

import (
	"context"
	"database/sql"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"
)

// Checkpoints. In WAL mode SQLite copies the log back into the database file
// (a checkpoint) by default inside the commit that takes the log past 1000
// pages: that commit, and every write queued behind it, waits for the
// database file to be written and fsynced (with one callback per commit,
// writing some ten pages each, that was every hundredth callback, and most of
// the callbacks' p99). Lapak checkpoints in the background instead, from a
// connection of its own (PASSIVE: it waits for no reader and no writer),
// after checkpointEvery writes, or every checkpointInterval when there were
// any. The writer keeps SQLite's automatic checkpoint, at
// autoCheckpointPages, as a safety net should the background one fall behind.
//
// The log restarts from its beginning (instead of growing) only at a write
// that finds every frame of it copied. Under a steady stream of writes that
// never happens by itself: the writer appends while a background pass
// copies, so each pass leaves the frames of the writes made meanwhile, and
// the log grew to the safety net, where the writer's own checkpoint — in a
// commit, every write queued behind it — copied the rest and fsynced the
// database: a stall of 0.3–0.45 s every ~1,400 callbacks at 16 senders,
// most of their p99. So once the log is past restartFrames, a pass that
// writes raced with is finished with the writer held between two
// transactions (the group-commit token): it copies only what was written
// during the pass just made, then the next write restarts the log. That
// pause is one short copy and fsync every few hundred callbacks, and the
// log stays under ~40 MB.
const (
	checkpointEvery     = 300 // writes (callbacks, session saves, InTx): some 4000 pages of callbacks, 16 MB of log
	checkpointInterval  = 10 * time.Second
	restartFrames       = 8000  // 32 MB of log: finish a pass with the writer held, so that the log restarts
	autoCheckpointPages = 20000 // 80 MB of log
)

// writerDSN is DSN with the writer's automatic checkpoint moved out of the
// way of the background one, and the writer's own pragmas (writerPragmas).
func writerDSN(path string) string {
	pragmas := append([]string{"wal_autocheckpoint(" + strconv.Itoa(autoCheckpointPages) + ")"}, writerPragmas...)
	return DSN(path) + "&" + url.Values{"_pragma": pragmas}.Encode()
}

type checkpointer struct {
	db *sql.DB
	// hold takes the writer between two transactions and returns what gives
	// it back (the batcher's token).
	hold     func() (release func())
	pending  atomic.Int64 // writes since the last checkpoint
	runs     atomic.Int64
	finishes atomic.Int64 // passes finished with the writer held
	kick     chan struct{}
	stop     chan struct{}
	done     chan struct{}
}

func newCheckpointer(path string, hold func() (release func())) (*checkpointer, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "synchronous("+Synchronous+")")
	cdb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	cdb.SetMaxOpenConns(1)
	cdb.SetMaxIdleConns(1)
	cdb.SetConnMaxIdleTime(0)
	c := &checkpointer{db: cdb, hold: hold, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c, nil
}

// wrote counts n committed writes.
func (c *checkpointer) wrote(n int) {
	if c.pending.Add(int64(n)) >= checkpointEvery {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

func (c *checkpointer) loop() {
	defer close(c.done)
	tick := time.NewTicker(checkpointInterval)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		case <-tick.C:
		}
		if c.pending.Swap(0) == 0 {
			continue
		}
		frames, ok := c.checkpoint()
		if !ok || frames < restartFrames || c.pending.Load() == 0 {
			continue
		}
		// A long log that writes committed during the pass keep from
		// restarting: finish the pass with the writer held, so that every
		// frame is copied and the next write restarts the log.
		release := c.hold()
		c.pending.Store(0) // nothing writes now; this pass covers them
		if _, ok := c.checkpoint(); ok {
			c.finishes.Add(1)
		}
		release()
	}
}

// checkpoint runs one PASSIVE checkpoint and returns the log's length in
// frames; ok is false when it could not run. An error (a busy database
// file, a full disk) leaves the log for the next run or for the writer's own
// checkpoint.
func (c *checkpointer) checkpoint() (frames int, ok bool) {
	var busy, log, done int
	if err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done); err != nil {
		return 0, false
	}
	c.runs.Add(1)
	return log, true
}

func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.db.Close()
}
