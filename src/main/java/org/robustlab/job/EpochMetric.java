package org.robustlab.job;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.UUID;
import org.robustlab.ml.training.EpochMetrics;

/** One epoch's metrics of a training job. */
@Entity
@Table(name = "epoch_metric")
public class EpochMetric {

    @EmbeddedId
    private Key key;
    private double loss;
    @Column(name = "cross_entropy")
    private double crossEntropy;
    private double regularizer;
    @Column(name = "train_accuracy")
    private double trainAccuracy;
    @Column(name = "validation_clean_accuracy")
    private double validationCleanAccuracy;
    @Column(name = "validation_robust_accuracy")
    private double validationRobustAccuracy;
    @Column(name = "learning_rate")
    private double learningRate;
    private double weight;
    @Column(name = "train_seconds")
    private double trainSeconds;
    private double seconds;
    @Column(name = "images_per_second")
    private double imagesPerSecond;

    protected EpochMetric() {}

    public EpochMetric(UUID jobId, EpochMetrics m) {
        this.key = new Key(jobId, m.epoch());
        this.loss = m.loss();
        this.crossEntropy = m.crossEntropy();
        this.regularizer = m.regularizer();
        this.trainAccuracy = m.trainAccuracy();
        this.validationCleanAccuracy = m.validationCleanAccuracy();
        this.validationRobustAccuracy = m.validationRobustAccuracy();
        this.learningRate = m.learningRate();
        this.weight = m.weight();
        this.trainSeconds = m.trainSeconds();
        this.seconds = m.seconds();
        this.imagesPerSecond = m.imagesPerSecond();
    }

    public EpochMetrics toMetrics() {
        return new EpochMetrics(key.epoch, loss, crossEntropy, regularizer, trainAccuracy, validationCleanAccuracy,
                validationRobustAccuracy, learningRate, weight, trainSeconds, seconds, imagesPerSecond);
    }

    /** (job, epoch). */
    @Embeddable
    public static class Key implements Serializable {
        @Column(name = "job_id")
        private UUID jobId;
        private int epoch;

        protected Key() {}

        public Key(UUID jobId, int epoch) {
            this.jobId = jobId;
            this.epoch = epoch;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.jobId.equals(jobId) && k.epoch == epoch;
        }

        @Override
        public int hashCode() {
            return jobId.hashCode() * 31 + epoch;
        }
    }
}
