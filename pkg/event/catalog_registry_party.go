package event

// The registry's party-pipeline and transfer events. Like every registry
// payload they carry ids, codes, categories and dates only.
var (
	// WorkerStatusChanged: a worker's political status moved one step along
	// the party-development pipeline (or back out of it).
	WorkerStatusChanged = Name{"registry", "worker", "status_changed"}
	// WorkerTransferred: a worker moved to another community or street
	// office. It is published once on the old street's subject and, when the
	// street changes, once more on the new street's subject, so that a
	// subscriber scoped to one street sees workers both leave and arrive.
	// The two copies carry the same data and each its own event id; a
	// consumer of every street counts a move once by keeping only the copy
	// whose envelope street is the data's from_street.
	WorkerTransferred = Name{"registry", "worker", "transferred"}
)

// WorkerStatusChangedData is the data of registry.worker.status_changed.
// Street and community are where the worker was when the step was recorded.
type WorkerStatusChangedData struct {
	WorkerID    string `json:"worker_id"`
	Street      string `json:"street"`
	Community   string `json:"community"`
	From        string `json:"from"`
	To          string `json:"to"`
	EffectiveOn string `json:"effective_on"`        // YYYY-MM-DD, Beijing date
	PartyOrg    string `json:"party_org,omitempty"` // the responsible party organisation's name
}

// WorkerTransferredData is the data of registry.worker.transferred.
type WorkerTransferredData struct {
	WorkerID        string `json:"worker_id"`
	FromStreet      string `json:"from_street"`
	FromCommunity   string `json:"from_community"`
	ToStreet        string `json:"to_street"`
	ToCommunity     string `json:"to_community"`
	PoliticalStatus string `json:"political_status"`
	EffectiveOn     string `json:"effective_on"` // YYYY-MM-DD, Beijing date
}
