package dev.calq.gptq.sensitivity;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.quant.GgmlType;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses one type per tensor to minimise the summed predicted KL divergence with the tensors' bytes at most a
 * budget: the multiple-choice knapsack solved exactly by dynamic programming over the budget cut into at most
 * {@value #UNITS} units (each tensor's bytes rounded up to whole units, so the choice always fits; the rounding
 * gives away at most one unit per tensor, well under 1% of the budget). Dominated types (more bytes, no less KL)
 * never win, so this is the same as walking each tensor's Pareto frontier.
 */
public final class TypeAllocator {
    static final int UNITS = 1 << 16;

    /** The chosen type of every tensor (in table order), with the bytes and predicted KL it adds up to. */
    public record Allocation(Map<String, GgmlType> types, long bytes, double predictedKl) {}

    private TypeAllocator() {}

    public static Allocation allocate(List<TensorSensitivity> tensors, long budgetBytes) {
        long minimum = 0;
        for (TensorSensitivity t : tensors) minimum += t.costs().stream().mapToLong(TypeCost::bytes).min().orElseThrow();
        if (budgetBytes < minimum)
            throw new CalqException("the size target leaves " + budgetBytes + " bytes for the quantized tensors; the smallest types need " + minimum);
        long unit = Math.max(1, (budgetBytes + UNITS - 1) / UNITS);
        int cap = (int) (budgetBytes / unit);
        int n = tensors.size();
        double[] best = new double[cap + 1]; // best[c]: least KL of the tensors so far within c units
        byte[][] pick = new byte[n][cap + 1];
        double[] next = new double[cap + 1];
        for (int i = 0; i < n; i++) {
            List<TypeCost> costs = tensors.get(i).costs();
            if (costs.size() > Byte.MAX_VALUE) throw new IllegalArgumentException("too many candidate types");
            Arrays.fill(next, Double.POSITIVE_INFINITY);
            for (int k = 0; k < costs.size(); k++) {
                TypeCost c = costs.get(k);
                long u = (c.bytes() + unit - 1) / unit;
                if (u > cap) continue;
                double kl = c.predictedKl();
                for (int b = (int) u; b <= cap; b++) {
                    double v = best[b - (int) u] + kl;
                    if (v < next[b]) {
                        next[b] = v;
                        pick[i][b] = (byte) k;
                    }
                }
            }
            double[] t = best;
            best = next;
            next = t;
        }
        int b = cap;
        if (Double.isInfinite(best[b]))
            throw new CalqException("the size target of " + budgetBytes + " bytes for the quantized tensors is too small once rounded");
        GgmlType[] chosen = new GgmlType[n];
        long bytes = 0;
        double kl = 0;
        for (int i = n - 1; i >= 0; i--) {
            TypeCost c = tensors.get(i).costs().get(pick[i][b]);
            chosen[i] = c.type();
            bytes += c.bytes();
            kl += c.predictedKl();
            b -= (int) ((c.bytes() + unit - 1) / unit);
        }
        Map<String, GgmlType> types = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) types.put(tensors.get(i).name(), chosen[i]);
        return new Allocation(types, bytes, kl);
    }
}
