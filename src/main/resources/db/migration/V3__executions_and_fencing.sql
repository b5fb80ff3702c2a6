-- Several instances on one database: an execution token fences each job to the one instance that runs it
-- now (a paused instance that comes back finds its token replaced and stops); every execution is recorded.

alter table training_job add column execution_token varchar(36);
alter table evaluation add column execution_token varchar(36);
alter table evaluation add column cancel_requested boolean default false not null;

create table job_execution (
    id                  uuid primary key,
    job_id              uuid         not null,
    kind                varchar(20)  not null,
    attempt             integer      not null,
    instance            varchar(200) not null,
    token               varchar(36)  not null,
    started_at          timestamp with time zone not null,
    ended_at            timestamp with time zone,
    outcome             varchar(40),
    resumed_from_epoch  integer,
    epochs_redone       integer
);
create index job_execution_job on job_execution (job_id, started_at);
