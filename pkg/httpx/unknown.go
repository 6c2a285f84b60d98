package httpx

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// unknownFieldPath finds where in raw (decoded into a value of type t) an
// unknown member called name sits, as a path such as "segment.communty"
// or "opening_hours[1].opne": encoding/json names only the member itself.
// It returns name when the path cannot be told.
func unknownFieldPath(raw []byte, t reflect.Type, name string) string {
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return name
	}
	if path, ok := findUnknown(doc, t, "", name); ok {
		return path
	}
	return name
}

// findUnknown walks v (plain JSON) beside the Go type t it decodes into.
func findUnknown(v any, t reflect.Type, path, name string) (string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch doc := v.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Struct:
			fields := jsonFields(t)
			for key, sub := range doc {
				ft, known := lookup(fields, key)
				if !known {
					if key == name {
						return join(path, key), true
					}
					continue
				}
				if p, ok := findUnknown(sub, ft, join(path, key), name); ok {
					return p, true
				}
			}
		case reflect.Map:
			for key, sub := range doc {
				if p, ok := findUnknown(sub, t.Elem(), join(path, key), name); ok {
					return p, true
				}
			}
		}
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for i, sub := range doc {
				if p, ok := findUnknown(sub, t.Elem(), path+"["+strconv.Itoa(i)+"]", name); ok {
					return p, true
				}
			}
		}
	}
	return "", false
}

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
