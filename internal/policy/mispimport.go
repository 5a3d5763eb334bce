package policy

import "github.com/renkei-dev/renkei/internal/store"

// ---- MISP feed imports ----
//
// Importing a MISP feed writes into a collection, so who may start one is who may write
// that collection (CanWriteCollection). The progress record (source, counts, the events
// that failed and why) is seen by the collection's writers, who may import into it
// themselves, and by center staff, who watch what flows into the platform; readers who
// may not write the collection, and everyone else, are told it does not exist.

// MISPImportFacts are what the import rule needs.
type MISPImportFacts struct {
	Collection CollectionFacts
}

// CanStartMISPImport is the write rule of the collection.
func CanStartMISPImport(a Actor, k CollectionFacts) bool {
	return a.UserID != 0 && CanWriteCollection(a, k)
}

// CanViewMISPImport is the rule above for one import record.
func CanViewMISPImport(a Actor, m MISPImportFacts) bool {
	if a.UserID == 0 {
		return false
	}
	return a.IsCenter() || CanWriteCollection(a, m.Collection)
}

// MISPImportFilter is CanViewMISPImport over the alias m of misp_imports.
func MISPImportFilter(a Actor) store.Filter {
	switch {
	case a.UserID == 0:
		return store.Filter{SQL: "FALSE"}
	case a.IsCenter():
		return store.Filter{}
	}
	// A non-center person writes their organization's collections, and the collections
	// of their communities that let every member write.
	return store.Filter{
		SQL: `m.collection_id IN (SELECT k.id FROM intel_collections k WHERE k.org_id = ? OR (k.member_write AND
			k.community_id IN (SELECT community_id FROM community_members WHERE org_id = ? OR user_id = ?)))`,
		Args: []any{a.OrgID, a.OrgID, a.UserID},
	}
}
