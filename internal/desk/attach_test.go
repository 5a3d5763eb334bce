package desk_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func upload(name, body string) desk.Upload {
	return desk.Upload{Name: name, ContentType: "text/plain", Body: strings.NewReader(body)}
}

func uploads(n int) []desk.Upload {
	out := make([]desk.Upload, n)
	for i := range out {
		out[i] = upload("log"+string(rune('a'+i))+".txt", "line "+string(rune('a'+i)))
	}
	return out
}

func wantField(t *testing.T, err error, field, key string) {
	t.Helper()
	for _, f := range fault.Fields(err) {
		if f.Field == field && f.Key == key {
			return
		}
	}
	t.Fatalf("got %v, want %s on %s", err, key, field)
}

// names lists the files a person sees on a case, or "404".
func names(t *testing.T, w *world, p auth.Principal, caseID int64) string {
	t.Helper()
	list, err := w.env.Desk.Attachments(testapp.Ctx(), p, caseID)
	if fault.Is(err, fault.NotFound) {
		return "404"
	} else if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range list {
		out = append(out, a.Name)
	}
	return strings.Join(out, ",")
}

// Files filed with a case, written with a message and with an internal note are seen as
// the case and the note are: the reporting organization, the center and an invited
// partner see the case's and the thread's files, the note's file only the center; another
// organization and a revoked partner see nothing, and a download is NotFound for them.
// Every download is audited.
func TestCaseAttachmentsFollowTheCase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		in := ransomware()
		in.Files = []desk.Upload{upload("ransom-note.txt", "YOUR FILES ARE ENCRYPTED"), upload("../../etc/proxy.log", "GET /x")}
		k, err := w.env.Desk.File(ctx, w.pSato, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.env.Desk.AddMessageWithFiles(ctx, w.pAnalyst, k.ID, "", false, []desk.Upload{upload("howto.txt", "isolate")}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.env.Desk.AddMessageWithFiles(ctx, w.pAnalyst, k.ID, "内部メモ", true, []desk.Upload{upload("note.txt", "internal")}); err != nil {
			t.Fatal(err)
		}
		if err := w.env.Desk.InvitePartner(ctx, w.pAnalyst, k.ID, w.agency.ID); err != nil {
			t.Fatal(err)
		}
		public := "ransom-note.txt,proxy.log,howto.txt"
		for _, c := range []struct {
			who  string
			p    auth.Principal
			want string
		}{
			{"reporter", w.pSato, public}, {"reporter's colleague", w.pSuzuki, public},
			{"center", w.pAnalyst, public + ",note.txt"}, {"partner", w.pAgency, public}, {"other organization", w.pRail, "404"},
		} {
			if got := names(t, w, c.p, k.ID); got != c.want {
				t.Errorf("%s sees %q, want %q", c.who, got, c.want)
			}
		}
		all, _ := w.env.Desk.Attachments(ctx, w.pAnalyst, k.ID)
		first := all[0]
		sum := sha256.Sum256([]byte("YOUR FILES ARE ENCRYPTED"))
		if first.SHA256 != hex.EncodeToString(sum[:]) || first.Size != 24 || first.MessageID != 0 || first.UploadedBy != w.sato.ID {
			t.Fatalf("file %+v", first)
		}
		note := all[3]
		a, data, err := w.env.Desk.OpenAttachment(ctx, w.pAgency, k.ID, first.ID)
		if err != nil || !bytes.Equal(data, []byte("YOUR FILES ARE ENCRYPTED")) || a.Name != "ransom-note.txt" {
			t.Fatalf("partner's download: %v %q", err, data)
		}
		for _, c := range []struct {
			who      string
			p        auth.Principal
			caseID   int64
			fileID   int64
			notFound bool
		}{
			{"other organization", w.pRail, k.ID, first.ID, true},
			{"other organization, no case named", w.pRail, 0, first.ID, true},
			{"reporter, the note's file", w.pSato, k.ID, note.ID, true},
			{"partner, the note's file", w.pAgency, k.ID, note.ID, true},
			{"center, the note's file", w.pAnalyst, k.ID, note.ID, false},
			{"center, under another case", w.pAnalyst, k.ID + 1, first.ID, true},
			{"a file that does not exist", w.pAnalyst, k.ID, 1 << 40, true},
		} {
			_, _, err := w.env.Desk.OpenAttachment(ctx, c.p, c.caseID, c.fileID)
			if c.notFound != fault.Is(err, fault.NotFound) || (!c.notFound && err != nil) {
				t.Errorf("%s: %v", c.who, err)
			}
		}
		if err := w.env.Desk.RevokePartner(ctx, w.pAnalyst, k.ID, w.agency.ID); err != nil {
			t.Fatal(err)
		}
		if got := names(t, w, w.pAgency, k.ID); got != "404" {
			t.Errorf("revoked partner sees %q", got)
		}
		if _, _, err := w.env.Desk.OpenAttachment(ctx, w.pAgency, k.ID, first.ID); !fault.Is(err, fault.NotFound) {
			t.Errorf("revoked partner's download: %v", err)
		}
		recs, err := audit.List(ctx, db, auth.System().Actor, audit.Query{Action: "case.attachment_downloaded"})
		if err != nil || len(recs) != 2 {
			t.Fatalf("download records %d, %v; want 2 (the partner's and the center's)", len(recs), err)
		}
		added, _ := audit.List(ctx, db, auth.System().Actor, audit.Query{Action: "case.attachment_added"})
		if len(added) != 4 {
			t.Errorf("%d records of files added, want 4", len(added))
		}
	})
}

