package activity

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// The four lists (四项清单) turn what workers need into work somebody owns:
//
//	need (需求清单) ─┐
//	                 ├─ joint meeting ─▶ project (项目清单) ─ a unit claims ─▶ tasks (任务清单)
//	resource (资源清单) ┘
//
// Needs come from workers or staff, resources from units (recorded by staff).
// A joint meeting links open needs to available resources as a project; once
// a unit claims it, staff give it tasks with a responsible unit and person, a
// completion standard and a deadline. When its tasks are done the project is
// completed and its needs are met. This file holds needs and resources;
// lists_projects.go projects and tasks.

// ListCategories are the kinds of need and of resource, shared so that a
// joint meeting can see which resources answer which needs.
var ListCategories = []string{"rest_place", "charging", "meals", "legal_aid", "health", "training",
	"childcare", "housing", "insurance", "culture", "other"}

// The statuses of needs and resources.
const (
	NeedOpen      = "open"
	NeedInProject = "in_project"
	NeedMet       = "met"
	NeedWithdrawn = "withdrawn"

	ResourceAvailable = "available"
	ResourceWithdrawn = "withdrawn"
)

// NeedStatuses lists every status a need can have.
var NeedStatuses = []string{NeedOpen, NeedInProject, NeedMet, NeedWithdrawn}

// Need is something workers need (需求清单): raised by a worker for their
// community, or recorded by staff.
type Need struct {
	ID          uuid.UUID  `json:"id"`
	Street      string     `json:"street"`
	Community   string     `json:"community,omitempty"`
	Category    string     `json:"category"`
	Title       string     `json:"title"`
	Description string     `json:"description,omitempty"`
	Source      string     `json:"source"` // worker or staff
	WorkerID    *uuid.UUID `json:"worker_id,omitempty"`
	Status      string     `json:"status"`
	ProjectID   *uuid.UUID `json:"project_id,omitempty"`
	Note        string     `json:"note,omitempty"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// NeedInput raises a need. Workers' needs are placed in their own street and
// community; staff place theirs within their scope.
type NeedInput struct {
	Category    string `json:"category"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Street      string `json:"street"`
	Community   string `json:"community"`
}

// WithdrawInput withdraws a need or a resource, saying why.
type WithdrawInput struct {
	Reason string `json:"reason"`
}

var (
	errNeedNotFound     = fault.NotFoundf("need not found")
	errResourceNotFound = fault.NotFoundf("resource not found")
)

// statusChanged is the need.status_changed event of a need moved from from.
func (n Need) statusChanged(from string) pending {
	d := event.NeedStatusChangedData{NeedID: n.ID.String(), Street: n.Street, Community: n.Community, From: from, To: n.Status}
	if n.ProjectID != nil {
		d.ProjectID = n.ProjectID.String()
	}
	if n.WorkerID != nil {
		d.WorkerID = n.WorkerID.String()
	}
	return pending{event.NeedStatusChanged, n.Street, n.ID.String(), d}
}

// ownedBy reports whether worker token p raised the need.
func (n Need) ownedBy(p auth.Principal) bool {
	return p.Role == auth.Worker && n.WorkerID != nil && n.WorkerID.String() == p.WorkerID
}

// CreateNeed records a need: a worker's for their own community, or staff's
// within their scope.
func (s *Service) CreateNeed(ctx context.Context, p auth.Principal, in NeedInput) (Need, error) {
	at := s.now()
	n := Need{ID: newID(), Status: NeedOpen, CreatedBy: p.Subject, CreatedAt: at, UpdatedAt: at}
	var c validate.Collector
	if p.Role == auth.Worker {
		w, err := s.callerWorker(ctx, p)
		if err != nil {
			return Need{}, err
		}
		c.Check(in.Street == "" || in.Street == w.Street, "street", validate.CodeUnknownValue, "a worker's need is for their own street")
		c.Check(in.Community == "" || in.Community == w.Community, "community", validate.CodeUnknownValue, "a worker's need is for their own community")
		n.Source, n.WorkerID, n.Street, n.Community = "worker", &w.ID, w.Street, w.Community
	} else {
		n.Source = "staff"
		var err error
		if n.Street, n.Community, err = s.place(ctx, &c, p, in.Street, in.Community); err != nil {
			return Need{}, err
		}
	}
	n.Category = c.OneOf("category", in.Category, ListCategories)
	n.Title = c.Text("title", in.Title, 1, 100)
	n.Description = c.Text("description", in.Description, 0, 1000)
	if err := c.Err(); err != nil {
		return Need{}, err
	}
	d := event.NeedData{NeedID: n.ID.String(), Street: n.Street, Community: n.Community, Category: n.Category, Source: n.Source}
	if n.WorkerID != nil {
		d.WorkerID = n.WorkerID.String()
	}
	if err := s.store.CreateNeed(ctx, n, pending{event.NeedCreated, n.Street, n.ID.String(), d}); err != nil {
		return Need{}, fmt.Errorf("create need: %w", err)
	}
	return n, nil
}

