package policy

import (
	"slices"

	"github.com/renkei-dev/renkei/internal/store"
)

// ---- Cases of the consultation desk ----
//
// A case is seen by the people of the organization that reported it, by center staff, and
// by the people of partner organizations the center has invited into that case, for as long
// as the invitation stands: revoking it removes access at once, since the partner rows are
// read on every access. Internal notes are seen by center staff only. Handling a case
// (triage, state changes, assignment, invitations, links, merges, publication) is center
// work; the reporting organization may answer, confirm a resolution and reopen.

// CaseFacts are what the case rules need about one case.
type CaseFacts struct {
	ID       int64
	OrgID    int64   // the reporting organization
	Partners []int64 // organizations currently invited
}

// CanViewCase is the rule above for one case; its thread follows it.
func CanViewCase(a Actor, k CaseFacts) bool {
	if a.IsCenter() {
		return true
	}
	if a.UserID == 0 {
		return false
	}
	return a.OrgID == k.OrgID || slices.Contains(k.Partners, a.OrgID)
}

// CaseFilter is CanViewCase over the alias cs of cases.
func CaseFilter(a Actor) store.Filter {
	if a.IsCenter() {
		return store.Filter{}
	}
	if a.UserID == 0 {
		return store.Filter{SQL: "FALSE"}
	}
	return store.Filter{
		SQL:  "(cs.org_id = ? OR cs.id IN (SELECT case_id FROM case_partners WHERE org_id = ?))",
		Args: []any{a.OrgID, a.OrgID},
	}
}

// CaseMessageFacts are what the message rule needs: the case and whether it is an
// internal note.
type CaseMessageFacts struct {
	Case     CaseFacts
	Internal bool
}

// CanViewCaseMessage: a message of the thread is seen by whoever sees the case; an
// internal note by center staff only.
func CanViewCaseMessage(a Actor, m CaseMessageFacts) bool {
	if m.Internal {
		return CanViewInternalNotes(a) && CanViewCase(a, m.Case)
	}
	return CanViewCase(a, m.Case)
}

// CanViewInternalNotes: internal notes, the on-call rota and the links to publications are
// for center staff.
func CanViewInternalNotes(a Actor) bool { return a.IsCenter() }

// CanFileCase: any signed-in person files a case for their own organization.
func CanFileCase(a Actor) bool { return a.UserID != 0 && a.OrgID != 0 }

// CanHandleCase: triage, assignment, state changes, invitations, links, merges, reports
// and publication are for center staff.
func CanHandleCase(a Actor, k CaseFacts) bool { return a.IsCenter() && CanViewCase(a, k) }

// CanReplyCase: everyone who sees a case may write in its thread: the reporting
// organization, the center and invited partners.
func CanReplyCase(a Actor, k CaseFacts) bool { return a.UserID != 0 && CanViewCase(a, k) }

// IsCaseReporter: a person of the reporting organization, who may confirm a resolution
// and reopen the case.
func IsCaseReporter(a Actor, k CaseFacts) bool { return a.UserID != 0 && a.OrgID == k.OrgID }

// CaseMessageFilter is CanViewCaseMessage over the aliases m of case_messages and cs of
// its case.
func CaseMessageFilter(a Actor) store.Filter {
	f := CaseFilter(a)
	if CanViewInternalNotes(a) {
		return f
	}
	if f.SQL == "" {
		f.SQL = "TRUE"
	}
	return store.Filter{SQL: "m.internal = FALSE AND " + f.SQL, Args: f.Args}
}

// ---- Files on cases ----

// CaseAttachmentFacts are what the file rule needs: the case, and whether the file is on
// an internal note.
type CaseAttachmentFacts struct {
	Case     CaseFacts
	Internal bool
}

// CanViewCaseAttachment: a file on a case or on a message of its thread is seen by whoever
// sees the case; a file on an internal note by whoever sees the note (center staff).
func CanViewCaseAttachment(a Actor, f CaseAttachmentFacts) bool {
	return CanViewCaseMessage(a, CaseMessageFacts(f))
}

// CanAttachToCase: files go on the case itself from its reporting organization and the
// center (a partner writes a message and attaches there), and on a message from its
// author (messageAuthorID, 0 for the case itself).
func CanAttachToCase(a Actor, k CaseFacts, messageAuthorID int64) bool {
	if !CanReplyCase(a, k) {
		return false
	}
	if messageAuthorID != 0 {
		return a.UserID == messageAuthorID
	}
	return a.IsCenter() || IsCaseReporter(a, k)
}
