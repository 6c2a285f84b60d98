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
func lookup(fields map[string]reflect.StructField, key string) (reflect.StructField, bool) {
	if f, ok := fields[key]; ok {
		return f, true
	}
	for n, f := range fields {
		if strings.EqualFold(n, key) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// jsonFields are the fields of struct type t by their JSON member names,
// with embedded structs' members promoted.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
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
		out[n] = f
	}
	return out
}
