package org.robustlab.job;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.robustlab.ml.training.EpochMetrics;
import org.springframework.data.domain.Page;
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

    private static final ScheduledExecutorService SSE_POLLER = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "sse-poller");
        t.setDaemon(true);
        return t;
    });

    private final JobService jobs;

    JobController(JobService jobs) {
        this.jobs = jobs;
    }

    @PostMapping
    @Operation(summary = "Submit a training job", description = "Answers 202 with the job; it runs in the background.")
    ResponseEntity<TrainingJobView> submit(@Valid @RequestBody CreateTrainingJobRequest request) {
        TrainingJobView job = jobs.submit(request);
        return ResponseEntity.accepted().location(URI.create("/api/v1/training-jobs/" + job.id())).body(job);
    }

    @GetMapping("/{id}")
    @Operation(summary = "A job: state, progress, latest metrics, models")
    TrainingJobView get(@PathVariable UUID id) {
        return jobs.get(id);
    }

    @GetMapping
    @Operation(summary = "Jobs, newest first, filtered by state, method, dataset or tag")
    Page<TrainingJobView> list(@RequestParam(required = false) JobState state, @RequestParam(required = false) String method,
            @RequestParam(required = false) String dataset, @RequestParam(required = false) String tag,
            @RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "20") int size) {
        org.robustlab.config.Problems.checkPage(page, size);
        return jobs.list(state, method, dataset, tag, PageRequest.of(page, size, Sort.by(Sort.Direction.DESC, "createdAt")));
    }

    @GetMapping("/{id}/metrics")
    @Operation(summary = "Per-epoch metrics: losses, clean and robust validation accuracy, learning rate, seconds, images/s")
    List<EpochMetrics> metrics(@PathVariable UUID id) {
        return jobs.metrics(id);
    }

    @PostMapping("/{id}/cancel")
    @Operation(summary = "Cancel a queued or running job; it stops within one batch and keeps its last checkpoint")
    ResponseEntity<TrainingJobView> cancel(@PathVariable UUID id) {
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(jobs.cancel(id));
    }

    @GetMapping(path = "/{id}/events", produces = "text/event-stream")
    @Operation(summary = "Server-sent events of the job's progress; the stream closes when the job ends")
    SseEmitter events(@PathVariable UUID id) {
        TrainingJobView first = jobs.get(id);
        SseEmitter emitter = new SseEmitter(0L);
        Object[] last = {null};
        ScheduledFuture<?>[] task = {null};
        Runnable poll = () -> {
            try {
                TrainingJobView now = jobs.get(id);
                Object key = List.of(now.state(), now.progress(), Objects.toString(now.metrics()));
                if (!key.equals(last[0])) {
                    last[0] = key;
                    emitter.send(SseEmitter.event().name(now.state().isTerminal() ? "end" : "progress").id(now.id().toString()).data(now));
                }
                if (now.state().isTerminal()) {
                    emitter.complete();
                    task[0].cancel(false);
                }
            } catch (IOException | RuntimeException e) {
                emitter.completeWithError(e);
                if (task[0] != null) {
                    task[0].cancel(false);
                }
            }
        };
        task[0] = SSE_POLLER.scheduleWithFixedDelay(poll, 0, 500, TimeUnit.MILLISECONDS);
        emitter.onCompletion(() -> task[0].cancel(false));
        emitter.onTimeout(() -> task[0].cancel(false));
        return emitter;
    }
}
