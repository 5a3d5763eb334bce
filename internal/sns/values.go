package sns

import (
	"context"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/ioc"
	"github.com/renkei-dev/renkei/internal/store"
)

// The values a topic names (addresses, ranges, domains, URLs, email addresses, hashes;
// defanged forms refanged by the ioc package) are kept in topic_values with the kinds and
// forms of the indicators' values, so that an indicator's page finds the topics that share
// one with an index look-up. indexTopic rewrites them in the transaction of every change
// of the text.

// MaxTopicValues bounds the values kept for one topic: a topic that pastes a whole
// blocklist correlates through its first values, and its writes stay cheap.
const MaxTopicValues = 500

// valueChunk is how much text is given to the ioc package at once: small enough that a
// chunk never holds more values than its per-call limit.
const valueChunk = 32 << 10

// TextValues returns the values named in a text, in order of first appearance, at most
// MaxTopicValues.
func TextValues(text string) []store.StixValue {
	var out []store.StixValue
	seen := map[store.StixValue]bool{}
	for text != "" && len(out) < MaxTopicValues {
		chunk := text
		if len(chunk) > valueChunk {
			cut := strings.LastIndexByte(chunk[:valueChunk], '\n')
			if cut <= 0 {
				cut = valueChunk
			}
			chunk = chunk[:cut]
		}
		text = text[len(chunk):]
		res, err := ioc.Extract(chunk, ioc.Limits{MaxBytes: valueChunk})
		if err != nil {
			continue // cannot happen at this size; the chunk is skipped rather than the topic
		}
		for _, it := range res.Items {
			v := store.StixValue{Kind: string(it.Kind), Value: it.Value}
			if !seen[v] && len(out) < MaxTopicValues {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}

// indexTopicValues rewrites a topic's values from its title and the rest of its text
// (body, comments, file names); a deleted topic keeps none.
func indexTopicValues(ctx context.Context, c store.Conn, topicID int64, deleted bool, title, rest string) error {
	var values []store.StixValue
	if !deleted {
		values = TextValues(title + "\n" + rest)
	}
	return store.ReplaceTopicValues(ctx, c, topicID, values)
}

// BackfillTopicValues indexes the values of the next batch of topics written before
// their values were kept, in one transaction; it returns how many it did (0: all done).
func (s *Service) BackfillTopicValues(ctx context.Context, batch int) (int, error) {
	n := 0
	err := s.db.Write(ctx, func(c store.Conn) error {
		ids, err := store.TopicsToBackfill(ctx, c, batch)
		if err != nil || len(ids) == 0 {
			return err
		}
		for _, id := range ids {
			t, err := store.GetTopic(ctx, c, id)
			if err != nil {
				return err
			}
			title, rest, err := store.TopicTextForIndex(ctx, c, id)
			if err != nil {
				return err
			}
			if err := indexTopicValues(ctx, c, id, t.Deleted(), title, rest); err != nil {
				return err
			}
		}
		n = len(ids)
		return store.SetTopicsBackfilled(ctx, c, ids[len(ids)-1])
	})
	return n, err
}

// RunTopicValuesBackfill indexes every older topic's values, a batch at a time with a
// pause between batches so that people's writes are not held up, until done or ctx ends.
// The server runs it in the background: start-up does not wait for it.
func (s *Service) RunTopicValuesBackfill(ctx context.Context, pause time.Duration, report func(done int, err error)) {
	total := 0
	for ctx.Err() == nil {
		n, err := s.BackfillTopicValues(ctx, 500)
		total += n
		if err != nil || n == 0 {
			report(total, err)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}
