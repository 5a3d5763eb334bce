package notify

import "context"

// RenderCaseAlert renders the on-call alert about a case for one person, as delivery would.
func (n *Notifier) RenderCaseAlert(ctx context.Context, userID, caseID int64) (subject, body string, err error) {
	m, err := n.renderEmail(ctx, job{Kind: jobCase, UserID: userID, CaseID: caseID})
	return m.subject, m.body, err
}
