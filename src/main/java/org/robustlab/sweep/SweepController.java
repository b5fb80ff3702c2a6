package org.robustlab.sweep;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.robustlab.config.PageView;
import org.robustlab.problem.NotFoundException;
import org.robustlab.problem.Problems;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1/sweeps")
@Tag(name = "sweeps", description = "A grid over a training request, with baselines and seeds, as ordinary jobs and evaluations, and one table")
class SweepController {

    private final SweepService sweeps;

    SweepController(SweepService sweeps) {
        this.sweeps = sweeps;
    }

    @PostMapping
    @Operation(operationId = "createSweep", summary = "Submit a sweep: every combination of the grid's values, and each baseline, over the"
            + " seeds; each job's model is evaluated. Every member's request is checked first; nothing runs unless all pass")
    @ApiResponse(responseCode = "202", description = "accepted; its members are submitted as the"
            + " owner's active-job limit allows",
            headers = @Header(name = "Location", description = "the sweep's URL",
                    schema = @Schema(type = "string")))
    ResponseEntity<SweepView> create(@Valid @RequestBody CreateSweepRequest request) {
        SweepView view = sweeps.create(request);
        return ResponseEntity.status(HttpStatus.ACCEPTED).location(URI.create("/api/v1/sweeps/" + view.id())).body(view);
    }

    @GetMapping
    @Operation(operationId = "listSweeps", summary = "Sweeps, newest first")
    PageView<SweepView> list(@RequestParam(required = false) String owner,
            @RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "20") int size) {
        Problems.checkPage(page, size);
        return PageView.of(sweeps.list(owner, PageRequest.of(page, size, Sort.by(Sort.Direction.DESC, "createdAt"))));
    }

    @GetMapping("/{id}")
    @Operation(operationId = "getSweep", summary = "The sweep: its state, progress and members (each with its job and evaluations)")
    SweepView get(@PathVariable UUID id) {
        return sweeps.get(id);
    }

    @GetMapping("/{id}/results")
    @Operation(operationId = "getSweepResults", summary = "The sweep's table: per configuration and checkpoint, mean and standard deviation"
            + " over seeds of clean, each attack's and the worst-case accuracy, training cost, masking checks, and the Pareto front"
            + " of clean against worst-case accuracy; evaluated members only (so far, while it runs)")
    List<SweepResults.SweepRow> results(@PathVariable UUID id) {
        return sweeps.results(id);
    }

    @GetMapping(value = "/{id}/results.csv", produces = "text/csv")
    @Operation(operationId = "getSweepResultsCsv", summary = "The same table as CSV (a mean and a std column per figure)")
    @ApiResponse(responseCode = "200", description = "the table",
            content = @Content(mediaType = "text/csv",
                    schema = @Schema(type = "string")))
    ResponseEntity<String> csv(@PathVariable UUID id) {
        return ResponseEntity.ok().contentType(MediaType.parseMediaType("text/csv")).body(sweeps.csv(id));
    }

    @GetMapping(value = "/{id}/report.html", produces = MediaType.TEXT_HTML_VALUE)
    @Operation(operationId = "getSweepReportPage", summary = "The sweep's page: its table and charts (worst case against lambda, clean"
            + " against worst case with the Pareto front, cost against robustness)")
    String page(@PathVariable UUID id) {
        SweepView view = sweeps.get(id);
        return SweepPages.page(view.name() == null ? "Sweep " + id : "Sweep " + view.name(), view.state().name(),
                sweeps.results(id), view.members().stream().filter(m -> m.state().equals(SweepMember.PRUNED))
                        .map(m -> m.config() + (m.seed() == null ? "" : ", seed " + m.seed()) + ": " + m.reason()).toList(),
                "/api/v1/sweeps/" + id + "/plots/");
    }

    @GetMapping(value = "/{id}/plots/{name}.png", produces = MediaType.IMAGE_PNG_VALUE)
    @Operation(operationId = "getSweepPlot", summary = "A chart of the sweep: worst-case-vs-lambda, clean-vs-worst-case or cost-vs-robustness")
    ResponseEntity<byte[]> plot(@PathVariable UUID id, @PathVariable String name) {
        List<SweepResults.SweepRow> rows = sweeps.results(id);
        if (!SweepPages.CHARTS.contains(name)) {
            throw new NotFoundException("sweep " + id + " has no chart '" + name + "'; it has "
                    + SweepPages.CHARTS);
        }
        return ResponseEntity.ok().contentType(MediaType.IMAGE_PNG).body(SweepPages.chart(name, rows));
    }

    @PostMapping("/{id}/cancel")
    @Operation(operationId = "cancelSweep", summary = "Cancel the sweep: members not submitted never are; running jobs and evaluations"
            + " are cancelled")
    @ApiResponse(responseCode = "202", description = "cancelling")
    ResponseEntity<SweepView> cancel(@PathVariable UUID id) {
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(sweeps.cancel(id));
    }
}
