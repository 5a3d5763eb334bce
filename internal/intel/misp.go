package intel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/ioc"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/stix"
	"github.com/renkei-dev/renkei/internal/store"
)

// MISP import: one MISP event (the MISP JSON event format, which is also what each event
// file of a MISP feed holds) becomes STIX indicators in a collection. The file is read
// twice from a temporary copy, one attribute at a time, so that memory does not grow with
// its size: first for the event's tags (its TLP, which may come after the attributes),
// then for the attributes, written a batch at a time. Each attribute's indicator has an
// id derived from the attribute's uuid and its timestamp as modified, so importing the
// same event again adds nothing and an updated attribute becomes a new version.

// MaxMISPBytes bounds one imported file.
const MaxMISPBytes = 1 << 30

// mispBatch is how many indicators one write transaction adds.
const mispBatch = 500

// mispNamespace makes the ids of imported indicators from the attributes' uuids.
const mispNamespace = "0e8b3a77-8f0c-4b5e-a0a4-7c5d2f9e6b13"

// MISPResult counts what an import did.
type MISPResult struct {
	Event      string // the event's info
	Attributes int    // attributes read
	Created    int    // indicator versions added
	Skipped    int    // attributes of a type that is not an indicator value here, or already imported
	Errors     []string
}

// MaxMISPErrors bounds the error messages kept.
const MaxMISPErrors = 100

type mispTagJSON struct {
	Name string `json:"name"`
}

type mispAttr struct {
	UUID      string          `json:"uuid"`
	Type      string          `json:"type"`
	Value     string          `json:"value"`
	ToIDS     json.RawMessage `json:"to_ids"`
	Timestamp json.RawMessage `json:"timestamp"`
	Comment   string          `json:"comment"`
	Tag       []mispTagJSON   `json:"Tag"`
}

// tlpOfTags returns the most restrictive tlp: tag, or "" when there is none.
func tlpOfTags(tags []mispTagJSON) model.TLP {
	best := model.TLP("")
	rank := map[model.TLP]int{"": 0, model.TLPClear: 1, model.TLPGreen: 2, model.TLPAmber: 3, model.TLPAmberStrict: 4, model.TLPRed: 5}
	for _, t := range tags {
		name, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(t.Name)), "tlp:")
		if !ok {
			continue
		}
		tlp, err := model.ParseTLP(name)
		if err == nil && rank[tlp] > rank[best] {
			best = tlp
		}
	}
	return best
}

// visitJSON reads one JSON value from dec; where fn handles the path (it returns true),
// fn reads the value itself.
func visitJSON(dec *json.Decoder, path string, fn func(path string) (bool, error)) error {
	if ok, err := fn(path); ok || err != nil {
		return err
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := k.(string)
			if err := visitJSON(dec, path+"."+key, fn); err != nil {
				return err
			}
		}
	case '[':
		for dec.More() {
			if err := visitJSON(dec, path+"[]", fn); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

// mispPath strips the wrappers MISP puts around an event ({"response": [...]}).
func mispPath(p string) string { return strings.TrimPrefix(p, ".response[]") }

// ImportMISP reads one MISP event from r into a collection the person may write.
func (s *Service) ImportMISP(ctx context.Context, p auth.Principal, collectionID int64, r io.Reader) (MISPResult, error) {
	var res MISPResult
	coll, err := s.CollectionByID(ctx, p, collectionID)
	if err != nil {
		return res, err
	}
	if !coll.CanWrite {
		return res, forbidden()
	}
	f, err := os.CreateTemp("", "renkei-misp-*.json")
	if err != nil {
		return res, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	n, err := io.Copy(f, io.LimitReader(r, MaxMISPBytes+1))
	if err != nil {
		return res, err
	}
	if n > MaxMISPBytes {
		return res, fault.New(fault.TooLarge, "intel.misp_too_large")
	}
	bad := func(err error) error {
		return fault.Field("file", "intel.misp_bad", "detail", err.Error())
	}
	// Pass 1: the event's info and tags.
	var eventTags []mispTagJSON
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return res, err
	}
	dec := json.NewDecoder(f)
	sawEvent := false
	err = visitJSON(dec, "", func(path string) (bool, error) {
		switch mispPath(path) {
		case ".Event":
			sawEvent = true
		case ".Event.info":
			return true, dec.Decode(&res.Event)
		case ".Event.Tag[]", ".Event.EventTag[].Tag":
			var t mispTagJSON
			err := dec.Decode(&t)
			eventTags = append(eventTags, t)
			return true, err
		case ".Event.Attribute", ".Event.Object":
			return false, nil
		}
		return false, nil
	})
	if err != nil {
		return res, bad(err)
	}
	if !sawEvent {
		return res, bad(errors.New("no Event"))
	}
	eventTLP := tlpOfTags(eventTags)
	// Pass 2: the attributes, a batch at a time.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return res, err
	}
	identID := ""
	if err := s.db.Write(ctx, func(c store.Conn) error {
		var err error
		identID, _, err = orgIdentity(ctx, c, p.Org, s.now().UTC())
		return err
	}); err != nil {
		return res, err
	}
	var batch [][]byte
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		added, err := s.addRaw(ctx, p, coll, batch)
		res.Created += added
		res.Skipped += len(batch) - added
		batch = batch[:0]
		return err
	}
	note := func(format string, args ...any) {
		if len(res.Errors) < MaxMISPErrors {
			res.Errors = append(res.Errors, fmt.Sprintf(format, args...))
		}
	}
	dec = json.NewDecoder(f)
	err = visitJSON(dec, "", func(path string) (bool, error) {
		switch mispPath(path) {
		case ".Event.Attribute[]", ".Event.Object[].Attribute[]":
		default:
			return false, nil
		}
		var a mispAttr
		if err := dec.Decode(&a); err != nil {
			return true, err
		}
		res.Attributes++
		raws, skip, err := s.mispIndicators(a, identID, eventTLP, model.TLP(coll.DefaultTLP))
		if err != nil {
			note("attribute %s (%s): %v", a.UUID, a.Type, err)
			res.Skipped++
			return true, nil
		}
		if skip {
			res.Skipped++
			return true, nil
		}
		batch = append(batch, raws...)
		if len(batch) >= mispBatch {
			return true, flush()
		}
		return true, ctx.Err()
	})
	if err != nil {
		return res, bad(err)
	}
	if err := flush(); err != nil {
		return res, err
	}
	err = s.db.Write(ctx, func(c store.Conn) error {
		_, err := audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "intel.indicators_created", TargetType: "collection",
			TargetID: coll.ID, Detail: map[string]any{"misp_event": res.Event, "created": res.Created, "attributes": res.Attributes}}, s.now())
		return err
	})
	return res, err
}

