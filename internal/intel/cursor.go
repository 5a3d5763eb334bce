package intel

import (
	"strconv"
	"strings"
)

// A TAXII "next" cursor is the date_added (microseconds) of the last version of the page,
// which is unique and increasing within a collection: the next page starts after it, so
// versions added while a client pages appear once, at the end.
const cursorPrefix = "d"

func formatCursor(dateAdded int64) string {
	return cursorPrefix + strconv.FormatInt(dateAdded, 36)
}

func parseCursor(s string) (int64, error) {
	if !strings.HasPrefix(s, cursorPrefix) {
		return 0, strconv.ErrSyntax
	}
	n, err := strconv.ParseInt(s[len(cursorPrefix):], 36, 64)
	if err != nil || n <= 0 {
		return 0, strconv.ErrSyntax
	}
	return n, nil
}
