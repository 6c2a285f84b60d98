package activity_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

var (
	needBody     = map[string]any{"category": "charging", "title": "电动车换电点太少", "description": "奇山路一带没有换电柜"}
	resourceBody = map[string]any{"unit": "铁塔能源烟台分公司", "category": "charging", "title": "换电柜布设", "contact": "王经理"}
)

func today() string { return time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly) }

func projectBody(needs, resources []string) map[string]any {
	return map[string]any{"title": "骑手换电便利工程", "meeting_on": today(), "meeting_note": "第三次联席会议",
		"need_ids": needs, "resource_ids": resources}
}

func taskBody(extra map[string]any) map[string]any {
	return testenv.With(map[string]any{"title": "奇山路新增换电柜2组", "person": "王建", "person_subject": "wangjian",
		"standard": "两组换电柜投入使用并接入平台", "deadline": time.Now().AddDate(0, 1, 0).Format(time.DateOnly)}, extra)
}

// claimedProject makes a claimed project of tashan from one staff need and
// one tashan resource, and returns its id.
func (h *harness) claimedProject() string {
	h.t.Helper()
	staff := h.Staff("qishan", "tashan")
	need := h.Must(201, "POST", "/v1/needs", staff, needBody).Str("id")
	res := h.Must(201, "POST", "/v1/resources", staff, resourceBody).Str("id")
	id := h.Must(201, "POST", "/v1/projects", staff, projectBody([]string{need}, []string{res})).Str("id")
	h.Must(200, "POST", "/v1/projects/"+id+"/claim", staff, map[string]any{"unit": "铁塔能源烟台分公司"})
	return id
}

