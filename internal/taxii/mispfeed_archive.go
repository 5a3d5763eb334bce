package taxii

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/stix"
)

// An uploaded feed archive is unpacked before its import starts, so that every limit is
// checked while the person waits for the answer: the archive's size as sent, its number of
// entries, the size of each file and of all of them once unpacked (what a zip bomb
// inflates). Only manifest.json and {uuid}.json files are kept, under their base names,
// whatever folder the archive put them in; everything else is skipped.

func archiveFault(key string, args ...any) error { return fault.Field("archive", key, args...) }

// unpack reads an archive from r into a new directory under the importer's directory and
// returns that directory.
func (s *FeedImports) unpack(r io.Reader) (string, error) {
	if err := os.MkdirAll(s.opt.Dir, 0o700); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(s.opt.Dir, "upload-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	n, err := io.Copy(f, io.LimitReader(r, s.opt.Limits.ArchiveBytes+1))
	if err != nil {
		return "", err
	}
	if n > s.opt.Limits.ArchiveBytes {
		return "", fault.New(fault.TooLarge, "mispfeed.archive_too_large", "max", s.opt.Limits.ArchiveBytes).WithField("archive")
	}
	head := make([]byte, 4)
	if _, err := f.ReadAt(head, 0); err != nil {
		return "", archiveFault("mispfeed.bad_archive")
	}
	dir, err := os.MkdirTemp(s.opt.Dir, "feed-")
	if err != nil {
		return "", err
	}
	u := unpacker{dir: dir, lim: s.opt.Limits}
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		err = u.zip(f, n)
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		err = u.tarGz(f)
	default:
		err = archiveFault("mispfeed.bad_archive")
	}
	if err == nil && !u.manifest {
		err = archiveFault("mispfeed.archive_no_manifest")
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

type unpacker struct {
	dir      string
	lim      FeedLimits
	entries  int
	total    int64
	manifest bool
	seen     map[string]bool
}

// entry counts one archive entry and returns the name to keep it under, or "" to skip it.
func (u *unpacker) entry(name string, regular bool) (string, error) {
	if u.entries++; u.entries > u.lim.ArchiveEntries {
		return "", archiveFault("mispfeed.archive_too_many", "max", u.lim.ArchiveEntries)
	}
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	lower := strings.ToLower(base)
	if !regular || !(lower == "manifest.json" || (strings.HasSuffix(lower, ".json") && stix.IsUUID(strings.TrimSuffix(lower, ".json")))) {
		return "", nil
	}
	if u.seen == nil {
		u.seen = map[string]bool{}
	}
	if u.seen[lower] {
		return "", archiveFault("mispfeed.archive_duplicate", "name", base)
	}
	u.seen[lower] = true
	if lower == "manifest.json" {
		u.manifest = true
		return lower, nil
	}
	return base, nil
}

// write copies one kept file, counting its bytes as they are inflated.
func (u *unpacker) write(name string, r io.Reader) error {
	limit := u.lim.EventBytes
	if name == "manifest.json" {
		limit = u.lim.ManifestBytes
	}
	out, err := os.OpenFile(filepath.Join(u.dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(out, io.LimitReader(r, min(limit, u.lim.UnpackedBytes-u.total)+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return archiveFault("mispfeed.bad_archive_entry", "name", name)
	case n > u.lim.UnpackedBytes-u.total:
		return archiveFault("mispfeed.archive_unpacked_too_large", "max", u.lim.UnpackedBytes)
	case n > limit:
		return archiveFault("mispfeed.archive_file_too_large", "name", name, "max", limit)
	}
	u.total += n
	return nil
}

func (u *unpacker) zip(f *os.File, size int64) error {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return archiveFault("mispfeed.bad_archive")
	}
	if len(zr.File) > u.lim.ArchiveEntries {
		return archiveFault("mispfeed.archive_too_many", "max", u.lim.ArchiveEntries)
	}
	for _, zf := range zr.File {
		name, err := u.entry(zf.Name, zf.Mode().IsRegular())
		if err != nil || name == "" {
			if err != nil {
				return err
			}
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return archiveFault("mispfeed.bad_archive_entry", "name", name)
		}
		err = u.write(name, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (u *unpacker) tarGz(f *os.File) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	gz, err := gzip.NewReader(f)
	if err != nil {
		return archiveFault("mispfeed.bad_archive")
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return archiveFault("mispfeed.bad_archive")
		}
		name, err := u.entry(h.Name, h.Typeflag == tar.TypeReg)
		if err != nil {
			return err
		}
		if name == "" {
			// A skipped entry is still inflated to reach the next one.
			if u.total += max(h.Size, 0); u.total > u.lim.UnpackedBytes {
				return archiveFault("mispfeed.archive_unpacked_too_large", "max", u.lim.UnpackedBytes)
			}
			continue
		}
		if err := u.write(name, tr); err != nil {
			return err
		}
	}
}
