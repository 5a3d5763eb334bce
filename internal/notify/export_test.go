package notify

// SetManyOrgs changes the number of member organizations above which a community's people
// are found in one pass, and returns a function that restores it.
func SetManyOrgs(n int) (restore func()) {
	old := manyOrgs
	manyOrgs = n
	return func() { manyOrgs = old }
}
