-- Sweeps: a base training request, a grid over its fields and named baselines, expanded into ordinary jobs
-- and evaluations (one member per configuration and seed); and the lease that lets one instance at a time
-- coordinate them.

create table sweep (
    id               uuid primary key,
    name             varchar(200),
    owner            varchar(200),
    state            varchar(20)  not null,
    strategy         varchar(20)  not null,
    request_json     varchar(200000) not null,
    cancel_requested boolean      not null default false,
    created_at       timestamp with time zone not null,
    finished_at      timestamp with time zone,
    version          bigint       not null default 0
);
create index sweep_owner on sweep (owner, created_at);
create index sweep_state on sweep (state);

create table sweep_member (
    id               uuid primary key,
    sweep_id         uuid         not null references sweep (id) on delete cascade,
    position         integer      not null,
    config           varchar(1000) not null,
    baseline         varchar(100),
    seed             bigint,
    request_json     varchar(100000) not null,
    state            varchar(20)  not null,
    job_id           uuid,
    evaluations_json varchar(4000),
    reason           varchar(4000),
    version          bigint       not null default 0
);
create index sweep_member_sweep on sweep_member (sweep_id, position);

create table coordinator_lease (
    name       varchar(100) primary key,
    holder     varchar(200) not null,
    expires_at timestamp with time zone not null
);
