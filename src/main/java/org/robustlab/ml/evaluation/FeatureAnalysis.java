package org.robustlab.ml.evaluation;

/**
 * Statistics of the penultimate features phi(x) (the input of the last linear layer), as in the
 * paper's section 5.
 *
 * @param layer which layer's input was taken
 * @param dimension feature dimension
 * @param points test points used
 * @param attack the attack that made x_adv
 * @param epsilon its radius
 * @param cleanSeparation between-class over within-class variance of phi(x): sum_c n_c |mu_c - mu|^2 / sum_i |phi_i - mu_(y_i)|^2
 * @param adversarialSeparation the same ratio for phi(x_adv), grouped by true class
 * @param relativeFeatureChange mean over examples of |phi(x) - phi(x_adv)| / |phi(x)|
 * @param relativeFeatureChangeMedian the median of that ratio
 */
public record FeatureAnalysis(String layer, int dimension, int points, String attack, float epsilon,
        double cleanSeparation, double adversarialSeparation, double relativeFeatureChange, double relativeFeatureChangeMedian) {}
