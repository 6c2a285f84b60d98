-- The four lists (四项清单): needs (需求清单) collected from workers and staff,
-- resources (资源清单) offered by units, projects (项目清单) that a joint meeting
-- makes by linking needs to resources, and the tasks (任务清单) of a project a
-- unit has claimed. Community '' means street-wide.
CREATE TABLE projects (
    id            uuid        PRIMARY KEY,
    street        text        NOT NULL,
    community     text        NOT NULL DEFAULT '',
    title         text        NOT NULL,
    description   text        NOT NULL DEFAULT '',
    meeting_on    date        NOT NULL,
    meeting_note  text        NOT NULL DEFAULT '',
    status        text        NOT NULL CHECK (status IN ('proposed', 'claimed', 'completed', 'cancelled')),
    claimed_by    text        NOT NULL DEFAULT '', -- the claiming unit
    claim_contact text        NOT NULL DEFAULT '',
    claimed_at    timestamptz,
    closed_at     timestamptz, -- completed or cancelled
    cancel_reason text        NOT NULL DEFAULT '',
    created_by    text        NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX projects_scope_idx ON projects (street, community, id);

CREATE TABLE needs (
    id          uuid        PRIMARY KEY,
    street      text        NOT NULL,
    community   text        NOT NULL DEFAULT '',
    category    text        NOT NULL,
    title       text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    source      text        NOT NULL CHECK (source IN ('worker', 'staff')),
    worker_id   uuid,
    status      text        NOT NULL CHECK (status IN ('open', 'in_project', 'met', 'withdrawn')),
    project_id  uuid        REFERENCES projects (id),
    note        text        NOT NULL DEFAULT '', -- why it was withdrawn
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CHECK ((status IN ('in_project', 'met')) = (project_id IS NOT NULL)),
    CHECK ((source = 'worker') = (worker_id IS NOT NULL))
);
CREATE INDEX needs_scope_idx ON needs (street, community, id);
CREATE INDEX needs_worker_idx ON needs (worker_id, id) WHERE worker_id IS NOT NULL;

CREATE TABLE resources (
    id          uuid        PRIMARY KEY,
    street      text        NOT NULL,
    community   text        NOT NULL DEFAULT '',
    unit        text        NOT NULL,
    category    text        NOT NULL,
    title       text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    contact     text        NOT NULL DEFAULT '',
    status      text        NOT NULL CHECK (status IN ('available', 'withdrawn')),
    note        text        NOT NULL DEFAULT '',
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX resources_scope_idx ON resources (street, community, id);

-- The links a joint meeting made; kept when a cancelled project frees its needs.
CREATE TABLE project_needs (
    project_id uuid NOT NULL REFERENCES projects (id),
    need_id    uuid NOT NULL REFERENCES needs (id),
    PRIMARY KEY (project_id, need_id)
);
CREATE TABLE project_resources (
    project_id  uuid NOT NULL REFERENCES projects (id),
    resource_id uuid NOT NULL REFERENCES resources (id),
    PRIMARY KEY (project_id, resource_id)
);

CREATE TABLE tasks (
    id             uuid        PRIMARY KEY,
    project_id     uuid        NOT NULL REFERENCES projects (id),
    street         text        NOT NULL,
    community      text        NOT NULL DEFAULT '',
    title          text        NOT NULL,
    unit           text        NOT NULL,
    person         text        NOT NULL,
    person_subject text        NOT NULL DEFAULT '',
    standard       text        NOT NULL, -- 完成标准
    deadline       timestamptz NOT NULL,
    status         text        NOT NULL CHECK (status IN ('open', 'in_progress', 'done', 'cancelled')),
    created_by     text        NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX tasks_scope_idx ON tasks (street, community, id);
CREATE INDEX tasks_project_idx ON tasks (project_id, id);
CREATE INDEX tasks_due_idx ON tasks (deadline) WHERE status IN ('open', 'in_progress');

CREATE TABLE task_transitions (
    task_id       uuid        NOT NULL REFERENCES tasks (id),
    from_status   text        NOT NULL,
    to_status     text        NOT NULL,
    actor_subject text        NOT NULL,
    actor_role    text        NOT NULL,
    note          text        NOT NULL DEFAULT '',
    at            timestamptz NOT NULL
);
CREATE INDEX task_transitions_task_idx ON task_transitions (task_id, at);
