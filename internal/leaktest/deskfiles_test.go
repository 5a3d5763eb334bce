package leaktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// Files on the desk's cases: on the case itself and on messages and internal notes, seen
// as the case and the note are (policy.CanViewCaseAttachment). This file's name sorts after
// desk_test.go, so that its generator runs once the cases and messages exist.
const colCaseAttachments = "case attachments"

func init() {
	kinds = append(kinds, kindSpec[policy.CaseAttachmentFacts]{
		name:     "case attachment",
		items:    colCaseAttachments,
		generate: generateCaseAttachments,
		facts:    caseAttachmentFacts,
		allowed:  policy.CanViewCaseAttachment,
		paths: []path{
			{name: "desk.Service.Attachments (every case)", ids: func(c *call) ([]int64, error) {
				var out []int64
				for _, id := range append(slices.Clone(c.w.ids[colCases]), 1<<40) {
					list, err := c.w.env.Desk.Attachments(c.ctx, c.v.p, id)
					if err != nil && !isNotFound(err) {
						return out, fmt.Errorf("case %d: %v (want success or not found)", id, err)
					}
					for _, a := range list {
						out = append(out, a.ID)
					}
				}
				return out, nil
			}},
			{name: "desk.Service.OpenAttachment (every file)", ids: func(c *call) ([]int64, error) {
				var out []int64
				for _, id := range c.all {
					a, _, err := c.w.env.Desk.OpenAttachment(c.ctx, c.v.p, 0, id)
					switch {
					case err == nil && a.ID == id:
						out = append(out, id)
					case err == nil:
						return out, fmt.Errorf("file %d opened file %d", id, a.ID)
					case !isNotFound(err):
						return out, fmt.Errorf("file %d: %v (want success or not found)", id, err)
					}
				}
				return out, nil
			}},
			{name: "GET /api/v1/cases/{id}/attachments (every case)", api: true, ids: func(c *call) ([]int64, error) {
				var out []int64
				for _, id := range append(slices.Clone(c.w.ids[colCases]), 1<<40) {
					_, err := c.apiPages(fmt.Sprintf("/api/v1/cases/%d/attachments", id), func(item json.RawMessage) error {
						fid, _, err := byID(item)
						out = append(out, fid)
						return err
					})
					if err != nil {
						return out, err
					}
				}
				return out, nil
			}},
			{name: "GET /api/v1/cases/{id}/attachments/{attachment_id} (every file)", api: true, ids: apiDownloadEach},
			{name: "page /desk/cases/{id}/files/{file} (every file)", page: true, ids: pageGetEachAt(func(c *call, id int64) string {
				return fmt.Sprintf("/desk/cases/%d/files/%d", caseOfFile(c, id), id)
			})},
			{name: "live.VisibleCase(case.attachment events)", ids: liveCaseEvents(desk.EventCaseAttachment, func(d desk.CaseEvent) int64 { return d.AttachmentID })},
		},
	}.kind())
	// The live stream's updates of cases (state, assignment, urgency) follow the case rule:
	// each path asks for the cases that had such an event.
	for i := range kinds {
		if kinds[i].name != "case" {
			continue
		}
		for _, kind := range []string{desk.EventCaseState, desk.EventCaseAssigned, desk.EventCaseUrgency} {
			kinds[i].paths = append(kinds[i].paths, path{name: "live.VisibleCase(" + kind + " events)", narrow: caseHadEvent(kind),
				ids: liveCaseEvents(kind, func(d desk.CaseEvent) int64 { return d.CaseID })})
		}
	}
}

// caseHadEvent is what a live path of one kind of case event asks for: the cases with an
// event of that kind in the log.
func caseHadEvent(kind string) func(w *world, _ policy.Actor, id int64) bool {
	return func(w *world, _ policy.Actor, id int64) bool {
		var n int
		err := w.db.Read().QueryRow(w.ctx, "SELECT COUNT(*) FROM events WHERE kind = ? AND (detail = ? OR detail LIKE ?)", kind,
			fmt.Sprintf(`{"case_id":%d}`, id), fmt.Sprintf(`{"case_id":%d,%%`, id)).Scan(&n)
		w.must(err, "events of case %d", id)
		return n > 0
	}
}