// GetNeed returns a need to the worker who raised it or to staff who look
// after its place.
func (s *Service) GetNeed(ctx context.Context, p auth.Principal, id uuid.UUID) (Need, error) {
	n, found, err := s.store.Need(ctx, id)
	if err != nil {
		return Need{}, err
	}
	if !found || !(n.ownedBy(p) || p.Manages(n.Street, n.Community)) {
		return Need{}, errNeedNotFound
	}
	return n, nil
}

// WithdrawNeed withdraws an open need, by the worker who raised it or staff.
func (s *Service) WithdrawNeed(ctx context.Context, p auth.Principal, id uuid.UUID, in WithdrawInput) (Need, error) {
	var c validate.Collector
	reason := c.Text("reason", in.Reason, 1, 500)
	if err := c.Err(); err != nil {
		return Need{}, err
	}
	return s.store.UpdateNeed(ctx, id, func(n *Need) (*pending, error) {
		if !(n.ownedBy(p) || p.Manages(n.Street, n.Community)) {
			return nil, errNeedNotFound
		}
		if n.Status != NeedOpen {
			return nil, fault.ConflictReason("need_not_open", "only an open need can be withdrawn; this one is %s", n.Status)
		}
		n.Status, n.Note, n.UpdatedAt = NeedWithdrawn, reason, s.now()
		ev := n.statusChanged(NeedOpen)
		return &ev, nil
	})
}

// CategoryQuery filters and pages needs or resources.
type CategoryQuery struct {
	ListQuery
	Category string
}

// listsQuery is what the store filters needs and resources by: the caller's
// query fitted to their scope.
type listsQuery struct {
	CategoryQuery
	WorkerID string // a worker's own needs
	Audience bool   // also the street-wide rows of Street (Community's staff see those resources)
}

// ListNeeds lists needs: staff those of their scope, workers their own.
func (s *Service) ListNeeds(ctx context.Context, p auth.Principal, q CategoryQuery) (Page[Need], error) {
	var c validate.Collector
	checkPage(&c, q.ListQuery)
	if q.Status != "" {
		c.OneOf("status", q.Status, NeedStatuses)
	}
	if q.Category != "" {
		c.OneOf("category", q.Category, ListCategories)
	}
	if err := c.Err(); err != nil {
		return Page[Need]{}, err
	}
	lq := listsQuery{CategoryQuery: q}
	if p.Role == auth.Worker {
		w, err := s.callerWorker(ctx, p)
		if err != nil {
			return Page[Need]{}, err
		}
		if err := ownFilter(w, lq.Street, lq.Community); err != nil {
			return Page[Need]{}, err
		}
		lq.Street, lq.Community, lq.WorkerID = "", "", w.ID.String()
	} else if err := s.narrowToScope(ctx, p, &lq.Street, &lq.Community); err != nil {
		return Page[Need]{}, err
	}
	return s.store.ListNeeds(ctx, lq)
}

// checkPage validates a list's limit and cursor.
func checkPage(c *validate.Collector, q ListQuery) {
	c.Check(q.Limit >= 1 && q.Limit <= 500, "limit", validate.CodeOutOfRange, "must be between 1 and 500")
	if q.After != "" {
		_, err := uuid.Parse(q.After)
		c.Check(err == nil, "after", validate.CodeInvalidFormat, "must be the next cursor of a previous page")
	}
}