func TestLists_needToResourceToProjectToTasksToMet(t *testing.T) {
	h := newHarness(t)
	wid := h.knownWorker("qishan", "tashan")
	staff := h.Staff("qishan", "tashan")

	// A rider raises a need; staff record one from a survey.
	mine := h.Must(201, "POST", "/v1/needs", h.Worker(wid), needBody)
	if mine.Str("source") != "worker" || mine.Str("worker_id") != wid || mine.Str("community") != "tashan" || mine.Str("status") != "open" {
		t.Fatalf("worker's need: %s", mine.Raw)
	}
	surveyed := h.Must(201, "POST", "/v1/needs", staff, testenv.With(needBody, map[string]any{"title": "夜间充电不安全"})).Str("id")
	// A unit's resource for the community, and a street-wide one recorded by the street office.
	local := h.Must(201, "POST", "/v1/resources", staff, resourceBody).Str("id")
	streetWide := h.Must(201, "POST", "/v1/resources", h.StreetAdmin("qishan"),
		testenv.With(resourceBody, map[string]any{"unit": "奇山派出所", "category": "legal_aid", "title": "消防安全讲解"})).Str("id")

	// The joint meeting links them.
	pr := h.Must(201, "POST", "/v1/projects", staff, projectBody([]string{mine.Str("id"), surveyed}, []string{local, streetWide}))
	pid := pr.Str("id")
	if pr.Str("status") != "proposed" || pr.Str("community") != "tashan" || len(pr.Body["need_ids"].([]any)) != 2 {
		t.Fatalf("project: %s", pr.Raw)
	}
	r := h.Must(200, "GET", "/v1/needs/"+mine.Str("id"), h.Worker(wid), nil)
	if r.Str("status") != "in_project" || r.Str("project_id") != pid {
		t.Fatalf("need after the meeting: %s", r.Raw)
	}
	// No tasks before a unit claims it.
	h.Conflict("project_not_claimed", "POST", "/v1/projects/"+pid+"/tasks", staff, taskBody(nil))
	claimed := h.Must(200, "POST", "/v1/projects/"+pid+"/claim", staff, map[string]any{"unit": "铁塔能源烟台分公司", "contact": "王经理"})
	if claimed.Str("status") != "claimed" || claimed.Str("claimed_by") != "铁塔能源烟台分公司" || claimed.Body["claimed_at"] == nil {
		t.Fatalf("claimed: %s", claimed.Raw)
	}
	h.Conflict("project_not_proposed", "POST", "/v1/projects/"+pid+"/claim", staff, map[string]any{"unit": "另一家单位"})

	// Tasks: the unit defaults to the claiming one; a date deadline means the end of that day in Shanghai.
	task := h.Must(201, "POST", "/v1/projects/"+pid+"/tasks", staff, taskBody(map[string]any{"deadline": "2099-06-30"}))
	if task.Str("unit") != "铁塔能源烟台分公司" || task.Str("status") != "open" || task.Str("deadline") != "2099-06-30T16:00:00Z" {
		t.Fatalf("task: %s", task.Raw)
	}
	tid := task.Str("id")
	second := h.Must(201, "POST", "/v1/projects/"+pid+"/tasks", staff, taskBody(map[string]any{"title": "夜间巡查", "unit": "奇山派出所"})).Str("id")
	// Unfinished tasks hold the project open.
	if r := h.Conflict("project_tasks_open", "POST", "/v1/projects/"+pid+"/complete", staff, nil); r.Num("open") != 2 {
		t.Fatalf("unfinished tasks: %s", r.Raw)
	}
	h.Must(200, "POST", "/v1/tasks/"+tid+"/transitions", staff, map[string]any{"to": "in_progress"})
	done := h.Must(200, "POST", "/v1/tasks/"+tid+"/transitions", staff, map[string]any{"to": "done", "note": "两组换电柜已投用"})
	if tr := done.Body["transitions"].([]any); done.Str("status") != "done" || len(tr) != 2 ||
		tr[1].(map[string]any)["note"] != "两组换电柜已投用" || tr[1].(map[string]any)["actor_role"] != "community_staff" {
		t.Fatalf("done: %s", done.Raw)
	}
	h.Must(200, "POST", "/v1/tasks/"+second+"/transitions", staff, map[string]any{"to": "cancelled", "note": "并入派出所日常巡查"})
	detail := h.Must(200, "GET", "/v1/projects/"+pid, staff, nil)
	if len(detail.Body["tasks"].([]any)) != 2 {
		t.Fatalf("project detail: %s", detail.Raw)
	}
	completed := h.Must(200, "POST", "/v1/projects/"+pid+"/complete", staff, nil)
	if completed.Str("status") != "completed" || completed.Body["closed_at"] == nil {
		t.Fatalf("completed: %s", completed.Raw)
	}
	// The rider sees their need met.
	if r := h.Must(200, "GET", "/v1/needs/"+mine.Str("id"), h.Worker(wid), nil); r.Str("status") != "met" || r.Str("project_id") != pid {
		t.Fatalf("need at the end: %s", r.Raw)
	}

	// Every step is an event.
	for name, want := range map[event.Name]int{
		event.NeedCreated: 2, event.ResourceCreated: 2, event.ProjectCreated: 1,
		event.NeedStatusChanged: 4, event.ProjectClaimed: 1, event.TaskCreated: 2,
		event.TaskStatusChanged: 3, event.ProjectCompleted: 1,
	} {
		if got := len(h.Events(name)); got != want {
			t.Errorf("%d %s events, want %d", got, name.Type(), want)
		}
	}
	var nd event.NeedStatusChangedData
	changes := h.Events(event.NeedStatusChanged)
	_ = json.Unmarshal(changes[len(changes)-1].Data, &nd)
	if nd.To != "met" || nd.From != "in_project" || nd.ProjectID != pid {
		t.Fatalf("last need event: %+v", nd)
	}
	var td event.TaskData
	_ = json.Unmarshal(h.Events(event.TaskCreated)[0].Data, &td)
	if td.PersonSubject != "wangjian" || td.ProjectID != pid || td.Deadline.IsZero() || td.Street != "qishan" {
		t.Fatalf("task.created: %+v", td)
	}
	var pd event.ProjectData
	_ = json.Unmarshal(h.Events(event.ProjectClaimed)[0].Data, &pd)
	if pd.ClaimedBy != "铁塔能源烟台分公司" || len(pd.NeedIDs) != 2 || len(pd.ResourceIDs) != 2 {
		t.Fatalf("project.claimed: %+v", pd)
	}
}

