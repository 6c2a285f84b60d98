package httpx

import (
	"reflect"
	"strings"
)

// join names the member key of the member at path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// lookup finds a member's field as encoding/json does: the exact name
// first, then case-insensitively.
func lookup(fields map[string]reflect.Type, key string) (reflect.Type, bool) {
	if t, ok := fields[key]; ok {
		return t, true
	}
	for n, t := range fields {
		if strings.EqualFold(n, key) {
			return t, true
		}
	}
	return nil, false
}

// jsonFields are the JSON member names of struct type t and their types,
// with embedded structs' members promoted.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		n, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && n == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, taken := out[k]; !taken {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if n == "" {
			n = f.Name
		}
		out[n] = f.Type
	}
	return out
}
