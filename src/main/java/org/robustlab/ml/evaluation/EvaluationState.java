package org.robustlab.ml.evaluation;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Where an evaluation is: which (attack, batch) units are done and what they found. Saved after each unit (written to a
 * temporary file and moved into place, so that a kill leaves the previous state whole) and read back by an evaluation
 * that starts again on the same points, attacks, batch size and seed ({@link #fingerprint}); a state of any other
 * evaluation is ignored.
 */
final class EvaluationState {

    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();

    String fingerprint;
    boolean[] cleanDone;
    boolean[][] done;
    boolean[] clean;
    float[] cleanMargin;
    boolean[][] robust;
    float[][] margin;
    double[] seconds;
    List<MaskingCheck> checks;

    private EvaluationState() {}

    /** The state saved in {@code file} for this evaluation, or a fresh one (also when {@code file} is null). */
    static EvaluationState load(Path file, String fingerprint, int points, int attacks, int batches) {
        if (file != null && Files.isRegularFile(file)) {
            try {
                EvaluationState s = GSON.fromJson(Files.readString(file), EvaluationState.class);
                if (s != null && fingerprint.equals(s.fingerprint) && s.clean != null && s.clean.length == points
                        && s.done != null && s.done.length == attacks) {
                    return s;
                }
            } catch (IOException | JsonParseException e) {
                // a state that cannot be read is no state: the evaluation starts from the beginning
            }
        }
        EvaluationState s = new EvaluationState();
        s.fingerprint = fingerprint;
        s.cleanDone = new boolean[batches];
        s.done = new boolean[attacks][batches];
        s.clean = new boolean[points];
        s.cleanMargin = new float[points];
        s.robust = new boolean[attacks][points];
        s.margin = new float[attacks][points];
        s.seconds = new double[attacks];
        return s;
    }

    /** Units done so far, the clean pass included. */
    int unitsDone() {
        int k = 0;
        for (boolean b : cleanDone) {
            k += b ? 1 : 0;
        }
        for (boolean[] attack : done) {
            for (boolean b : attack) {
                k += b ? 1 : 0;
            }
        }
        return k;
    }

    void save(Path file) {
        if (file == null) {
            return;
        }
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, GSON.toJson(this), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the evaluation's state to " + file.getFileName(), e);
        }
    }
}