// generateCaseAttachments puts files on some cases (by a person of the reporting
// organization), on some messages and notes (by their authors), and has a person of a
// currently invited partner write a message with a file.
func generateCaseAttachments(g *gen) {
	w := g.w
	byOrg := map[int64][]int64{}
	for _, id := range w.ids[colPeople] {
		u, err := store.GetUser(g.ctx, w.db.Read(), id)
		w.must(err, "load person %d", id)
		if !u.Disabled {
			byOrg[u.OrgID] = append(byOrg[u.OrgID], id)
		}
	}
	attach := func(userID, caseID, messageID int64) {
		as, err := w.env.Desk.Attach(g.ctx, principal(g, userID), caseID, messageID,
			[]desk.Upload{{Name: "evidence.txt", Body: strings.NewReader(fmt.Sprint(caseID, messageID, len(w.ids[colCaseAttachments])))}})
		if fault.Is(err, fault.Forbidden) || fault.Is(err, fault.NotFound) {
			return // a person disabled meanwhile, or of an organization disabled
		}
		w.must(err, "attach to case %d, message %d", caseID, messageID)
		for _, a := range as {
			w.ids[colCaseAttachments] = append(w.ids[colCaseAttachments], a.ID)
		}
	}
	var staff []int64
	for _, ids := range byOrg {
		for _, id := range ids {
			if u, err := store.GetUser(g.ctx, w.db.Read(), id); err == nil && u.CenterRole != model.CenterNone {
				staff = append(staff, id)
			}
		}
	}
	for _, id := range w.ids[colCases] {
		k, err := store.GetCase(g.ctx, w.db.Read(), id)
		w.must(err, "load case %d", id)
		if len(staff) > 0 {
			handleCase(g, staff[g.r.IntN(len(staff))], k)
		}
		if g.chance(0.5) {
			attach(k.ReporterID, id, 0)
		}
		partners, err := store.CasePartnerOrgs(g.ctx, w.db.Read(), id)
		w.must(err, "partners of case %d", id)
		if len(partners) > 0 && len(byOrg[partners[0].OrgID]) > 0 && g.chance(0.7) {
			author := byOrg[partners[0].OrgID][0]
			ups := []desk.Upload{{Name: "analysis.txt", Body: strings.NewReader(fmt.Sprint("partner", id))}}
			m, err := w.env.Desk.AddMessageWithFiles(g.ctx, principal(g, author), id, "解析結果", false, ups)
			if err == nil {
				w.ids[colCaseMessages] = append(w.ids[colCaseMessages], m.ID)
				as, err := w.env.Desk.Attachments(g.ctx, principal(g, author), id)
				w.must(err, "files of case %d", id)
				for _, a := range as {
					if a.MessageID == m.ID {
						w.ids[colCaseAttachments] = append(w.ids[colCaseAttachments], a.ID)
					}
				}
			} else if !fault.Is(err, fault.Forbidden) && !fault.Is(err, fault.NotFound) {
				w.must(err, "partner's message on case %d", id)
			}
		}
	}
	for _, id := range w.ids[colCaseMessages] {
		m, err := store.GetCaseMessage(g.ctx, w.db.Read(), id)
		w.must(err, "load case message %d", id)
		if g.chance(0.4) {
			attach(m.AuthorID, m.CaseID, id)
		}
	}
}

// handleCase has the center triage, assign and re-rate some cases, for their live events.
func handleCase(g *gen, staffID int64, k model.Case) {
	sp := principal(g, staffID)
	if g.chance(0.5) && k.State == model.CaseNew {
		_, err := g.w.env.Desk.Transition(g.ctx, sp, k.ID, string(model.CaseTriage))
		g.w.must(err, "triage case %d", k.ID)
	}
	if g.chance(0.5) {
		_, err := g.w.env.Desk.Assign(g.ctx, sp, k.ID, desk.Assignment{Team: "IR", HandlerID: staffID})
		g.w.must(err, "assign case %d", k.ID)
	}
	if g.chance(0.5) {
		_, err := g.w.env.Desk.SetUrgency(g.ctx, sp, k.ID, string(model.Urgencies[g.r.IntN(len(model.Urgencies))]))
		g.w.must(err, "urgency of case %d", k.ID)
	}
}

func caseAttachmentFacts(w *world, id int64) policy.CaseAttachmentFacts {
	a, err := store.GetCaseAttachment(w.ctx, w.db.Read(), id)
	w.must(err, "load case attachment %d", id)
	return policy.CaseAttachmentFacts{Case: caseFacts(w, a.CaseID), Internal: a.Internal}
}

// apiDownloadEach downloads every file under its own case (and the id that does not exist
// under the first case): 200 for an allowed file, 404 for any other, never 403.
func apiDownloadEach(c *call) ([]int64, error) {
	var out []int64
	for _, id := range c.all {
		u := fmt.Sprintf("/api/v1/cases/%d/attachments/%d", caseOfFile(c, id), id)
		status, body, err := c.get(u)
		if err != nil {
			return out, err
		}
		switch status {
		case http.StatusOK:
			out = append(out, id)
		case http.StatusNotFound:
		default:
			return out, fmt.Errorf("GET %s: status %d, want 200 or 404: %.300s", u, status, body)
		}
	}
	return out, nil
}

// caseOfFile is the case a file is on, or 1 for a file that does not exist.
func caseOfFile(c *call, id int64) int64 {
	if a, err := store.GetCaseAttachment(c.ctx, c.read(), id); err == nil {
		return a.CaseID
	}
	return 1
}
