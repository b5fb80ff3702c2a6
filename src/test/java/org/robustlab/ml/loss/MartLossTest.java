package org.robustlab.ml.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * MART's loss on fixed logits: against the formula worked out in double precision here, and against its PyTorch twin
 * (the reference code's {@code mart_loss} arithmetic, run with Debian's python3-torch), value and gradients.
 */
class MartLossTest {

    // row 0: the adversarial example is still classified correctly (class 2), so the margin term pushes down class 1;
    // row 1: it is misclassified (class 0 over the true class 1), so the margin term pushes down class 0
    private static final float[][] CLEAN = {{0.5f, 1.0f, 2.5f}, {1.0f, 2.0f, -0.5f}};
    private static final float[][] ADV = {{0.2f, 1.5f, 2.0f}, {2.5f, 1.0f, 0.0f}};
    private static final int[] LABELS = {2, 1};
    private static final float BETA = 6f;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private static double[] softmax(float[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] p = new double[z.length];
        for (int k = 0; k < z.length; k++) {
            p[k] = Math.exp(z[k] - max);
            sum += p[k];
        }
        for (int k = 0; k < z.length; k++) {
            p[k] /= sum;
        }
        return p;
    }

    /** {bce, robust} of the batch, from the paper's formula in double precision. */
    private static double[] byHand() {
        double bce = 0;
        double robust = 0;
        for (int i = 0; i < LABELS.length; i++) {
            int y = LABELS[i];
            double[] pa = softmax(ADV[i]);
            double[] pn = softmax(CLEAN[i]);
            int other = -1;
            for (int k = 0; k < pa.length; k++) {
                if (k != y && (other < 0 || pa[k] > pa[other])) {
                    other = k;
                }
            }
            bce += -Math.log(pa[y]) - Math.log(1.0001 - pa[other] + 1e-12);
            double kl = 0;
            for (int k = 0; k < pn.length; k++) {
                kl += pn[k] * (Math.log(pn[k]) - Math.log(pa[k] + 1e-12));
            }
            robust += kl * (1.0000001 - pn[y]);
        }
        return new double[] {bce / LABELS.length, robust / LABELS.length};
    }

    @Test
    void theLossIsThePapersFormulaAndPushesDownTheRightWrongClass() {
        NDArray labels = manager.create(LABELS);
        assertThat(MartLoss.otherClass(manager.create(ADV), labels).toIntArray()).containsExactly(1, 0);
        RegularizedLoss.Parts parts = MartLoss.compute(manager.create(CLEAN), manager.create(ADV), labels, BETA);
        double[] expected = byHand();
        assertThat((double) parts.crossEntropy().getFloat()).isCloseTo(expected[0], within(1e-5));
        assertThat((double) parts.regularizer().getFloat()).isCloseTo(expected[1], within(1e-5));
        assertThat((double) parts.total().getFloat()).isCloseTo(expected[0] + BETA * expected[1], within(1e-4));
        // identical clean and adversarial outputs: no KL term, whatever beta
        RegularizedLoss.Parts same = MartLoss.compute(manager.create(CLEAN), manager.create(CLEAN), labels, BETA);
        assertThat(same.regularizer().getFloat()).isCloseTo(0f, within(1e-6f));
    }

    @Test
    void valueAndGradientsMatchThePyTorchTwin() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        assumeTrue(Files.isExecutable(python), "python3 with torch (Debian's python3-torch) is needed for the twin");
        String script = String.join("\n",
                "import torch, torch.nn as nn, torch.nn.functional as F",
                "clean = torch.tensor(" + Arrays.deepToString(CLEAN) + ", dtype=torch.float64, requires_grad=True)",
                "adv = torch.tensor(" + Arrays.deepToString(ADV) + ", dtype=torch.float64, requires_grad=True)",
                "y = torch.tensor(" + Arrays.toString(LABELS) + ")",
                // the reference code's mart_loss, from its logits on
                "adv_probs = F.softmax(adv, dim=1)",
                "tmp1 = torch.argsort(adv_probs, dim=1)[:, -2:]",
                "new_y = torch.where(tmp1[:, -1] == y, tmp1[:, -2], tmp1[:, -1])",
                "loss_adv = F.cross_entropy(adv, y) + F.nll_loss(torch.log(1.0001 - adv_probs + 1e-12), new_y)",
                "nat_probs = F.softmax(clean, dim=1)",
                "true_probs = torch.gather(nat_probs, 1, (y.unsqueeze(1)).long()).squeeze()",
                "kl = nn.KLDivLoss(reduction='none')",
                "loss_robust = (1.0 / 2) * torch.sum(torch.sum(kl(torch.log(adv_probs + 1e-12), nat_probs), dim=1)"
                        + " * (1.0000001 - true_probs))",
                "loss = loss_adv + " + BETA + " * loss_robust",
                "loss.backward()",
                "print(' '.join(repr(float(v)) for v in [loss] + clean.grad.flatten().tolist() + adv.grad.flatten().tolist()))");
        Process p = new ProcessBuilder(python.toString(), "-c", script).redirectErrorStream(true).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("python3 finished").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assumeTrue(p.exitValue() == 0 || !out.contains("No module named 'torch'"), "torch is not installed");
        assertThat(p.exitValue()).as("python3 said: %s", out).isZero();
        double[] theirs = Arrays.stream(out.split(" ")).mapToDouble(Double::parseDouble).toArray();

        NDArray clean = manager.create(CLEAN);
        NDArray adv = manager.create(ADV);
        clean.setRequiresGradient(true);
        adv.setRequiresGradient(true);
        float loss;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray total = MartLoss.compute(clean, adv, manager.create(LABELS), BETA).total();
            loss = total.getFloat();
            collector.backward(total);
        }
        float[] gradClean = clean.getGradient().toFloatArray();
        float[] gradAdv = adv.getGradient().toFloatArray();
        assertThat((double) loss).as("loss").isCloseTo(theirs[0], within(1e-4));
        for (int j = 0; j < 6; j++) {
            assertThat((double) gradClean[j]).as("d loss / d clean logit %d", j).isCloseTo(theirs[1 + j], within(1e-4));
            assertThat((double) gradAdv[j]).as("d loss / d adversarial logit %d", j).isCloseTo(theirs[7 + j], within(1e-4));
        }
    }
}
