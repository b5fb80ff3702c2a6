-- A lab's own model, uploaded as a TorchScript archive (issue 22). Its archive is the file workers load and is recorded
-- in the djl_* columns (the model file); it has no safetensors file. num_classes, normalization (JSON: mean and std per
-- channel, or null), parameter_count and cost_per_image (its forward pass relative to SmallCNN's, measured when it was
-- checked) are what the service knows of it instead of an architecture.
alter table model_artifact add column format varchar(16) default 'djl' not null;
alter table model_artifact add column num_classes integer;
alter table model_artifact add column normalization varchar(2000);
alter table model_artifact add column parameter_count bigint;
alter table model_artifact add column cost_per_image double precision;
alter table model_artifact add column checks varchar(2000);
alter table model_artifact alter column safetensors_path drop not null;
alter table model_artifact alter column safetensors_sha256 drop not null;
