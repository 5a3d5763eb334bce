package cli

import (
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
)

// flagNames renames the fields of service errors to the flags that set them ("" names the
// flag for errors about no field), so that messages point at what to fix.
func flagNames(err error, names map[string]string) error {
	var l fault.List
	for _, fe := range fault.Fields(err) {
		if fe.Kind == fault.Internal {
			return err
		}
		if n, ok := names[fe.Field]; ok {
			fe = fe.WithField(n)
		}
		l = append(l, fe)
	}
	if len(l) == 1 {
		return l[0]
	}
	return l.Err()
}

func status(disabled bool) string {
	if disabled {
		return "disabled"
	}
	return "active"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(model.LoadLocation("")).Format("2006-01-02 15:04")
}

func trimSlash(s string) string { return strings.TrimRight(s, "/") }
