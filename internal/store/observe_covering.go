package store

import "context"

// maxCoveringArgs bounds the values of one CoveredKeys statement (both backends accept
// far more parameters; this keeps one statement's text modest).
const maxCoveringArgs = 2000

// CoveredKeys returns which of the address keys and reversed host names an approved,
// undeleted asset covers, as AssetsCovering would find for each one: a look-up for a
// whole batch of shared values, so that AssetsCovering runs only for the few that match.
func CoveredKeys(ctx context.Context, c Conn, addrs, hosts []string) (map[string]bool, error) {
	out := map[string]bool{}
	for len(addrs) > 0 {
		n := min(len(addrs), maxCoveringArgs)
		if err := coveredRows(ctx, c, out, "SELECT DISTINCT x.column1 FROM (VALUES "+valuesList(n)+") x WHERE EXISTS (SELECT 1 FROM observe_assets oa "+
			"WHERE oa.status = 'approved' AND oa.deleted_at = 0 AND oa.kind IN ('ip', 'cidr') AND oa.addr_lo <> '' "+
			"AND oa.addr_lo <= x.column1 AND oa.addr_hi >= x.column1)", addrs[:n]); err != nil {
			return nil, err
		}
		addrs = addrs[n:]
	}
	for len(hosts) > 0 {
		n := min(len(hosts), maxCoveringArgs)
		if err := coveredRows(ctx, c, out, "SELECT DISTINCT oa.host_rev FROM observe_assets oa WHERE oa.status = 'approved' AND oa.deleted_at = 0 "+
			"AND oa.kind = 'domain' AND oa.host_rev IN ("+Placeholders(n)+")", hosts[:n]); err != nil {
			return nil, err
		}
		hosts = hosts[n:]
	}
	return out, nil
}

func valuesList(n int) string {
	b := make([]byte, 0, 4*n)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "(?)"...)
	}
	return string(b)
}

func coveredRows(ctx context.Context, c Conn, out map[string]bool, q string, keys []string) error {
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	rows, err := c.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return err
		}
		out[k] = true
	}
	return rows.Err()
}