func TestLists_badInputNamesTheFieldAndWritesNothing(t *testing.T) {
	h := newHarness(t)
	staff := h.Staff("qishan", "tashan")
	openNeed := h.Must(201, "POST", "/v1/needs", staff, needBody).Str("id")
	res := h.Must(201, "POST", "/v1/resources", staff, resourceBody).Str("id")
	elsewhere := h.Must(201, "POST", "/v1/needs", h.Staff("qishan", "changsheng"), needBody).Str("id")
	withdrawnRes := h.Must(201, "POST", "/v1/resources", staff, resourceBody).Str("id")
	h.Must(200, "POST", "/v1/resources/"+withdrawnRes+"/withdraw", staff, map[string]any{"reason": "单位撤回"})
	h.Conflict("resource_withdrawn", "POST", "/v1/resources/"+withdrawnRes+"/withdraw", staff, map[string]any{"reason": "again"})
	taken := h.Must(201, "POST", "/v1/needs", staff, needBody).Str("id")
	proposed := h.Must(201, "POST", "/v1/projects", staff, projectBody([]string{taken}, []string{res})).Str("id")
	claimed := h.claimedProject()
	task := h.Must(201, "POST", "/v1/projects/"+claimed+"/tasks", staff, taskBody(nil)).Str("id")
	h.Must(200, "POST", "/v1/tasks/"+task+"/transitions", staff, map[string]any{"to": "done", "note": "已完成"})
	open := h.Must(201, "POST", "/v1/projects/"+claimed+"/tasks", staff, taskBody(nil)).Str("id")

	tomorrow := time.Now().Add(24 * time.Hour).In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	cases := []struct {
		name, path string
		body       any
		status     int
		field      string // or, on a 409, the reason
	}{
		{"need: unknown category", "/v1/needs", testenv.With(needBody, map[string]any{"category": "ufo"}), 422, "category"},
		{"need: no title", "/v1/needs", testenv.With(needBody, map[string]any{"title": ""}), 422, "title"},
		{"need: another community", "/v1/needs", testenv.With(needBody, map[string]any{"community": "changsheng"}), 422, "community"},
		{"need: unknown field", "/v1/needs", testenv.With(needBody, map[string]any{"priority": 1}), 400, "priority"},
		{"withdraw need: no reason", "/v1/needs/" + openNeed + "/withdraw", map[string]any{}, 422, "reason"},
		{"resource: no unit", "/v1/resources", testenv.With(resourceBody, map[string]any{"unit": nil}), 422, "unit"},
		{"project: no needs", "/v1/projects", projectBody(nil, []string{res}), 422, "need_ids"},
		{"project: no resources", "/v1/projects", projectBody([]string{openNeed}, nil), 422, "resource_ids"},
		{"project: need not an id", "/v1/projects", projectBody([]string{"n-1"}, []string{res}), 422, "need_ids"},
		{"project: need twice", "/v1/projects", projectBody([]string{openNeed, openNeed}, []string{res}), 422, "need_ids"},
		{"project: need of another community", "/v1/projects", projectBody([]string{elsewhere}, []string{res}), 422, "need_ids"},
		{"project: meeting in the future", "/v1/projects", testenv.With(projectBody([]string{openNeed}, []string{res}), map[string]any{"meeting_on": tomorrow}), 422, "meeting_on"},
		{"project: meeting not a date", "/v1/projects", testenv.With(projectBody([]string{openNeed}, []string{res}), map[string]any{"meeting_on": "3月5日"}), 422, "meeting_on"},
		{"project: need already in a project", "/v1/projects", projectBody([]string{taken, openNeed}, []string{res}), 409, "need_not_open"},
		{"project: withdrawn resource", "/v1/projects", projectBody([]string{openNeed}, []string{withdrawnRes}), 409, "resource_withdrawn"},
		{"claim: no unit", "/v1/projects/" + proposed + "/claim", map[string]any{"unit": ""}, 422, "unit"},
		{"task: project not claimed", "/v1/projects/" + proposed + "/tasks", taskBody(nil), 409, "project_not_claimed"},
		{"task: deadline passed", "/v1/projects/" + claimed + "/tasks", taskBody(map[string]any{"deadline": "2020-01-01"}), 422, "deadline"},
		{"task: deadline not a time", "/v1/projects/" + claimed + "/tasks", taskBody(map[string]any{"deadline": "next week"}), 422, "deadline"},
		{"task: no person", "/v1/projects/" + claimed + "/tasks", taskBody(map[string]any{"person": nil}), 422, "person"},
		{"task: no standard", "/v1/projects/" + claimed + "/tasks", taskBody(map[string]any{"standard": ""}), 422, "standard"},
		{"task: unknown project", "/v1/projects/0190d5e5-0000-7000-8000-000000000000/tasks", taskBody(nil), 404, ""},
		{"transition: done is final", "/v1/tasks/" + task + "/transitions", map[string]any{"to": "in_progress"}, 409, "illegal_transition"},
		{"transition: done needs a note", "/v1/tasks/" + open + "/transitions", map[string]any{"to": "done"}, 422, "note"},
		{"transition: unknown status", "/v1/tasks/" + open + "/transitions", map[string]any{"to": "finished"}, 422, "to"},
		{"complete: unfinished task", "/v1/projects/" + claimed + "/complete", nil, 409, "project_tasks_open"},
		{"cancel: no reason", "/v1/projects/" + proposed + "/cancel", map[string]any{}, 422, "reason"},
	}
	tables := []string{"needs", "resources", "projects", "project_needs", "project_resources", "tasks", "task_transitions", "outbox"}
	snapshot := func() map[string]int {
		h.Events(event.NeedCreated) // wait until the outbox is drained
		m := map[string]int{}
		for _, tb := range tables {
			m[tb] = h.count("SELECT count(*) FROM " + tb)
		}
		m["updated"] = h.count("SELECT count(*) FROM needs WHERE status <> 'open' OR updated_at <> created_at")
		return m
	}
	before := snapshot()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("POST", tc.path, staff, tc.body)
			if got := r.FieldOrReason(); r.Status != tc.status || got != tc.field {
				t.Fatalf("status %d field %q, want %d %q: %s", r.Status, got, tc.status, tc.field, r.Raw)
			}
			if r.Str("detail") == "" {
				t.Fatalf("no detail: %s", r.Raw)
			}
		})
	}
	after := snapshot()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %d rows, was %d", k, after[k], v)
		}
	}
	// The refusal of an illegal step says which are allowed.
	r := h.Conflict("illegal_transition", "POST", "/v1/tasks/"+open+"/transitions", staff, map[string]any{"to": "open"})
	if allowed, _ := r.Body["allowed"].([]any); len(allowed) != 3 || r.Str("current_status") != "open" {
		t.Fatalf("illegal step: %s", r.Raw)
	}
}