// mispKinds maps MISP attribute types to the value kinds of indicators; composite types
// take their first part.
var mispKinds = map[string]ioc.Kind{
	"ip-dst": "", "ip-src": "", "ip-dst|port": "", "ip-src|port": "",
	"domain": ioc.Domain, "hostname": ioc.Domain, "domain|ip": ioc.Domain, "hostname|port": ioc.Domain,
	"url": ioc.URL, "uri": ioc.URL, "link": ioc.URL,
	"email": ioc.Email, "email-src": ioc.Email, "email-dst": ioc.Email,
	"md5": ioc.MD5, "sha1": ioc.SHA1, "sha256": ioc.SHA256,
	"filename|md5": ioc.MD5, "filename|sha1": ioc.SHA1, "filename|sha256": ioc.SHA256,
}

// mispIndicators makes the indicator of one attribute; skip is true for a type that is not
// an indicator value here, or an attribute not meant for detection (to_ids false).
func (s *Service) mispIndicators(a mispAttr, identID string, eventTLP, def model.TLP) ([][]byte, bool, error) {
	kind, ok := mispKinds[a.Type]
	if !ok || !toIDS(a.ToIDS) {
		return nil, true, nil
	}
	value := strings.TrimSpace(a.Value)
	if strings.HasPrefix(a.Type, "filename|") {
		_, value, _ = strings.Cut(value, "|")
	} else if i := strings.IndexByte(value, '|'); i >= 0 {
		value = value[:i]
	}
	switch kind {
	case "":
		if pfx, err := netip.ParsePrefix(value); err == nil {
			kind = ioc.CIDR
			if pfx.IsSingleIP() {
				kind, value = ioc.IPv4, pfx.Addr().String()
				if pfx.Addr().Is6() {
					kind = ioc.IPv6
				}
			}
		} else if addr, err := netip.ParseAddr(value); err == nil {
			kind, value = ioc.IPv4, addr.String()
			if addr.Is6() {
				kind = ioc.IPv6
			}
		} else {
			return nil, false, fmt.Errorf("%q is not an address", value)
		}
	case ioc.Domain, ioc.Email, ioc.MD5, ioc.SHA1, ioc.SHA256:
		value = strings.ToLower(value)
	}
	tlp := tlpOfTags(a.Tag)
	if tlp == "" {
		tlp = eventTLP
	}
	if tlp == "" {
		tlp = def
	}
	ts := strings.Trim(string(a.Timestamp), `"`)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec <= 0 {
		sec = s.now().Unix()
	}
	created := time.Unix(sec, 0).UTC()
	spec := stix.IndicatorSpec{Kind: kind, Value: value, Description: a.Comment, CreatedBy: identID, Created: created, TLP: tlp,
		Labels: []string{"misp"}}
	if stix.IsUUID(strings.ToLower(a.UUID)) {
		spec.IDNamespace = stix.UUIDv5(mispNamespace, strings.ToLower(a.UUID))
	} else {
		spec.IDNamespace = mispNamespace
	}
	raw, err := stix.NewIndicator(spec)
	if err != nil {
		return nil, false, err
	}
	return [][]byte{raw}, false, nil
}

// addRaw stores valid objects made here in a collection, in one transaction, and returns
// how many versions were new.
func (s *Service) addRaw(ctx context.Context, p auth.Principal, coll Collection, raws [][]byte) (int, error) {
	n := 0
	now := s.now()
	var written batch
	err := s.db.Write(ctx, func(c store.Conn) error {
		last, err := store.LockCollection(ctx, c, coll.ID)
		if err != nil {
			return err
		}
		vs := make([]store.StixVersion, 0, len(raws))
		vals := make([][]store.StixValue, 0, len(raws))
		for _, raw := range raws {
			obj, err := stix.Decode(raw)
			if err != nil {
				return err
			}
			last = max(last+1, now.UnixMicro())
			v := versionOf(obj, coll.IntelCollection, p)
			v.DateAdded = last
			vs, vals = append(vs, v), append(vals, valuesOf(obj))
		}
		added, err := store.InsertVersions(ctx, c, vs, vals)
		if err != nil {
			return err
		}
		written = batch{vs, vals}
		for _, a := range added {
			if a {
				n++
			}
		}
		return store.SetLastAdded(ctx, c, coll.ID, last)
	})
	if err == nil {
		s.announce(written)
	}
	return n, err
}

// toIDS reads to_ids (true, false, "1", "0", 1, 0); absent means true.
func toIDS(raw json.RawMessage) bool {
	switch strings.Trim(strings.TrimSpace(string(raw)), `"`) {
	case "false", "0":
		return false
	}
	return true
}
