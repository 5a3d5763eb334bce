// Package leaktest holds the policy property test: the "leak test". It has no code of
// its own outside its _test.go files.
//
// The test builds random worlds through the services, as the operator would: organizations
// (exactly one of them the coordination center, with analysts and center admins), people
// with random roles, communities, memberships of whole organizations and of single
// people, moderators, and then some disabled people and disabled organizations. For every
// kind of item the policy guards, and for every person of the world (and the operator),
// it asks the policy's predicate which items the person may see, and checks that every
// path through which items reach people — the SQL filter, the store, the services, the
// JSON API with the person's own token, the web pages with the person's own signed-in
// session — returns exactly that set: an id too many is a
// leak, an id missing is a broken feature. It runs on SQLite and PostgreSQL.
//
// # Adding a kind of item
//
// A later issue that adds topics, comments, cases, notices or indicators adds one entry
// to the kinds table in kinds_test.go: a kindSpec with
//
//   - name: what the report calls it;
//   - items: the collection of the world holding its ids ("topics"); generate appends to it;
//   - generate: adds random items to the world through the services (g.r is the world's
//     random source, g.sys the operator's principal, g.w the world and its people);
//   - facts: loads from the database what the policy needs to know about one item;
//   - allowed: the policy predicate over those facts — a function of the policy package,
//     never the rule written again in the test;
//   - paths: each a name and a function returning the ids a viewer gets back through it
//     (helpers: sqlFilter, pageIDs, apiList, apiGetEach, serviceGetEach, and for web pages
//     pageList and pageGetEach, with page: true). A path that asks
//     for less than everything (only enabled people, one organization) says so with
//     narrow; the expected set is then what the predicate allows within what was asked.
//
// # Settings
//
//	RENKEI_LEAK_SEED=N      build only the world of seed N (on each backend), to reproduce a failure
//	RENKEI_LEAK_WORLDS=N    worlds per backend; or sqlite=N,postgres=M (default sqlite=20,postgres=8)
//	RENKEI_TEST_POSTGRES    the PostgreSQL server (see internal/testdb)
//
// Every world logs its seed; a failure names the seed, the viewer, the path, the item
// and what was expected, and prints the command that builds the same world again.
package leaktest
