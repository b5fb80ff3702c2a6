package org.robustlab.job;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.config.SseStreams;
import org.robustlab.execution.JobState;
import org.robustlab.problem.ConflictException;
import org.robustlab.problem.NotFoundException;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/** Validation and error mapping of the job API, on the web slice (the service is stubbed, security is tested end to end). */
@WebMvcTest(JobController.class)
@AutoConfigureMockMvc(addFilters = false)
class JobControllerTest {

    @Autowired
    MockMvc mvc;

    @MockitoBean
    JobService jobs;

    @MockitoBean
    SseStreams streams;

    /** The properties the request-size filter reads, bound from application.yml as in the service. */
    @TestConfiguration
    @EnableConfigurationProperties(RobustLabProperties.class)
    static class Properties {}

    @Test
    void outOfRangeMethodParametersAreNamedWithTheirRange() throws Exception {
        String[][] cases = {
            {"{\"dataset\": \"fashion-mnist\", \"method\": \"n-fgsm\", \"attack\": {\"noise\": -0.1}}", "attack.noise", "greater than or equal to 0"},
            {"{\"dataset\": \"fashion-mnist\", \"method\": \"n-fgsm\", \"attack\": {\"noise\": 1.5}}", "attack.noise", "less than or equal to 1"},
            {"{\"dataset\": \"fashion-mnist\", \"method\": \"mart\", \"beta\": -1}", "beta", "greater than or equal to 0"},
            {"{\"dataset\": \"fashion-mnist\", \"method\": \"pgd-at\", \"weightPerturbation\": {\"gamma\": -0.01}}",
                "weightPerturbation.gamma", "greater than or equal to 0"},
            {"{\"dataset\": \"fashion-mnist\", \"method\": \"fgsm-rs\", \"gradAlign\": {\"lambda\": -1}}", "gradAlign.lambda",
                "greater than or equal to 0"},
            {"{\"dataset\": \"fashion-mnist\", \"method\": \"fgsm-rs\", \"gradAlign\": {}}", "gradAlign.lambda", "must not be null"},
        };
        for (String[] c : cases) {
            mvc.perform(post("/api/v1/training-jobs").contentType(MediaType.APPLICATION_JSON).content(c[0]))
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                    .andExpect(jsonPath("$.detail", Matchers.containsString(c[2])))
                    .andExpect(jsonPath("$.errors[*].field", Matchers.hasItem(c[1])));
        }
    }

    @Test
    void outOfRangeValuesAreNamedWithTheirRange() throws Exception {
        mvc.perform(post("/api/v1/training-jobs").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"dataset\": \"fashion-mnist\", \"epochs\": 0, \"batchSize\": 100000}"))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.type").value("https://robustlab.org/problems/invalid-request"))
                .andExpect(jsonPath("$.detail", Matchers.containsString("epochs must be greater than or equal to 1")))
                .andExpect(jsonPath("$.detail", Matchers.containsString("batchSize must be less than or equal to 4096")))
                .andExpect(jsonPath("$.errors[*].field", Matchers.containsInAnyOrder("epochs", "batchSize")));
    }

    @Test
    void missingDatasetIsNamed() throws Exception {
        mvc.perform(post("/api/v1/training-jobs").contentType(MediaType.APPLICATION_JSON).content("{}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.field").value("dataset"));
    }

    @Test
    void unknownIdIs404AndAFinishedJobCannotBeCancelled() throws Exception {
        UUID id = UUID.randomUUID();
        when(jobs.get(id)).thenThrow(NotFoundException.forId("training job", id));
        mvc.perform(get("/api/v1/training-jobs/" + id))
                .andExpect(status().isNotFound())
                .andExpect(jsonPath("$.detail").value("no training job with id " + id));
        when(jobs.cancel(any())).thenThrow(new ConflictException("training job is SUCCEEDED"));
        mvc.perform(post("/api/v1/training-jobs/" + id + "/cancel"))
                .andExpect(status().isConflict())
                .andExpect(jsonPath("$.type").value("https://robustlab.org/problems/illegal-transition"));
    }

    @Test
    void aWriteThatRacesADeletionIsAConflictNotAServerError() throws Exception {
        UUID id = UUID.randomUUID();
        when(jobs.cancel(id)).thenThrow(new DataIntegrityViolationException("FK_MODEL violated: secret internals"));
        mvc.perform(post("/api/v1/training-jobs/" + id + "/cancel"))
                .andExpect(status().isConflict())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.type").value("https://robustlab.org/problems/concurrent-change"))
                .andExpect(content().string(Matchers.not(Matchers.containsString("secret internals"))));
    }

    @Test
    void unexpectedFailuresLeakNoStackTrace() throws Exception {
        UUID id = UUID.randomUUID();
        when(jobs.get(id)).thenThrow(new IllegalStateException("secret internals"));
        mvc.perform(get("/api/v1/training-jobs/" + id))
                .andExpect(status().isInternalServerError())
                .andExpect(content().string(Matchers.not(Matchers.containsString("secret internals"))))
                .andExpect(content().string(Matchers.not(Matchers.containsString("at org."))));
    }

    @Test
    void pageSizeIsBounded() throws Exception {
        mvc.perform(get("/api/v1/training-jobs?size=5000"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.field").value("size"));
        mvc.perform(get("/api/v1/training-jobs?state=DONE"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.detail", Matchers.containsString("QUEUED")));
    }

    @Test
    void submitAnswers202WithLocation() throws Exception {
        UUID id = UUID.randomUUID();
        when(jobs.submit(any())).thenReturn(new TrainingJobView(id, null, JobState.QUEUED, "arr", "fashion-mnist", "small-cnn",
                Set.of(), new TrainingJobView.Progress(0, 1, 0, 0, 0, null), null, List.of(), null, null, "alice", 0,
                Instant.now(), null, null, null, null, null));
        mvc.perform(post("/api/v1/training-jobs").contentType(MediaType.APPLICATION_JSON).content("{\"dataset\": \"fashion-mnist\"}"))
                .andExpect(status().isAccepted())
                .andExpect(header().string("Location", "/api/v1/training-jobs/" + id))
                .andExpect(jsonPath("$.state").value("QUEUED"));
    }
}