// The size limit and the count limit per item are explicit, and a refused file stores
// nothing: neither the case nor the message it came with.
func TestCaseAttachmentLimits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		w.env.Desk.SetMaxAttachment(1 << 10)
		big := ransomware()
		big.Files = []desk.Upload{upload("big.bin", strings.Repeat("x", 1<<10+1))}
		_, err := w.env.Desk.File(ctx, w.pSato, big)
		wantField(t, err, "file", "attachment.too_large")
		if items, _, _ := w.env.Desk.List(ctx, w.pSato, desk.ListQuery{}); len(items) != 0 {
			t.Fatalf("a case was filed with a refused file")
		}
		for _, bad := range []struct {
			files []desk.Upload
			key   string
		}{
			{uploads(desk.MaxAttachmentsPerItem + 1), "caseattach.too_many"},
			{[]desk.Upload{upload("empty.txt", "")}, "attachment.empty"},
			{[]desk.Upload{upload("", "x")}, "attachment.bad_name"},
		} {
			in := ransomware()
			in.Files = bad.files
			_, err := w.env.Desk.File(ctx, w.pSato, in)
			wantField(t, err, "file", bad.key)
		}
		in := ransomware()
		in.Files = append(uploads(desk.MaxAttachmentsPerItem-1), upload("exact.bin", strings.Repeat("x", 1<<10)))
		k, err := w.env.Desk.File(ctx, w.pSato, in)
		if err != nil {
			t.Fatalf("files at the limits: %v", err)
		}
		_, err = w.env.Desk.Attach(ctx, w.pSato, k.ID, 0, uploads(1))
		wantField(t, err, "file", "caseattach.too_many")
		m, err := w.env.Desk.AddMessageWithFiles(ctx, w.pAnalyst, k.ID, "", false, uploads(desk.MaxAttachmentsPerItem))
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.env.Desk.Attach(ctx, w.pAnalyst, k.ID, m.ID, uploads(1))
		wantField(t, err, "file", "caseattach.too_many")
		_, err = w.env.Desk.AddMessageWithFiles(ctx, w.pSato, k.ID, "ログです", false, uploads(desk.MaxAttachmentsPerItem+1))
		wantField(t, err, "file", "caseattach.too_many")
		msgs, _ := w.env.Desk.Messages(ctx, w.pAnalyst, k.ID, store.Page{})
		if len(msgs) != 1 {
			t.Fatalf("%d messages, want 1: a message whose files were refused was written", len(msgs))
		}
		_, err = w.env.Desk.Attach(ctx, w.pSato, k.ID, 0, nil)
		wantField(t, err, "file", "caseattach.file_required")
		if _, err := w.env.Desk.AddMessageWithFiles(ctx, w.pSato, k.ID, "", false, nil); err == nil {
			t.Fatal("an empty message without files was written")
		}
	})
}

