package db

import (
	"fmt"
	"strings"
)

// Filter builds the WHERE clause and keyset page of a list query, numbering
// the placeholders as conditions are added, so each list reads as its rules:
//
//	var f db.Filter
//	f.Eq("street", q.Street)               // skipped when empty
//	f.Where("due_at < $%d", now)           // $%d becomes the next placeholder
//	rows, err := pool.Query(ctx, "SELECT … FROM reports"+f.Page(q.After, q.Limit), f.Args...)
type Filter struct {
	conds []string
	Args  []any
}

// Where adds a condition whose single %d is replaced by the placeholder
// number of v.
func (f *Filter) Where(cond string, v any) {
	f.Args = append(f.Args, v)
	f.conds = append(f.conds, fmt.Sprintf(cond, len(f.Args)))
}

// Raw adds a condition without a value.
func (f *Filter) Raw(cond string) { f.conds = append(f.conds, cond) }

// Eq adds "col = value" unless value is empty (an absent filter).
func (f *Filter) Eq(col, value string) {
	if value != "" {
		f.Where(col+" = $%d", value)
	}
}

// Clause returns the WHERE clause ("" when there is no condition), for
// queries that are not paged (a roster is the whole list).
func (f *Filter) Clause() string {
	if len(f.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(f.conds, " AND ")
}

// Page returns the WHERE clause with the keyset cursor (rows after the id
// after, when given), ordered by id, limited to limit+1 rows: the extra row
// tells the caller there is a next page.
func (f *Filter) Page(after string, limit int) string {
	if after != "" {
		f.Where("id > $%d", after)
	}
	sql := f.Clause()
	f.Args = append(f.Args, limit+1)
	return sql + fmt.Sprintf(" ORDER BY id LIMIT $%d", len(f.Args))
}
