-- Why an entry left the queue unanswered: the caller gave up ('abandoned') or the queue sent it on
-- ('overflow'). Both stay kind 'abandoned' for the live statistics, as before; historical reports tell them
-- apart (issue #19). Rows from before this are abandons as far as anyone can tell.
alter table acd_outcomes add column if not exists reason text check (reason in ('abandoned', 'overflow'));
