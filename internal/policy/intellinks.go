package policy

import "github.com/renkei-dev/renkei/internal/store"

// ---- Indicators linked to topics and cases ----
//
// A person links an indicator to a topic or a case when they can see both ends: for a
// topic, anyone who sees the topic; for a case, those who may write in its thread (center
// staff, the reporting organization, invited partners). A link is seen only by those who
// can see both ends, so that an organization that sees the indicator but not the topic or
// case never learns that the link exists. The indicator end is judged by the object's
// latest version. The person who made a link and center staff (who can see both ends)
// remove it.
//
// Correlation by shared values (same address, domain, URL, hash) needs no rule of its own:
// it lists only topics, cases and indicators that pass their own filters.

// IndicatorLinkFacts are what the link rules need: the facts of both ends (exactly one of
// Topic and Case) and who made the link.
type IndicatorLinkFacts struct {
	Indicator StixFacts // the object's latest version
	Topic     *TopicFacts
	Case      *CaseFacts
	LinkedBy  int64
}

// CanViewIndicatorLink is the view rule above.
func CanViewIndicatorLink(a Actor, l IndicatorLinkFacts) bool {
	if !CanViewStix(a, l.Indicator) {
		return false
	}
	if l.Topic != nil {
		return CanViewTopic(a, *l.Topic)
	}
	return l.Case != nil && CanViewCase(a, *l.Case)
}

// CanLinkIndicator: whoever sees both ends may link them; for a case, whoever may write
// in its thread.
func CanLinkIndicator(a Actor, l IndicatorLinkFacts) bool {
	if a.UserID == 0 || !CanViewIndicatorLink(a, l) {
		return false
	}
	return l.Case == nil || CanReplyCase(a, *l.Case)
}

// CanUnlinkIndicator: the person who made the link, or center staff, among those who see it.
func CanUnlinkIndicator(a Actor, l IndicatorLinkFacts) bool {
	return CanViewIndicatorLink(a, l) && CanUnlinkSeenLink(a, l.LinkedBy)
}

// CanUnlinkSeenLink is CanUnlinkIndicator for a link the actor is known to see (one a
// filtered list returned), for the pages' buttons.
func CanUnlinkSeenLink(a Actor, linkedBy int64) bool {
	return a.UserID != 0 && (linkedBy == a.UserID || a.IsCenter())
}

// IndicatorLinkFilter is CanViewIndicatorLink over the alias l of indicator_links.
func IndicatorLinkFilter(a Actor) store.Filter {
	if a.UserID == 0 {
		return store.Filter{SQL: "FALSE"}
	}
	o, t, k := StixFilter(a), TopicFilter(a), CaseFilter(a)
	if k.SQL == "" {
		k.SQL = "TRUE"
	}
	var args []any
	args = append(args, o.Args...)
	args = append(args, t.Args...)
	args = append(args, k.Args...)
	return store.Filter{
		SQL: `EXISTS (SELECT 1 FROM stix_objects o WHERE o.collection_id = l.collection_id AND o.stix_id = l.stix_id
				AND o.is_latest AND (` + o.SQL + `))
			AND (l.topic_id IN (SELECT t.id FROM topics t WHERE (` + t.SQL + `))
				OR l.case_id IN (SELECT cs.id FROM cases cs WHERE (` + k.SQL + `)))`,
		Args: args,
	}
}
