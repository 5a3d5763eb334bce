package taxii

import (
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/stix"
	"github.com/renkei-dev/renkei/internal/store"
)

// A collection exported as a MISP feed (/feeds/{collection}/misp/manifest.json and
// /feeds/{collection}/misp/{event}.json): one event per collection, whose uuid is the
// collection's, with one attribute per exported value, tagged with its TLP.

var mispTypes = map[string]string{
	"ipv4": "ip-dst", "ipv6": "ip-dst", "cidr": "ip-dst", "domain": "domain", "url": "url", "email": "email-src",
	"md5": "md5", "sha1": "sha1", "sha256": "sha256",
}

type mispTag struct {
	Name string `json:"name"`
}

type mispAttribute struct {
	UUID      string    `json:"uuid"`
	Type      string    `json:"type"`
	Category  string    `json:"category"`
	Value     string    `json:"value"`
	ToIDS     bool      `json:"to_ids"`
	Timestamp string    `json:"timestamp"`
	Comment   string    `json:"comment"`
	Tag       []mispTag `json:"Tag"`
}

func mispCategory(kind string) string {
	switch kind {
	case "md5", "sha1", "sha256":
		return "Payload delivery"
	}
	return "Network activity"
}

func mispTLP(t string) string { return "tlp:" + strings.ToLower(t) }

func (s *Server) feedMISP(w http.ResponseWriter, r *http.Request, p auth.Principal, coll, file string, q intel.ExportQuery) {
	k, err := s.app.Intel.Collection(r.Context(), p, coll)
	if err != nil {
		s.finish(w, r, &exporting{w: w}, err)
		return
	}
	info := map[string]any{"info": k.Title, "Orgc": map[string]any{"name": "Renkei", "uuid": k.UUID}, "date": k.CreatedAt.Format("2006-01-02"),
		"analysis": 2, "threat_level_id": 2, "published": true, "timestamp": strconv.FormatInt(k.CreatedAt.Unix(), 10),
		"Tag": []mispTag{{Name: mispTLP(k.DefaultTLP)}}}
	switch file {
	case "manifest.json":
		writeFeedJSON(w, map[string]any{k.UUID: info})
	case k.UUID + ".json":
		var attrs []mispAttribute
		err := s.app.Intel.Export(r.Context(), p, coll, q, func(row store.ExportRow) error {
			if len(attrs) >= intel.MaxExportRows {
				return nil
			}
			sum := sha256.Sum256([]byte(row.StixID + "\n" + row.Kind + "\n" + row.Value))
			attrs = append(attrs, mispAttribute{UUID: stix.UUIDv5(k.UUID, string(sum[:])), Type: mispTypes[row.Kind], Category: mispCategory(row.Kind),
				Value: row.Value, ToIDS: true, Timestamp: strconv.FormatInt(k.LastAdded/1_000_000, 10), Comment: row.StixID,
				Tag: []mispTag{{Name: mispTLP(string(model.TLP(row.TLP)))}}})
			return nil
		})
		if err != nil {
			s.finish(w, r, &exporting{w: w}, err)
			return
		}
		if attrs == nil {
			attrs = []mispAttribute{}
		}
		ev := map[string]any{"uuid": k.UUID}
		for key, v := range info {
			ev[key] = v
		}
		ev["Attribute"] = attrs
		writeFeedJSON(w, map[string]any{"Event": ev})
	default:
		plainError(w, http.StatusNotFound, "not found")
	}
}

func writeFeedJSON(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}
