-- API keys (stored as SHA-256 hashes only) and the owner of every job, evaluation and model.

create table api_key (
    id          uuid primary key,
    name        varchar(200) not null,
    role        varchar(20)  not null,
    key_hash    varchar(64)  not null unique,
    key_prefix  varchar(16)  not null,
    created_at  timestamp with time zone not null,
    created_by  varchar(200),
    revoked_at  timestamp with time zone
);

alter table training_job add column owner varchar(200);
alter table evaluation add column owner varchar(200);
alter table model_artifact add column owner varchar(200);
create index training_job_owner on training_job (owner, created_at);
