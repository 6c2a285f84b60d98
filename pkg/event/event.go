// Package event defines the CloudEvents 1.0 envelope every nuanxin service
// publishes, the NATS subject and stream names derived from it, and the Go
// types of each event's data (the event catalog, see catalog_*.go).
package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/validate"
)

// ContentType is the content type of a structured-mode CloudEvent.
const ContentType = "application/cloudevents+json"

// DefaultNamespace is the first token of every subject and event type.
const DefaultNamespace = "nuanxin"

// Envelope is a CloudEvent in JSON structured mode, with the nuanxin
// extensions street (the tenant) and dataversion (the payload's version).
type Envelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject,omitempty"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	DataVersion     string          `json:"dataversion"`
	Street          string          `json:"street"`
	Data            json.RawMessage `json:"data"`
}

// Name identifies one kind of event: the service that owns it, the entity it
// is about and what happened (a verb in the past tense).
type Name struct {
	Service string // "registry"
	Entity  string // "worker"
	Verb    string // "checked_in"
}

// Type is the CloudEvents type, e.g. "nuanxin.registry.worker.checked_in".
func (n Name) Type() string {
	return DefaultNamespace + "." + n.Service + "." + n.Entity + "." + n.Verb
}

// New builds an envelope with a fresh UUIDv7 id (time-ordered, so ids sort
// roughly by creation) and the current UTC time.
func New(name Name, street, subject string, data any) (Envelope, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Envelope{}, fmt.Errorf("marshal %s data: %w", name.Type(), err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Envelope{}, fmt.Errorf("new event id: %w", err)
	}
	return Envelope{
		SpecVersion:     "1.0",
		ID:              id.String(),
		Source:          "/" + DefaultNamespace + "/" + name.Service,
		Type:            name.Type(),
		Subject:         subject,
		Time:            time.Now().UTC().Truncate(time.Microsecond),
		DataContentType: "application/json",
		DataVersion:     "1",
		Street:          street,
		Data:            raw,
	}, nil
}

// Parse decodes a structured-mode CloudEvent and checks the attributes every
// consumer relies on.
func Parse(b []byte) (Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return Envelope{}, fmt.Errorf("parse event: %w", err)
	}
	switch {
	case e.SpecVersion != "1.0":
		return Envelope{}, fmt.Errorf("parse event: unsupported specversion %q", e.SpecVersion)
	case e.ID == "" || e.Type == "" || e.Source == "":
		return Envelope{}, errors.New("parse event: id, type and source are required")
	}
	return e, nil
}

// Decode unmarshals the event's data into v.
func (e Envelope) Decode(v any) error {
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("decode %s data: %w", e.Type, err)
	}
	return nil
}

// Name splits the event type back into service, entity and verb.
func (e Envelope) Name() (Name, error) {
	parts := strings.Split(e.Type, ".")
	if len(parts) != 4 {
		return Name{}, fmt.Errorf("event type %q is not namespace.service.entity.verb", e.Type)
	}
	return Name{Service: parts[1], Entity: parts[2], Verb: parts[3]}, nil
}

// ValidToken reports whether s can stand as one NATS subject token in our
// naming scheme (street codes are such tokens): a code, as validate.Code
// defines it once for every service.
func ValidToken(s string) bool { return validate.IsCode(s) }

// Subjects builds NATS subject and stream names. Namespace is "nuanxin" in
// production; tests use a unique namespace so they can share one server.
type Subjects struct {
	Namespace string
}

func (s Subjects) ns() string {
	if s.Namespace == "" {
		return DefaultNamespace
	}
	return s.Namespace
}

// For returns the subject an event is published on:
// <namespace>.<service>.<street>.<entity>.<verb>. The street sits in the
// subject so permissions and subscriptions can be scoped to one street office.
func (s Subjects) For(name Name, street string) string {
	if street == "" {
		street = "_district"
	}
	return s.ns() + "." + name.Service + "." + street + "." + name.Entity + "." + name.Verb
}

// Service returns the wildcard that matches every event of one service.
func (s Subjects) Service(service string) string { return s.ns() + "." + service + ".>" }

// Filter returns a filter for one event name across all streets.
func (s Subjects) Filter(name Name) string {
	return s.ns() + "." + name.Service + ".*." + name.Entity + "." + name.Verb
}

// Stream returns the stream name of a producing service: "REGISTRY" in the
// default namespace, "<NAMESPACE>_REGISTRY" otherwise.
func (s Subjects) Stream(service string) string {
	if s.ns() == DefaultNamespace {
		return strings.ToUpper(service)
	}
	return strings.ToUpper(s.ns() + "_" + service)
}

// DeadLetter returns the subject a consumer's poison messages are moved to.
func (s Subjects) DeadLetter(consumer string) string {
	return s.ns() + ".deadletter." + consumer
}

// DeadLetterStream returns the name of the stream that keeps dead letters.
func (s Subjects) DeadLetterStream() string { return s.Stream("deadletter") }