// A case holds at most MaxAttachmentsPerCase files with those of its messages (lowered
// here to 12): the message that would go past it is refused whole, and the list is whole.
func TestCaseFilesAreBoundedPerCase(t *testing.T) {
	if desk.MaxAttachmentsPerCase != 1000 {
		t.Errorf("MaxAttachmentsPerCase = %d; the README and the API say 1000", desk.MaxAttachmentsPerCase)
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		desk.SetMaxCaseFiles(w.env.Desk, 12)
		in := ransomware()
		in.Files = uploads(desk.MaxAttachmentsPerItem)
		k, err := w.env.Desk.File(ctx, w.pSato, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.env.Desk.AddMessageWithFiles(ctx, w.pAnalyst, k.ID, "解析結果", false, uploads(desk.MaxAttachmentsPerItem)); err != nil {
			t.Fatal(err)
		}
		_, err = w.env.Desk.AddMessageWithFiles(ctx, w.pSato, k.ID, "追加のログ", false, uploads(3))
		wantField(t, err, "file", "caseattach.case_full")
		if msgs, _ := w.env.Desk.Messages(ctx, w.pAnalyst, k.ID, store.Page{}); len(msgs) != 1 {
			t.Fatalf("%d messages, want 1: the refused message was written", len(msgs))
		}
		if _, err := w.env.Desk.AddMessageWithFiles(ctx, w.pSato, k.ID, "追加のログ", false, uploads(2)); err != nil {
			t.Fatalf("up to the limit: %v", err)
		}
		if list, err := w.env.Desk.Attachments(ctx, w.pAnalyst, k.ID); err != nil || len(list) != 12 {
			t.Fatalf("%d files, %v; want all 12", len(list), err)
		}
		m, err := w.env.Desk.AddMessage(ctx, w.pAnalyst, k.ID, "続報をお待ちください", false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.env.Desk.Attach(ctx, w.pAnalyst, k.ID, m.ID, uploads(1))
		wantField(t, err, "file", "caseattach.case_full")
	})
}

// Who may attach where: the case itself takes files from the reporting organization and
// the center, a message from its author; a note of the center is not a place a partner or
// the reporter can name.
func TestCaseAttachRights(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		k := w.file(t)
		other := w.file(t)
		if err := w.env.Desk.InvitePartner(ctx, w.pAnalyst, k.ID, w.agency.ID); err != nil {
			t.Fatal(err)
		}
		reply, err := w.env.Desk.AddMessage(ctx, w.pAgency, k.ID, "解析結果です", false)
		if err != nil {
			t.Fatal(err)
		}
		note, err := w.env.Desk.AddMessage(ctx, w.pAnalyst, k.ID, "内部", true)
		if err != nil {
			t.Fatal(err)
		}
		foreign, err := w.env.Desk.AddMessage(ctx, w.pAnalyst, other.ID, "別件", false)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			who   string
			p     auth.Principal
			msg   int64
			check func(error) bool
		}{
			{"reporter's colleague on the case", w.pSuzuki, 0, ok},
			{"center on the case", w.pAnalyst, 0, ok},
			{"center on its note", w.pAnalyst, note.ID, ok},
			{"partner on its own message", w.pAgency, reply.ID, ok},
			{"partner on the case itself", w.pAgency, 0, is(fault.Forbidden)},
			{"reporter on the partner's message", w.pSato, reply.ID, is(fault.Forbidden)},
			{"reporter on the center's note", w.pSato, note.ID, is(fault.Invalid)},
			{"center on another case's message", w.pAnalyst, foreign.ID, is(fault.Invalid)},
			{"other organization", w.pRail, 0, is(fault.NotFound)},
		} {
			if _, err := w.env.Desk.Attach(ctx, c.p, k.ID, c.msg, uploads(1)); !c.check(err) {
				t.Errorf("%s: %v", c.who, err)
			}
		}
		list, _ := w.env.Desk.Attachments(ctx, w.pAnalyst, k.ID)
		for _, a := range list {
			if a.MessageID == note.ID && !a.Internal {
				t.Errorf("the note's file is not marked internal: %+v", a)
			}
		}
		if got := names(t, w, w.pSato, k.ID); strings.Count(got, ",") != 2 {
			t.Errorf("reporter sees %q: want the case's two files and the partner's", got)
		}
	})
}

func ok(err error) bool { return err == nil }

func is(k fault.Kind) func(error) bool { return func(err error) bool { return fault.Is(err, k) } }
