package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// BackupInfo describes a backup Backup wrote.
type BackupInfo struct {
	Path    string
	Bytes   int64
	Version int64 // the schema's migration version
}

// Backup writes a consistent copy of the SQLite database at path to the new
// file out while Lapak may go on using it: VACUUM INTO reads one snapshot
// (a read transaction, so in WAL mode no writer waits for it) and writes it
// compacted, with every committed transaction up to that instant and none
// after. The copy is made under a temporary name next to out, synced to
// disk, checked (PRAGMA integrity_check) and only then given its name, so
// out is either a whole, checked backup or does not exist. out must not
// exist; a missing database is an error (nothing is created). Backup runs
// no migration: it copies the schema as it is.
func Backup(ctx context.Context, path, out string) (BackupInfo, error) {
	fail := func(err error) (BackupInfo, error) {
		return BackupInfo{}, fmt.Errorf("db: backup %s to %s: %w", path, out, err)
	}
	if st, err := os.Stat(path); err != nil {
		return fail(err)
	} else if !st.Mode().IsRegular() {
		return fail(fmt.Errorf("%s is not a database file", path))
	}
	if _, err := os.Lstat(out); err == nil {
		return fail(fmt.Errorf("%s exists already: a backup never overwrites a file", out))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fail(err)
	}
	// Not the read pool's query_only connection: SQLite counts VACUUM INTO
	// as a write, though it changes nothing here. mode=rw never creates.
	src, err := sql.Open("sqlite", "file:"+path+"?mode=rw&_pragma=busy_timeout(5000)")
	if err != nil {
		return fail(err)
	}
	defer src.Close()
	b := make([]byte, 6)
	rand.Read(b)
	tmp := filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".tmp-"+hex.EncodeToString(b))
	defer removeDB(tmp) // a no-op once tmp has become out
	if _, err := src.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return fail(err)
	}
	if err := src.Close(); err != nil {
		return fail(err)
	}
	// SQLite does not sync what VACUUM INTO wrote.
	if err := syncFile(tmp); err != nil {
		return fail(err)
	}
	info, err := checkBackup(ctx, tmp)
	if err != nil {
		return fail(err)
	}
	// Link, not rename: a file that appeared at out meanwhile is not
	// replaced. Where links are not supported, rename.
	if err := os.Link(tmp, out); errors.Is(err, fs.ErrExist) {
		return fail(fmt.Errorf("%s appeared during the backup: left alone", out))
	} else if err != nil {
		if err := os.Rename(tmp, out); err != nil {
			return fail(err)
		}
	}
	if err := syncFile(filepath.Dir(out)); err != nil {
		return fail(err)
	}
	info.Path = out
	return info, nil
}

// checkBackup opens the copy at path read-only, runs SQLite's integrity
// check and reads its size and schema version.
func checkBackup(ctx context.Context, path string) (BackupInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return BackupInfo{}, err
	}
	info := BackupInfo{Bytes: st.Size()}
	cp, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		return BackupInfo{}, err
	}
	defer cp.Close()
	var verdict string
	if err := cp.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&verdict); err != nil {
		return BackupInfo{}, fmt.Errorf("check the copy: %w", err)
	} else if verdict != "ok" {
		return BackupInfo{}, fmt.Errorf("check the copy: integrity_check says %q", verdict)
	}
	if err := cp.QueryRowContext(ctx, `SELECT coalesce(max(version_id), 0) FROM goose_db_version`).Scan(&info.Version); err != nil {
		return BackupInfo{}, fmt.Errorf("check the copy: schema version: %w", err)
	}
	return info, cp.Close()
}

// syncFile flushes the file or directory at path to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// removeDB removes a database file and what SQLite may have left next to it.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + suffix)
	}
}
