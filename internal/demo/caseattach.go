package demo

import (
	"fmt"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/desk"
)

// demoCaseFiles are the files a demo case is reported with: for a case with attacking
// addresses, an excerpt of the web server's access log naming them.
func demoCaseFiles(d demoCase, at time.Time) []desk.Upload {
	if d.observables == "" {
		return nil
	}
	var b strings.Builder
	for i, ip := range strings.Fields(d.observables) {
		for j := range 3 {
			t := at.Add(-time.Duration(30-i*5-j) * time.Minute).UTC()
			fmt.Fprintf(&b, "%s - - [%s] \"GET / HTTP/1.1\" 503 0 \"-\" \"Mozilla/5.0\"\n", ip, t.Format("02/Jan/2006:15:04:05 -0700"))
		}
	}
	return []desk.Upload{{Name: "access-log-excerpt.txt", ContentType: "text/plain", Body: strings.NewReader(b.String())}}
}

// partnerAnalysis is the file the partner agency attaches to its reply.
func partnerAnalysis(d demoCase) []desk.Upload {
	var b strings.Builder
	b.WriteString("ip,first_seen,targets\n")
	for _, ip := range strings.Fields(d.observables) {
		fmt.Fprintf(&b, "%s,2026-07-23,3\n", ip)
	}
	return []desk.Upload{{Name: "観測状況.csv", ContentType: "text/csv", Body: strings.NewReader(b.String())}}
}
