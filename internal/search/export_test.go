package search

// For the tests of package search_test, which need the database packages.
var (
	NastyQueries = nastyQueries
	SampleTexts  = sampleTexts
	TokenChars   = tokenChars
	Unquote      = unquote
	RandomKanji  = randomKanji
)
