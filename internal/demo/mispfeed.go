package demo

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"

	"github.com/renkei-dev/renkei/internal/app"
	"github.com/renkei-dev/renkei/internal/taxii"
)

// demoFeedEvents are the events of a vendor's MISP feed that Toto Electric imported into
// its own collection: phishing against the Games' ticketing and a C2 seen on its network.
var demoFeedEvents = []struct {
	uuid, info string
	attrs      [][2]string // type, value
}{
	{"4d1f6a20-7c3b-4e59-9a1d-2b6c8e0f1a01", "大会チケット販売を装うフィッシング / Ticketing phishing",
		[][2]string{{"domain", "tickets-2020games.example"}, {"url", "https://tickets-2020games.example/login"}, {"ip-dst", "203.0.113.45"}}},
	{"4d1f6a20-7c3b-4e59-9a1d-2b6c8e0f1a02", "制御網近傍で観測されたC2 / C2 near the control network",
		[][2]string{{"ip-dst", "198.51.100.201"}, {"domain", "update-check.example"}, {"sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}},
}

// loadMISPFeed uploads a small MISP feed archive into Toto Electric's collection as its
// org admin and runs the import to the end, so that the imports page has a finished record.
// The manifest also names an event the archive lacks, to show a per-event error.
func loadMISPFeed(ctx context.Context, a *app.App, userIDs map[string]int64) error {
	p, err := a.Auth.Principal(ctx, userIDs["t.sato@toto-power.example"])
	if err != nil {
		return err
	}
	colls, err := a.Intel.Collections(ctx, p)
	if err != nil {
		return err
	}
	var collID int64
	for _, k := range colls {
		if k.OrgID == p.User.OrgID {
			collID = k.ID
		}
	}
	if collID == 0 {
		return fmt.Errorf("demo: Toto Electric has no collection of its own")
	}
	feeds := taxii.FeedImportsOf(a)
	if _, err := feeds.StartArchive(ctx, p, collID, "akatsuki-misp-feed.zip", bytes.NewReader(demoFeedArchive())); err != nil {
		return err
	}
	_, err = feeds.Tick(ctx)
	return err
}

func demoFeedArchive() []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i, e := range demoFeedEvents {
		var attrs bytes.Buffer
		for j, at := range e.attrs {
			if j > 0 {
				attrs.WriteByte(',')
			}
			fmt.Fprintf(&attrs, `{"uuid":"8c2d9e31-5a4b-4c6d-8e7f-%04d%08d","type":%q,"value":%q,"to_ids":true,"timestamp":"1785000000"}`, i, j, at[0], at[1])
		}
		w, _ := zw.Create(e.uuid + ".json")
		fmt.Fprintf(w, `{"Event":{"uuid":%q,"info":%q,"timestamp":"1785000000","Attribute":[%s],"Tag":[{"name":"tlp:amber"}]}}`, e.uuid, e.info, attrs.String())
	}
	w, _ := zw.Create("manifest.json")
	fmt.Fprintf(w, `{%q:{"info":%q,"timestamp":"1785000000"},%q:{"info":%q,"timestamp":"1785000000"},`+
		`"4d1f6a20-7c3b-4e59-9a1d-2b6c8e0f1a03":{"info":"withdrawn","timestamp":"1785000000"}}`,
		demoFeedEvents[0].uuid, demoFeedEvents[0].info, demoFeedEvents[1].uuid, demoFeedEvents[1].info)
	zw.Close()
	return b.Bytes()
}
