package org.robustlab.job;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.robustlab.config.PageView;
import org.robustlab.config.SseStreams;
import org.robustlab.execution.JobExecutionView;
import org.robustlab.execution.JobState;
import org.robustlab.ml.training.EpochMetrics;
import org.robustlab.problem.Problems;
import org.robustlab.security.Caller;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

@RestController
@RequestMapping("/api/v1/training-jobs")
@Tag(name = "Training jobs", description = "Train a model with standard training, ARR, PGD-AT or TRADES")
class JobController {

    private final JobService jobs;
    private final SseStreams streams;

    JobController(JobService jobs, SseStreams streams) {
        this.jobs = jobs;
        this.streams = streams;
    }

    @PostMapping
    @Operation(operationId = "submitTrainingJob", summary = "Submit a training job", description = "Answers 202 with the job; it runs in the background.")
    @ApiResponse(responseCode = "202", description = "queued; it runs in the background",
            headers = @Header(name = "Location", description = "the job's URL",
                    schema = @Schema(type = "string")))
    ResponseEntity<TrainingJobView> submit(@Valid @RequestBody CreateTrainingJobRequest request) {
        TrainingJobView job = jobs.submit(request);
        return ResponseEntity.accepted().location(URI.create("/api/v1/training-jobs/" + job.id())).body(job);
    }

    @GetMapping("/{id}")
    @Operation(operationId = "getTrainingJob", summary = "A job: state, progress, latest metrics, models")
    TrainingJobView get(@PathVariable UUID id) {
        return jobs.get(id);
    }

    @GetMapping
    @Operation(operationId = "listTrainingJobs", summary = "Jobs, newest first, filtered by state, method, dataset, tag or owner")
    PageView<TrainingJobView> list(@RequestParam(required = false) JobState state, @RequestParam(required = false) String method,
            @RequestParam(required = false) String dataset, @RequestParam(required = false) String tag,
            @RequestParam(required = false) String owner,
            @RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "20") int size) {
        Problems.checkPage(page, size);
        return PageView.of(
                jobs.list(state, method, dataset, tag, owner, PageRequest.of(page, size, Sort.by(Sort.Direction.DESC, "execution.createdAt"))));
    }

    @GetMapping("/{id}/metrics")
    @Operation(operationId = "getTrainingJobMetrics", summary = "Per-epoch metrics: losses, clean and robust validation accuracy, learning rate, seconds, images/s")
    List<EpochMetrics> metrics(@PathVariable UUID id) {
        return jobs.metrics(id);
    }

    @GetMapping("/{id}/executions")
    @Operation(operationId = "getTrainingJobExecutions", summary = "The job's executions: which instance ran it when, how each ended, and"
            + " for a resume the checkpoint epoch it started from and the epochs redone")
    List<JobExecutionView> executions(@PathVariable UUID id) {
        return jobs.executions(id);
    }

    @PostMapping("/{id}/cancel")
    @Operation(operationId = "cancelTrainingJob", summary = "Cancel a queued or running job; it stops within one batch and keeps its last checkpoint")
    @ApiResponse(responseCode = "202", description = "cancelled (QUEUED) or asked to stop (RUNNING)")
    ResponseEntity<TrainingJobView> cancel(@PathVariable UUID id) {
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(jobs.cancel(id));
    }

    @GetMapping(path = "/{id}/events", produces = "text/event-stream")
    @Operation(operationId = "streamTrainingJobEvents", summary = "Server-sent events of the job's progress (progress, then end); the stream closes when the job ends",
            description = "An idle stream sends a comment every robustlab.limits.sse.heartbeat and closes after its timeout;"
                    + " streams are capped per job, per key and in total (429 past them).")
    @ApiResponse(responseCode = "200", description = "events named progress (the job's"
            + " view, whenever it changes) and end (the last view), and comments as heartbeats",
            content = @Content(mediaType = "text/event-stream",
                    schema = @Schema(type = "string")))
    SseEmitter events(@PathVariable UUID id) {
        jobs.get(id);
        return streams.stream(id, Caller.current().keyId(), () -> jobs.cachedView(id),
                now -> List.of(now.state(), now.progress(), Objects.toString(now.metrics())), now -> now.state().isTerminal(),
                now -> now.id().toString());
    }
}
