package auth_test

import "github.com/renkei-dev/renkei/internal/directory"

func directoryPatch(disabled *bool) directory.UserPatch {
	return directory.UserPatch{Disabled: disabled}
}

func directoryInput(orgID int64, email string) directory.UserInput {
	return directory.UserInput{OrgID: orgID, Email: email, DisplayName: "New Person"}
}
