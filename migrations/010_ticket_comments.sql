-- Ticket comment bodies, out of the ticket's workflow: a comment may be 20 KB, and in the workflow it was
-- carried in every continue-as-new and written to history with each change. The timeline keeps the comment's
-- id; readers join the body from here. The id is chosen by the workflow, so a retried write is one row.
create table ticket_comments (
  id uuid primary key,
  ticket_id uuid not null,
  tenant_id text not null,
  body text not null,
  public boolean not null,
  author text not null,
  created_at timestamptz not null default now()
);
create index ticket_comments_ticket on ticket_comments (ticket_id);
