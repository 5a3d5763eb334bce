// Package e2e holds Renkei's browser tests: each starts the whole site on 127.0.0.1 and
// drives Debian's chromium through it as a person would, on SQLite and on PostgreSQL.
//
// The tests live in the _test.go files of this package. They read these variables:
//
//	RENKEI_TEST_CHROME            the browser binary (default /usr/bin/chromium)
//	RENKEI_TEST_REQUIRE_BROWSER=1 a missing browser fails the tests instead of skipping them
//	RENKEI_TEST_POSTGRES          the PostgreSQL server for the second run (see internal/testdb)
//	RENKEI_SCREENSHOTS            a directory for the pages the tests photograph (the README shows them)
package e2e
