-- Numbers come from the platform operator's trunks: the operator provisions a number to a tenant, and only
-- then can that tenant send it to a flow. Before, any tenant could claim any unassigned number, and the 409
-- told it that another tenant owned one.
create table tenant_numbers (
  number text primary key check (number ~ '^\+?[0-9*#]{1,32}$'),
  tenant_id text not null references tenants(id),
  provisioned_at timestamptz not null default now(),
  unique (number, tenant_id)
);
create index tenant_numbers_tenant on tenant_numbers (tenant_id);
-- Numbers already routed stay with the tenant that routes them: nothing a tenant had stops working.
insert into tenant_numbers (number, tenant_id) select number, tenant_id from numbers on conflict do nothing;
-- A routed number must be provisioned to the tenant that routes it (and cannot be released while routed).
alter table numbers add constraint numbers_provisioned
  foreign key (number, tenant_id) references tenant_numbers (number, tenant_id);

-- The platform operator's keys: above tenant admins, for tenants and numbers only (never a tenant's data).
alter table api_keys drop constraint api_keys_role_check;
alter table api_keys add constraint api_keys_role_check
  check (role in ('admin', 'supervisor', 'agent', 'developer', 'operator'));
