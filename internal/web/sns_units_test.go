package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
)

func TestSNSPageFormats(t *testing.T) {
	ja := &page{Lang: model.LangJA, loc: time.UTC}
	en := &page{Lang: model.LangEN, loc: time.UTC}
	for _, c := range []struct {
		d      time.Duration
		ja, en string
	}{
		{59 * time.Second, "1分未満", "under a minute"},
		{12 * time.Minute, "12分", "12 min"},
		{2*time.Hour + 5*time.Minute, "2時間5分", "2 h 5 min"},
		{3*24*time.Hour + 4*time.Hour + 59*time.Minute, "3日4時間", "3 d 4 h"},
	} {
		if got := ja.Elapsed(c.d); got != c.ja {
			t.Errorf("ja Elapsed(%v) = %q, want %q", c.d, got, c.ja)
		}
		if got := en.Elapsed(c.d); got != c.en {
			t.Errorf("en Elapsed(%v) = %q, want %q", c.d, got, c.en)
		}
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KB", 25 << 20: "25.0 MB"} {
		if got := ja.FileSize(n); got != want {
			t.Errorf("FileSize(%d) = %q, want %q", n, got, want)
		}
	}
	for tlp, want := range map[model.TLP]string{model.TLPAmberStrict: "tlp tlp-amber-strict", model.TLPRed: "tlp tlp-red"} {
		if got := ja.TLPClass(tlp); got != want {
			t.Errorf("TLPClass(%s) = %q", tlp, got)
		}
	}
	if got := ja.TLPMeaning(model.TLPRed); got != "指名された個人のみ" {
		t.Errorf("TLPMeaning(red) = %q", got)
	}
	if got := en.PriorityTag(model.PriorityImportant); got != "[Important]" || ja.PriorityTag(model.PriorityNone) != "" {
		t.Errorf("PriorityTag = %q", got)
	}
}

func TestSNSContentDisposition(t *testing.T) {
	for name, want := range map[string]string{
		"report.pdf":    `attachment; filename="report.pdf"`,
		"攻撃元 一覧.csv":    `attachment; filename="___ __.csv"; filename*=UTF-8''%E6%94%BB%E6%92%83%E5%85%83%20%E4%B8%80%E8%A6%A7.csv`,
		`a;b%c\d.txt`:   `attachment; filename="a_b_c_d.txt"; filename*=UTF-8''a%3Bb%25c%5Cd.txt`,
		"line\r\nx.txt": `attachment; filename="line__x.txt"; filename*=UTF-8''line%0D%0Ax.txt`,
	} {
		if got := contentDisposition(name); got != want {
			t.Errorf("contentDisposition(%q)\n got %s\nwant %s", name, got, want)
		}
	}
}

func TestSNSTopicFilter(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	r := httptest.NewRequest("GET", "/topics?community=7&info_type=malware&priority=none&tlp=WHITE&tag=%23DDoS&from=2026-07-24&to=2026-07-24&unread=1", nil)
	f, q, err := readTopicFilter(r, jst)
	if err != nil {
		t.Fatal(err)
	}
	if q.CommunityID != 7 || q.InfoType != "malware" || q.Priority != "" || q.TLP != model.TLPClear || q.Tag != "DDoS" || !q.Unread || q.Bookmarked {
		t.Errorf("query %+v", q)
	}
	if !q.From.Equal(time.Date(2026, 7, 23, 15, 0, 0, 0, time.UTC)) || !q.To.Equal(time.Date(2026, 7, 24, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("from %v to %v: want the JST day", q.From, q.To)
	}
	if got := f.values().Encode(); got != "community=7&from=2026-07-24&info_type=malware&tag=DDoS&tlp=clear&to=2026-07-24&unread=1" {
		t.Errorf("filter as a query: %s", got)
	}
	r = httptest.NewRequest("GET", "/topics?community=x&info_type=nope&tlp=purple&from=24/07/2026", nil)
	f, q, err = readTopicFilter(r, jst)
	if err == nil || f.Active() || q.CommunityID != 0 || q.TLP != "" || !q.From.IsZero() {
		t.Errorf("bad values narrow the list: %+v %+v %v", f, q, err)
	}
	if !strings.Contains(err.Error(), "purple") {
		t.Errorf("error %v", err)
	}
}