func TestLists_rolesAndScope(t *testing.T) {
	h := newHarness(t)
	wid := h.knownWorker("qishan", "tashan")
	other := h.knownWorker("qishan", "tashan")
	staff, neighbour := h.Staff("qishan", "tashan"), h.Staff("qishan", "changsheng")

	mine := h.Must(201, "POST", "/v1/needs", h.Worker(wid), needBody).Str("id")
	h.Must(201, "POST", "/v1/needs", h.Worker(other), needBody)
	streetRes := h.Must(201, "POST", "/v1/resources", h.StreetAdmin("qishan"), resourceBody).Str("id")
	pid := h.claimedProject()
	tid := h.Must(201, "POST", "/v1/projects/"+pid+"/tasks", staff, taskBody(nil)).Str("id")

	// A worker sees their own needs only, and none of the staff lists.
	if r := h.Must(200, "GET", "/v1/needs", h.Worker(wid), nil); len(r.Body["items"].([]any)) != 1 {
		t.Fatalf("worker's needs: %s", r.Raw)
	}
	h.Must(404, "GET", "/v1/needs/"+mine, h.Worker(other), nil)
	h.Must(404, "POST", "/v1/needs/"+mine+"/withdraw", h.Worker(other), map[string]any{"reason": "不需要了"})
	for _, path := range []string{"/v1/resources", "/v1/resources/" + streetRes, "/v1/projects", "/v1/projects/" + pid,
		"/v1/tasks", "/v1/tasks/overdue", "/v1/tasks/" + tid} {
		h.Must(403, "GET", path, h.Worker(wid), nil)
	}
	for path, body := range map[string]any{"/v1/resources": resourceBody, "/v1/projects": projectBody([]string{mine}, []string{streetRes}),
		"/v1/projects/" + pid + "/tasks": taskBody(nil), "/v1/tasks/" + tid + "/transitions": map[string]any{"to": "in_progress"},
		"/v1/projects/" + pid + "/claim": map[string]any{"unit": "x"}} {
		h.Must(403, "POST", path, h.Worker(wid), body)
	}
	// Another community's staff and another street's admin find nothing.
	for _, tok := range []string{neighbour, h.StreetAdmin("zhifu")} {
		h.Must(404, "GET", "/v1/needs/"+mine, tok, nil)
		h.Must(404, "GET", "/v1/projects/"+pid, tok, nil)
		h.Must(404, "GET", "/v1/tasks/"+tid, tok, nil)
		h.Must(404, "POST", "/v1/tasks/"+tid+"/transitions", tok, map[string]any{"to": "in_progress"})
		h.Must(404, "POST", "/v1/projects/"+pid+"/cancel", tok, map[string]any{"reason": "x"})
		for _, path := range []string{"/v1/needs", "/v1/projects", "/v1/tasks"} {
			if r := h.Must(200, "GET", path, tok, nil); len(r.Body["items"].([]any)) != 0 {
				t.Fatalf("%s for an outsider: %s", path, r.Raw)
			}
		}
	}
	// A filter outside the scope is refused, neither someone else's rows nor
	// an empty list that reads as "none there".
	if r := h.Must(422, "GET", "/v1/needs?community=tashan", neighbour, nil); r.Field() != "community" {
		t.Fatalf("filtered: %s", r.Raw)
	}
	// Community staff see the street-wide resources, but only the street office withdraws them.
	h.Must(200, "GET", "/v1/resources/"+streetRes, neighbour, nil)
	if r := h.Must(200, "GET", "/v1/resources", neighbour, nil); len(r.Body["items"].([]any)) != 1 {
		t.Fatalf("neighbour's resources: %s", r.Raw)
	}
	h.Must(403, "POST", "/v1/resources/"+streetRes+"/withdraw", neighbour, map[string]any{"reason": "x"})
	h.Must(404, "GET", "/v1/resources/"+streetRes, h.StreetAdmin("zhifu"), nil)
	// The street admin sees the whole street; the district admin names the street.
	if r := h.Must(200, "GET", "/v1/needs", h.StreetAdmin("qishan"), nil); len(r.Body["items"].([]any)) != 3 {
		t.Fatalf("street's needs: %s", r.Raw)
	}
	if r := h.Do("POST", "/v1/needs", h.District(), needBody); r.Status != 422 || r.Field() != "street" {
		t.Fatalf("district without street: %d %s", r.Status, r.Raw)
	}
	h.Must(201, "POST", "/v1/needs", h.District(), testenv.With(needBody, map[string]any{"street": "zhifu"}))
	// The rider withdraws their own open need.
	r := h.Must(200, "POST", "/v1/needs/"+mine+"/withdraw", h.Worker(wid), map[string]any{"reason": "已自行解决"})
	if r.Str("status") != "withdrawn" || r.Str("note") != "已自行解决" {
		t.Fatalf("withdrawn: %s", r.Raw)
	}
	h.Conflict("need_not_open", "POST", "/v1/needs/"+mine+"/withdraw", h.Worker(wid), map[string]any{"reason": "again"})
	// Unknown and malformed ids are not found.
	h.Must(404, "GET", "/v1/needs/nope", staff, nil)
	h.Must(404, "GET", "/v1/tasks/0190d5e5-0000-7000-8000-000000000000", staff, nil)
}

