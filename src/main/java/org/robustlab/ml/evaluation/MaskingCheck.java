package org.robustlab.ml.evaluation;

import java.util.Map;

/**
 * One check for gradient masking (Athalye et al., 2018; Carlini et al., 2019, "On evaluating
 * adversarial robustness"): a failed check means the white-box numbers are not to be trusted.
 *
 * @param name a stable identifier
 * @param passed whether the model passed
 * @param detail the rule and the numbers, in words
 * @param figures the numbers the rule was applied to
 */
public record MaskingCheck(String name, boolean passed, String detail, Map<String, Double> figures) {}
