-- Every row filed in a community also names the community's street. Until
-- now each such pair had two foreign keys, one to streets and one to
-- communities, so every insert took a KEY SHARE lock on two rows shared by
-- every writer of that street: with several clerks registering at once
-- those locks become multixacts and cost a measurable share of the insert
-- rate. One composite key (street, community) → communities (street, code)
-- checks and locks only the community's row. The street's existence still
-- follows, from the community's own key to streets; and the key now also
-- says what the service has always ensured (it takes a row's street from
-- its community): the community is in that street.

-- The composite key needs a unique (street, code). Its index leads with
-- street, so it also serves what communities_street_idx served (a
-- street's communities), which is dropped.
ALTER TABLE communities ADD CONSTRAINT communities_street_code_unique UNIQUE (street, code);
DROP INDEX communities_street_idx;

ALTER TABLE workers
    DROP CONSTRAINT workers_street_fkey,
    DROP CONSTRAINT workers_community_fkey,
    ADD CONSTRAINT workers_street_community_fkey
        FOREIGN KEY (street, community) REFERENCES communities (street, code);

ALTER TABLE enterprises
    DROP CONSTRAINT enterprises_street_fkey,
    DROP CONSTRAINT enterprises_community_fkey,
    ADD CONSTRAINT enterprises_street_community_fkey
        FOREIGN KEY (street, community) REFERENCES communities (street, code);

ALTER TABLE stations
    DROP CONSTRAINT stations_street_fkey,
    DROP CONSTRAINT stations_community_fkey,
    ADD CONSTRAINT stations_street_community_fkey
        FOREIGN KEY (street, community) REFERENCES communities (street, code);

ALTER TABLE checkins
    DROP CONSTRAINT checkins_street_fkey,
    DROP CONSTRAINT checkins_community_fkey,
    ADD CONSTRAINT checkins_street_community_fkey
        FOREIGN KEY (street, community) REFERENCES communities (street, code);

ALTER TABLE worker_transfers
    DROP CONSTRAINT worker_transfers_from_street_fkey,
    DROP CONSTRAINT worker_transfers_from_community_fkey,
    DROP CONSTRAINT worker_transfers_to_street_fkey,
    DROP CONSTRAINT worker_transfers_to_community_fkey,
    ADD CONSTRAINT worker_transfers_from_fkey
        FOREIGN KEY (from_street, from_community) REFERENCES communities (street, code),
    ADD CONSTRAINT worker_transfers_to_fkey
        FOREIGN KEY (to_street, to_community) REFERENCES communities (street, code);
