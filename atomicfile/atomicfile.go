// Package atomicfile writes files so that readers, and a run interrupted at
// any moment, see either the old content or the complete new content, never a
// half-written file.
package atomicfile

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
)

// TempPrefix starts the names of temporary files; a crash can leave them
// behind, and Clean removes them.
const TempPrefix = ".tmp-"

// Write creates path with the bytes that write produces: it writes a temporary
// file in the same directory, syncs it and renames it over path.
func Write(path string, write func(w io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), TempPrefix+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriter(f)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// WriteBytes is Write for content already in memory.
func WriteBytes(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Clean removes the temporary files an interrupted Write left in dir.
func Clean(dir string) error {
	matches, err := filepath.Glob(filepath.Join(dir, TempPrefix+"*"))
	if err != nil {
		return err
	}
	for _, m := range matches {
		if err := os.Remove(m); err != nil {
			return err
		}
	}
	return nil
}
