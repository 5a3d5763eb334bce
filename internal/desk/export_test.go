package desk

// SetMaxCaseFiles lowers MaxAttachmentsPerCase for a test.
func SetMaxCaseFiles(s *Service, n int) { s.maxCaseFiles = n }
