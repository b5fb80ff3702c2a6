package org.robustlab.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.robustlab.execution.JobState;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.data.jpa.test.autoconfigure.DataJpaTest;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;

/** The job search against the Flyway schema (H2): filters combine, and the newest job comes first. */
@DataJpaTest
class TrainingJobRepositoryTest {

    @Autowired
    TrainingJobRepository jobs;

    @Test
    void searchFiltersByStateMethodDatasetAndTagNewestFirst() {
        Instant t = Instant.parse("2026-11-25T10:00:00Z");
        TrainingJob a = job("arr", "fashion-mnist", Set.of("paper", "fm"), t);
        TrainingJob b = job("trades", "fashion-mnist", Set.of("paper"), t.plusSeconds(10));
        TrainingJob c = job("arr", "cifar10", Set.of(), t.plusSeconds(20));
        c.execution().finish(JobState.SUCCEEDED, null, t.plusSeconds(30));
        b.setOwner("bob");
        jobs.saveAllAndFlush(List.of(a, b, c));
        PageRequest newest = PageRequest.of(0, 10, Sort.by(Sort.Direction.DESC, "execution.createdAt"));

        assertThat(jobs.search(null, null, null, null, null, newest).map(TrainingJob::getId).getContent())
                .containsExactly(c.getId(), b.getId(), a.getId());
        assertThat(jobs.search(null, "arr", null, null, null, newest).map(TrainingJob::getId).getContent())
                .containsExactly(c.getId(), a.getId());
        assertThat(jobs.search(JobState.QUEUED, "arr", null, null, null, newest).map(TrainingJob::getId).getContent())
                .containsExactly(a.getId());
        assertThat(jobs.search(null, null, "fashion-mnist", "paper", null, newest).map(TrainingJob::getId).getContent())
                .containsExactly(b.getId(), a.getId());
        assertThat(jobs.search(null, null, null, "fm", null, newest).getTotalElements()).isEqualTo(1);
        assertThat(jobs.search(null, null, null, "nothing", null, newest).getTotalElements()).isZero();
        assertThat(jobs.search(null, null, null, null, "bob", newest).map(TrainingJob::getId).getContent()).containsExactly(b.getId());
        assertThat(jobs.countByExecutionState(JobState.SUCCEEDED)).isEqualTo(1);
        assertThat(jobs.findById(a.getId()).orElseThrow().getTags()).containsExactlyInAnyOrder("paper", "fm");
    }

    @Test
    void progressGivesPercentAndALinearEta() {
        TrainingJob j = job("arr", "fashion-mnist", Set.of(), Instant.now());
        j.execution().start("token", "cpu", Instant.parse("2026-11-25T10:00:00Z"));
        j.setProgress(2, 5, 10, 0.25, Instant.parse("2026-11-25T10:01:00Z"));
        assertThat(j.execution().getPercent()).isEqualTo(25.0);
        assertThat(j.getEtaSeconds()).isEqualTo(180.0);
    }

    private static TrainingJob job(String method, String dataset, Set<String> tags, Instant created) {
        return new TrainingJob(UUID.randomUUID(), null, method, dataset, "small-cnn", 3, "{}", "{}", tags, created);
    }
}
