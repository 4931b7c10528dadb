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
// connection of its own (PASSIVE: it waits for no reader and no writer), and
// seldom: after checkpointEvery writes, or every checkpointInterval when
// there were any. Seldom matters too: the pages every write touches (the last
// leaf of each table and index) are copied once per checkpoint, so fewer
// checkpoints copy far fewer pages, and that I/O competes with the commits'
// fsyncs. The writer keeps SQLite's automatic checkpoint, at
// autoCheckpointPages, as a safety net should the background one fall behind.
const (
	checkpointEvery     = 1000 // writes (callbacks, session saves, InTx): some 9000 pages, 36 MB of log
	checkpointInterval  = 10 * time.Second
	autoCheckpointPages = 20000 // 80 MB of log
)

// writerDSN is DSN with the writer's automatic checkpoint moved out of the
// way of the background one, and the writer's own pragmas (writerPragmas).
func writerDSN(path string) string {
	pragmas := append([]string{"wal_autocheckpoint(" + strconv.Itoa(autoCheckpointPages) + ")"}, writerPragmas...)
	return DSN(path) + "&" + url.Values{"_pragma": pragmas}.Encode()
}

type checkpointer struct {
	db      *sql.DB
	pending atomic.Int64 // writes since the last checkpoint
	runs    atomic.Int64
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

func newCheckpointer(path string) (*checkpointer, error) {
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
	c := &checkpointer{db: cdb, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
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
		var busy, log, done int
		// An error (a busy database file, a full disk) leaves the log for
		// the next run or for the writer's own checkpoint.
		if err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done); err == nil {
			c.runs.Add(1)
		}
	}
}

func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.db.Close()
}
