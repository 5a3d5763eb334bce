package intel

import (
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
)

// batch is what one write stored: versions and the observable values of each.
type batch struct {
	versions []store.StixVersion
	values   [][]store.StixValue
}

// Shared is one stored indicator's observable values, for OnShared.
type Shared struct {
	Source string
	Values []string
}

// OnShared registers a function called, after the commit, with the observable values of
// the indicators stored (by TAXII, pasted entry or MISP import); the source names the
// indicator ("indicator:<STIX id>", the same for all its versions). The app uses it to
// tell organizations whose registered addresses or domains an indicator names. TLP:RED
// indicators are left out: they are for the people who added them only.
func (s *Service) OnShared(fn func([]Shared)) { s.shared = append(s.shared, fn) }

func (s *Service) announce(b batch) {
	if len(s.shared) == 0 {
		return
	}
	var items []Shared
	for i, v := range b.versions {
		if v.TLP == string(model.TLPRed) || i >= len(b.values) || len(b.values[i]) == 0 {
			continue
		}
		values := make([]string, len(b.values[i]))
		for j, x := range b.values[i] {
			values[j] = x.Value
		}
		items = append(items, Shared{Source: "indicator:" + v.StixID, Values: values})
	}
	if len(items) == 0 {
		return
	}
	for _, fn := range s.shared {
		fn(items)
	}
}
