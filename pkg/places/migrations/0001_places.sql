-- The streets and communities the registry has created, as its events
-- told them: what a service checks a typed street or community code
-- against, so no row is filed where no one looks.
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