func TestLists_overdueTasks(t *testing.T) {
	h := newHarness(t)
	staff := h.Staff("qishan", "tashan")
	pid := h.claimedProject()
	late := h.Must(201, "POST", "/v1/projects/"+pid+"/tasks", staff, taskBody(nil)).Str("id")
	lateDone := h.Must(201, "POST", "/v1/projects/"+pid+"/tasks", staff, taskBody(nil)).Str("id")
	onTime := h.Must(201, "POST", "/v1/projects/"+pid+"/tasks", staff, taskBody(nil)).Str("id")
	h.Must(200, "POST", "/v1/tasks/"+lateDone+"/transitions", staff, map[string]any{"to": "done", "note": "按时完成"})
	// Time passes for two of them.
	if _, err := h.Pool.Exec(h.ctx, "UPDATE tasks SET deadline = now() - interval '1 hour' WHERE id = ANY($1::uuid[])",
		[]string{late, lateDone}); err != nil {
		t.Fatal(err)
	}
	r := h.Must(200, "GET", "/v1/tasks/overdue", staff, nil)
	items := r.Body["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != late || items[0].(map[string]any)["overdue"] != true {
		t.Fatalf("overdue: %s", r.Raw)
	}
	if r := h.Must(200, "GET", "/v1/tasks/"+onTime, staff, nil); r.Body["overdue"] != false {
		t.Fatalf("on time: %s", r.Raw)
	}
	if r := h.Must(200, "GET", "/v1/tasks?project="+pid+"&limit=2", staff, nil); len(r.Body["items"].([]any)) != 2 || r.Str("next") == "" {
		t.Fatalf("first page: %s", r.Raw)
	}
	if r := h.Must(200, "GET", "/v1/tasks/overdue", h.Staff("qishan", "changsheng"), nil); len(r.Body["items"].([]any)) != 0 {
		t.Fatalf("another community's overdue: %s", r.Raw)
	}
	if r := h.Do("GET", "/v1/tasks?project=p1", staff, nil); r.Status != 422 || r.Field() != "project" {
		t.Fatalf("bad project filter: %d %s", r.Status, r.Raw)
	}
}

