-- Successive halving: a rung's job stops after a number of epochs while its schedules keep the full length, and
-- the next rung's job continues it from its last checkpoint. A sweep member goes through one job per rung.

alter table training_job add column continues_job uuid;
alter table training_job add column stop_after_epochs integer;

alter table sweep_member add column rung integer not null default 0;
alter table sweep_member add column jobs_json varchar(4000);
alter table sweep_member add column score double precision;
