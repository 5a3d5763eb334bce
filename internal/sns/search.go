package sns

import (
	"context"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/markdown"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/search"
	"github.com/renkei-dev/renkei/internal/store"
)

// MaxSearchResults bounds how deep a search can be paged: the candidates it ranks.
const MaxSearchResults = store.SearchCandidates

// indexTopic rewrites a topic's search row from its title, body, comments and file names,
// with the access keys of who may see it now. Everything that changes the text or the
// audience calls it in the same transaction.
func indexTopic(ctx context.Context, c store.Conn, topicID int64) error {
	title, rest, err := store.TopicTextForIndex(ctx, c, topicID)
	if err != nil {
		return err
	}
	t, err := store.GetTopic(ctx, c, topicID)
	if err != nil {
		return err
	}
	var aud model.Audience
	if t.Scope == model.ScopeSelected {
		if aud, err = store.GetAudience(ctx, c, topicID); err != nil {
			return err
		}
	}
	keys := policy.TopicSearchKeys(Facts(t, aud))
	if err := indexTopicValues(ctx, c, topicID, t.Deleted(), title, rest); err != nil {
		return err
	}
	return store.IndexTopic(ctx, c, topicID, search.Version, search.Tokens(title), search.Tokens(markdown.Plain(rest)), keys)
}

// Hit is a search result: the topic, and its title and a piece of its body with the
// matches marked.
type Hit struct {
	Item
	Title   []search.Segment
	Snippet []search.Segment
	CutHead bool
	CutTail bool
}

// SearchQuery is a search with the timeline's filters; Offset pages through the ranked
// results (at most MaxSearchResults deep).
type SearchQuery struct {
	Text string
	TimelineQuery
	Offset int
}

// Search finds topics the person may see, best first, and returns the offset of the next
// page (0 at the end).
func (s *Service) Search(ctx context.Context, p auth.Principal, q SearchQuery) ([]Hit, int, error) {
	parsed, err := search.Parse(q.Text)
	if err != nil {
		return nil, 0, err
	}
	if parsed.Empty() {
		return nil, 0, nil
	}
	n := limitOf(store.Page{Limit: q.Limit})
	if q.Offset < 0 || q.Offset >= MaxSearchResults {
		return nil, 0, nil
	}
	c := s.db.Read()
	cands, err := store.SearchCandidatesOf(ctx, c, store.SearchQuery{FTS5: parsed.FTS5(), TSQuery: parsed.TSQuery(),
		Keys: policy.ActorSearchKeys(p.Actor), Access: policy.TopicFilter(p.Actor),
		Topics: store.TopicQuery{CommunityID: q.CommunityID, InfoType: q.InfoType, Priority: q.Priority, TLP: q.TLP, Tag: q.Tag,
			From: q.From, To: q.To, UserID: p.User.ID, Unread: q.Unread, Bookmarked: q.Bookmarked}})
	if err != nil {
		return nil, 0, err
	}
	titles := make([]string, len(cands))
	for i, x := range cands {
		titles[i] = x.TitleTokens
	}
	var ids []int64
	for _, i := range parsed.Order(titles)[min(q.Offset, len(cands)):] {
		if len(ids) == n {
			break
		}
		ids = append(ids, cands[i].ID)
	}
	next := 0
	if q.Offset+n < min(len(cands), MaxSearchResults) {
		next = q.Offset + n
	}
	topics, err := store.GetTopicsByID(ctx, c, ids)
	if err != nil {
		return nil, 0, err
	}
	items, err := s.items(ctx, c, p, topics)
	if err != nil {
		return nil, 0, err
	}
	hits := make([]Hit, len(items))
	for i, it := range items {
		title, _, _ := search.Highlight(it.Topic.Title, parsed, 400)
		snippet, head, tail := search.Highlight(markdown.Plain(it.Topic.Body), parsed, 160)
		hits[i] = Hit{Item: it, Title: title, Snippet: snippet, CutHead: head, CutTail: tail}
	}
	return hits, next, nil
}

// ReindexStale rewrites the search rows written by another tokenizer version (or missing),
// in batches; it returns how many topics it indexed. Run at start-up after the migrations.
func (s *Service) ReindexStale(ctx context.Context) (int, error) {
	n := 0
	after := int64(0)
	for {
		ids, err := store.StaleSearchRows(ctx, s.db.Read(), search.Version, after, 200)
		if err != nil || len(ids) == 0 {
			return n, err
		}
		err = s.db.Write(ctx, func(c store.Conn) error {
			for _, id := range ids {
				if err := indexTopic(ctx, c, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += len(ids)
		after = ids[len(ids)-1]
	}
}
