-- The streets and communities registry events have told of, so a code
-- typed into a report, an activity or a list is checked: a row under a
-- community nobody looks after would be seen by no one. Communities known
-- from the workers already projected are known from the start.
CREATE TABLE streets (
    code text PRIMARY KEY,
    name text NOT NULL DEFAULT ''
);
CREATE TABLE communities (
    street text NOT NULL,
    code   text NOT NULL,
    name   text NOT NULL DEFAULT '',
    PRIMARY KEY (street, code)
);
INSERT INTO streets (code) SELECT DISTINCT street FROM workers ON CONFLICT DO NOTHING;
INSERT INTO communities (street, code) SELECT DISTINCT street, community FROM workers ON CONFLICT DO NOTHING;