// Resource is something a unit offers (资源清单): a service, a place, hours
// of a professional. Staff record it for the unit.
type Resource struct {
	ID          uuid.UUID `json:"id"`
	Street      string    `json:"street"`
	Community   string    `json:"community,omitempty"`
	Unit        string    `json:"unit"`
	Category    string    `json:"category"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Contact     string    `json:"contact,omitempty"`
	Status      string    `json:"status"`
	Note        string    `json:"note,omitempty"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ResourceInput records a unit's resource.
type ResourceInput struct {
	Unit        string `json:"unit"`
	Category    string `json:"category"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Contact     string `json:"contact"`
	Street      string `json:"street"`
	Community   string `json:"community"`
}

func (r Resource) event(name event.Name) pending {
	return pending{name, r.Street, r.ID.String(), event.ResourceData{ResourceID: r.ID.String(), Street: r.Street,
		Community: r.Community, Unit: r.Unit, Category: r.Category}}
}

// visibleTo reports whether staff p may see the resource: those of their
// scope, and for community staff also the street-wide ones of their street,
// which their community's projects may use.
func (r Resource) visibleTo(p auth.Principal) bool {
	return p.Manages(r.Street, r.Community) ||
		(p.Role == auth.CommunityStaff && r.Community == "" && r.Street == p.Street)
}

// CreateResource records a resource a unit offers, within the caller's scope.
func (s *Service) CreateResource(ctx context.Context, p auth.Principal, in ResourceInput) (Resource, error) {
	if !p.IsStaff() {
		return Resource{}, fault.Forbiddenf("only staff may record resources")
	}
	at := s.now()
	r := Resource{ID: newID(), Status: ResourceAvailable, CreatedBy: p.Subject, CreatedAt: at, UpdatedAt: at}
	var c validate.Collector
	var err error
	if r.Street, r.Community, err = s.place(ctx, &c, p, in.Street, in.Community); err != nil {
		return Resource{}, err
	}
	r.Unit = c.Text("unit", in.Unit, 1, 100)
	r.Category = c.OneOf("category", in.Category, ListCategories)
	r.Title = c.Text("title", in.Title, 1, 100)
	r.Description = c.Text("description", in.Description, 0, 1000)
	r.Contact = c.Text("contact", in.Contact, 0, 100)
	if err := c.Err(); err != nil {
		return Resource{}, err
	}
	if err := s.store.CreateResource(ctx, r, r.event(event.ResourceCreated)); err != nil {
		return Resource{}, fmt.Errorf("create resource: %w", err)
	}
	return r, nil
}

// GetResource returns a resource the caller may see.
func (s *Service) GetResource(ctx context.Context, p auth.Principal, id uuid.UUID) (Resource, error) {
	if !p.IsStaff() {
		return Resource{}, fault.Forbiddenf("only staff may see resources")
	}
	r, found, err := s.store.Resource(ctx, id)
	if err != nil {
		return Resource{}, err
	}
	if !found || !r.visibleTo(p) {
		return Resource{}, errResourceNotFound
	}
	return r, nil
}

// WithdrawResource takes a resource off the list; projects already using it
// keep it.
func (s *Service) WithdrawResource(ctx context.Context, p auth.Principal, id uuid.UUID, in WithdrawInput) (Resource, error) {
	if !p.IsStaff() {
		return Resource{}, fault.Forbiddenf("only staff may withdraw resources")
	}
	var c validate.Collector
	reason := c.Text("reason", in.Reason, 1, 500)
	if err := c.Err(); err != nil {
		return Resource{}, err
	}
	return s.store.UpdateResource(ctx, id, func(r *Resource) (*pending, error) {
		if !p.Manages(r.Street, r.Community) {
			if r.visibleTo(p) {
				return nil, fault.Forbiddenf("a street-wide resource is withdrawn by the street office")
			}
			return nil, errResourceNotFound
		}
		if r.Status != ResourceAvailable {
			return nil, fault.ConflictReason("resource_withdrawn", "the resource is already withdrawn")
		}
		r.Status, r.Note, r.UpdatedAt = ResourceWithdrawn, reason, s.now()
		ev := r.event(event.ResourceWithdrawn)
		return &ev, nil
	})
}

// ListResources lists the resources staff may see.
func (s *Service) ListResources(ctx context.Context, p auth.Principal, q CategoryQuery) (Page[Resource], error) {
	if !p.IsStaff() {
		return Page[Resource]{}, fault.Forbiddenf("only staff may see resources")
	}
	var c validate.Collector
	checkPage(&c, q.ListQuery)
	if q.Status != "" {
		c.OneOf("status", q.Status, []string{ResourceAvailable, ResourceWithdrawn})
	}
	if q.Category != "" {
		c.OneOf("category", q.Category, ListCategories)
	}
	if err := c.Err(); err != nil {
		return Page[Resource]{}, err
	}
	lq := listsQuery{CategoryQuery: q}
	// Community staff see their community's resources and, unless they
	// asked for their community's alone, the street-wide ones.
	audience := p.Role == auth.CommunityStaff && lq.Community == ""
	if err := s.narrowToScope(ctx, p, &lq.Street, &lq.Community); err != nil {
		return Page[Resource]{}, err
	}
	lq.Audience = audience
	return s.store.ListResources(ctx, lq)
}
