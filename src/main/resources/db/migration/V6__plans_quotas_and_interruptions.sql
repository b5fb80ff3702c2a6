-- The service wing's renovation: each job and evaluation stores the validated plan its runner reads; an execution
-- says why it was interrupted or fenced; the active-job limit holds across instances by locking the owner's row;
-- the sweep coordinator runs as a db-scheduler recurring task, so its own lease table goes.

alter table training_job add column plan_json varchar(100000);
alter table evaluation add column plan_json varchar(100000);
alter table job_execution add column reason varchar(1000);

create table owner_quota (
    owner varchar(200) primary key
);

drop table coordinator_lease;

-- db-scheduler's schema again, for the coordination tasks (the sweep coordinator), apart from the job queue.
create table coordination_tasks (
    task_name            varchar(100) not null,
    task_instance        varchar(100) not null,
    task_data            bytea,
    execution_time       timestamp with time zone not null,
    picked               boolean not null,
    picked_by            varchar(50),
    last_success         timestamp with time zone,
    last_failure         timestamp with time zone,
    consecutive_failures integer,
    last_heartbeat       timestamp with time zone,
    version              bigint not null,
    priority             smallint,
    primary key (task_name, task_instance)
);
create index coordination_tasks_execution_time on coordination_tasks (execution_time);
