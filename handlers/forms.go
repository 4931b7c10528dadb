package handlers

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"lapak/db"
	"lapak/views"
)

// minPasswordLen is the shortest initial password accepted: long enough
// against guessing, with the rate limit doing the rest.
const minPasswordLen = 10

// validEmail is a deliberately loose check (something@something, no spaces):
// the real test is whether the person receives their login.
func validEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && at < len(s)-1 && len(s) <= 254 && !strings.ContainsAny(s, " \t\r\n<>\"") &&
		strings.Count(s, "@") == 1
}

// trimmed returns the trimmed form value and records err.toolong in errs
// when it exceeds maxLen characters.
func trimmed(errs views.FieldErrors, field, value string, maxLen int) string {
	v := strings.TrimSpace(value)
	if utf8.RuneCountInString(v) > maxLen {
		errs[field] = "err.toolong"
	}
	return v
}

// userForm reads and validates the fields shared by the administrator's and
// the owner's add-user forms. newUser says whether a password is needed.
type userInput struct {
	Email, Name, Password string
	Role                  db.Role
}

func readUserInput(form map[string][]string, errs views.FieldErrors) userInput {
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	in := userInput{
		Email:    db.NormalizeEmail(get("email")),
		Name:     trimmed(errs, "name", get("name"), 200),
		Password: get("password"),
		Role:     db.Role(get("role")),
	}
	switch {
	case in.Email == "":
		errs["email"] = "err.required"
	case !validEmail(in.Email):
		errs["email"] = "err.email"
	}
	if !in.Role.Valid() {
		errs["role"] = "err.role"
	}
	return in
}

// checkNewUser validates what only a new account needs.
func checkNewUser(in userInput, errs views.FieldErrors) {
	if in.Name == "" {
		errs["name"] = "err.required"
	}
	if utf8.RuneCountInString(in.Password) < minPasswordLen {
		errs["password"] = "err.password.short"
	}
}

func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}
