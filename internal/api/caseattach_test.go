package api_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// multipartFiles builds a form with one part named file per name; its content type is the
// second result.
func multipartFiles(t *testing.T, files map[string][]byte, order ...string) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, name := range order {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(files[name])
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// Files go on a case and on a note through the API (multipart, or the body itself), are
// listed and downloaded as the case and the note may be seen, within explicit limits.
func TestCaseAttachmentsThroughTheAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		cfg := testapp.Config(t)
		cfg.AttachmentMaxMiB = 1
		w := newWorldWith(t, testapp.NewWith(t, db, cfg))
		a, center := w.as(t, w.memberA), w.as(t, w.analyst)
		var k api.Case
		a.do("POST", "/api/v1/cases", caseBody(nil)).ok(t, 201, &k)
		path := fmt.Sprintf("/api/v1/cases/%d/attachments", k.ID)

		body, ct := multipartFiles(t, map[string][]byte{"ransom.txt": []byte("PAY"), "proxy.log": []byte("GET /x\n")}, "ransom.txt", "proxy.log")
		var added api.List[api.CaseAttachment]
		a.with("Content-Type", ct).do("POST", path, body).ok(t, 201, &added)
		if len(added.Items) != 2 || added.Items[0].Name != "ransom.txt" || added.Items[0].Size != 3 || len(added.Items[0].SHA256) != 64 {
			t.Fatalf("added %+v", added.Items)
		}
		var one api.List[api.CaseAttachment]
		a.with("Content-Type", "text/plain").do("POST", path+"?name=ioc.txt", "198.51.100.9\n").ok(t, 201, &one)

		var note api.CaseMessage
		center.do("POST", fmt.Sprintf("/api/v1/cases/%d/messages", k.ID), map[string]any{"body": "内部", "internal": true}).ok(t, 201, &note)
		body, ct = multipartFiles(t, map[string][]byte{"memo.txt": []byte("center only")}, "memo.txt")
		var noteFiles api.List[api.CaseAttachment]
		center.with("Content-Type", ct).do("POST", fmt.Sprintf("/api/v1/cases/%d/messages/%d/attachments", k.ID, note.ID), body).ok(t, 201, &noteFiles)
		if len(noteFiles.Items) != 1 || !noteFiles.Items[0].Internal || noteFiles.Items[0].MessageID != note.ID {
			t.Fatalf("note's files %+v", noteFiles.Items)
		}
		a.with("Content-Type", ct).do("POST", fmt.Sprintf("/api/v1/cases/%d/messages/%d/attachments", k.ID, note.ID), body).fieldProblem(t, "message_id")

		var list api.List[api.CaseAttachment]
		a.get(path).ok(t, 200, &list)
		if len(list.Items) != 3 {
			t.Errorf("reporter lists %d files, want 3 (not the note's)", len(list.Items))
		}
		center.get(path).ok(t, 200, &list)
		if len(list.Items) != 4 {
			t.Errorf("center lists %d files, want 4", len(list.Items))
		}
		w.as(t, w.memberB).get(path).problem(t, 404, "not-found")

		res := center.get(added.Items[0].URL)
		if res.status != 200 || string(res.body) != "PAY" {
			t.Fatalf("download: %d %q", res.status, res.body)
		}
		if !strings.HasPrefix(res.header.Get("Content-Disposition"), "attachment") || res.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("download headers: %v", res.header)
		}
		w.as(t, w.memberB).get(added.Items[0].URL).problem(t, 404, "not-found")
		a.get(noteFiles.Items[0].URL).problem(t, 404, "not-found")
		a.get(fmt.Sprintf("/api/v1/cases/%d/attachments/%d", k.ID+1, added.Items[0].ID)).problem(t, 404, "not-found")
		recs, _ := store.ListAudit(ctx, db.Read(), store.AuditQuery{Action: "case.attachment_downloaded"})
		if len(recs) != 1 {
			t.Errorf("%d audited downloads, want 1", len(recs))
		}

		big := bytes.Repeat([]byte("x"), 1<<20+1)
		body, ct = multipartFiles(t, map[string][]byte{"big.bin": big}, "big.bin")
		a.with("Content-Type", ct).do("POST", path, body).problem(t, 413, "payload-too-large")
		a.with("Content-Type", "application/octet-stream").do("POST", path+"?name=big.bin", big).problem(t, 413, "payload-too-large")
		files, names := map[string][]byte{}, []string{}
		for i := range desk.MaxAttachmentsPerItem - 2 {
			n := fmt.Sprintf("f%d.txt", i)
			files[n], names = []byte(n), append(names, n)
		}
		body, ct = multipartFiles(t, files, names...)
		a.with("Content-Type", ct).do("POST", path, body).fieldProblem(t, "file")
		body, ct = multipartFiles(t, map[string][]byte{}, names[:0]...)
		a.with("Content-Type", ct).do("POST", path, body).fieldProblem(t, "file")

		op := spec.operation("POST", path)
		content := obj(obj(op["requestBody"])["content"])
		if content["multipart/form-data"] == nil || content["*/*"] == nil {
			t.Errorf("the upload's documented body: %v", op["requestBody"])
		}
	})
}
