-- Portable between H2 (default) and PostgreSQL (profile "postgres").

create table training_job (
    id               uuid primary key,
    name             varchar(200),
    state            varchar(20)  not null,
    method           varchar(20)  not null,
    dataset          varchar(40)  not null,
    model            varchar(40)  not null,
    request_json     varchar(100000) not null,
    epoch            integer      not null default 0,
    epochs           integer      not null,
    batch            integer      not null default 0,
    batches          integer      not null default 0,
    percent          double precision not null default 0,
    eta_seconds      double precision,
    latest_metrics   varchar(100000),
    failure_reason   varchar(4000),
    device           varchar(40),
    attempts         integer      not null default 0,
    cancel_requested boolean      not null default false,
    created_at       timestamp with time zone not null,
    started_at       timestamp with time zone,
    finished_at      timestamp with time zone,
    version          bigint       not null default 0
);
create index training_job_state on training_job (state, created_at);

create table training_job_tag (
    job_id uuid         not null references training_job (id) on delete cascade,
    tag    varchar(100) not null,
    primary key (job_id, tag)
);

create table epoch_metric (
    job_id                     uuid    not null references training_job (id) on delete cascade,
    epoch                      integer not null,
    loss                       double precision not null,
    cross_entropy              double precision not null,
    regularizer                double precision not null,
    train_accuracy             double precision not null,
    validation_clean_accuracy  double precision not null,
    validation_robust_accuracy double precision not null,
    learning_rate              double precision not null,
    weight                     double precision not null,
    train_seconds              double precision not null,
    seconds                    double precision not null,
    images_per_second          double precision not null,
    primary key (job_id, epoch)
);

create table model_artifact (
    id                 uuid primary key,
    job_id             uuid references training_job (id) on delete set null,
    kind               varchar(20)  not null,
    epoch              integer      not null,
    architecture       varchar(40)  not null,
    dataset            varchar(40)  not null,
    method             varchar(20)  not null,
    hyperparameters    varchar(100000) not null,
    metrics            varchar(100000),
    djl_path           varchar(1000) not null,
    djl_sha256         varchar(64)  not null,
    djl_size           bigint       not null,
    safetensors_path   varchar(1000) not null,
    safetensors_sha256 varchar(64)  not null,
    safetensors_size   bigint       not null,
    created_at         timestamp with time zone not null
);
create index model_artifact_job on model_artifact (job_id, kind);

create table evaluation (
    id             uuid primary key,
    model_id       uuid         not null references model_artifact (id),
    state          varchar(20)  not null,
    request_json   varchar(100000) not null,
    report_json    varchar(1000000),
    percent        double precision not null default 0,
    failure_reason varchar(4000),
    device         varchar(40),
    attempts       integer      not null default 0,
    created_at     timestamp with time zone not null,
    started_at     timestamp with time zone,
    finished_at    timestamp with time zone,
    version        bigint       not null default 0
);

-- db-scheduler's table (its documented schema), shared by every instance on one database.
create table scheduled_tasks (
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
create index execution_time_idx on scheduled_tasks (execution_time);
create index last_heartbeat_idx on scheduled_tasks (last_heartbeat);
