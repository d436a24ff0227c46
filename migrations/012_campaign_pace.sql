-- When a campaign's next call may be placed. Each dial reserves its time here (row lock), so calls are never
-- closer than the campaign's pace, across workers, even when an attempt reaches its slot late.
alter table campaigns add column next_dial_at timestamptz;