func TestLists_cancelledProjectFreesItsNeeds(t *testing.T) {
	h := newHarness(t)
	staff := h.Staff("qishan", "tashan")
	pid := h.claimedProject()
	need := h.Must(200, "GET", "/v1/projects/"+pid, staff, nil).Body["need_ids"].([]any)[0].(string)
	tid := h.Must(201, "POST", "/v1/projects/"+pid+"/tasks", staff, taskBody(nil)).Str("id")
	if r := h.Conflict("project_tasks_open", "POST", "/v1/projects/"+pid+"/cancel", staff, map[string]any{"reason": "单位退出"}); r.Num("open") != 1 {
		t.Fatalf("unfinished tasks: %s", r.Raw)
	}
	h.Must(200, "POST", "/v1/tasks/"+tid+"/transitions", staff, map[string]any{"to": "cancelled", "note": "单位退出"})
	// With no task done, it cannot be completed; it can be cancelled, once.
	h.Conflict("project_no_task_done", "POST", "/v1/projects/"+pid+"/complete", staff, nil)
	r := h.Must(200, "POST", "/v1/projects/"+pid+"/cancel", staff, map[string]any{"reason": "单位退出"})
	if r.Str("status") != "cancelled" || r.Str("cancel_reason") != "单位退出" {
		t.Fatalf("cancelled: %s", r.Raw)
	}
	h.Conflict("project_not_cancellable", "POST", "/v1/projects/"+pid+"/cancel", staff, map[string]any{"reason": "again"})
	if n := h.Must(200, "GET", "/v1/needs/"+need, staff, nil); n.Str("status") != "open" || n.Str("project_id") != "" {
		t.Fatalf("need after cancel: %s", n.Raw)
	}
	h.Conflict("project_not_claimed", "POST", "/v1/projects/"+pid+"/complete", staff, nil)
	// The next meeting can take the need up again.
	res := h.Must(201, "POST", "/v1/resources", staff, resourceBody).Str("id")
	h.Must(201, "POST", "/v1/projects", staff, projectBody([]string{need}, []string{res}))
	var d event.NeedStatusChangedData
	for _, e := range h.Events(event.NeedStatusChanged) {
		_ = json.Unmarshal(e.Data, &d)
		if d.To == "open" && d.ProjectID != pid {
			t.Fatalf("need freed: %+v", d)
		}
	}
}

func TestLists_twoMeetingsRacingForOneNeedTakeItOnce(t *testing.T) {
	h := newHarness(t)
	staff := h.Staff("qishan", "tashan")
	need := h.Must(201, "POST", "/v1/needs", staff, needBody).Str("id")
	res := h.Must(201, "POST", "/v1/resources", staff, resourceBody).Str("id")
	var wg sync.WaitGroup
	statuses := make(chan int, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- h.Do("POST", "/v1/projects", staff, projectBody([]string{need}, []string{res})).Status
		}()
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	if counts[http.StatusCreated] != 1 || counts[http.StatusConflict] != 19 {
		t.Fatalf("statuses: %v", counts)
	}
	if n := h.count("SELECT count(*) FROM projects"); n != 1 {
		t.Fatalf("%d projects", n)
	}
}
