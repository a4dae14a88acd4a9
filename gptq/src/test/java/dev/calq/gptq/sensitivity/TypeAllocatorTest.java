package dev.calq.gptq.sensitivity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.CalqException;
import dev.calq.formats.gguf.quant.GgmlType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TypeAllocatorTest {
    private static final GgmlType[] TYPES = {GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K};

    /** Random tensors whose KL falls with bytes (with noise, so some types are dominated). */
    private static List<TensorSensitivity> tensors(Random rnd, int n, int maxRows) {
        List<TensorSensitivity> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int rows = 1 + rnd.nextInt(maxRows), cols = 256 * (1 + rnd.nextInt(4));
            double scale = Math.exp(rnd.nextGaussian() * 2);
            List<TypeCost> costs = new ArrayList<>();
            for (GgmlType t : TYPES) {
                long bytes = rows * t.rowBytes(cols);
                double kl = scale * Math.pow(2, -2.0 * 8 * t.typeSize() / t.blockSize()) * (0.7 + 0.6 * rnd.nextDouble());
                costs.add(new TypeCost(t, bytes, kl, kl, kl));
            }
            out.add(new TensorSensitivity("t" + i, "k", i, rows, cols, 1, costs));
        }
        return out;
    }

    /** Every combination, for small cases. */
    private static double bruteForce(List<TensorSensitivity> ts, long budget, int i, long used, double kl) {
        if (i == ts.size()) return used <= budget ? kl : Double.POSITIVE_INFINITY;
        double best = Double.POSITIVE_INFINITY;
        for (TypeCost c : ts.get(i).costs()) best = Math.min(best, bruteForce(ts, budget, i + 1, used + c.bytes(), kl + c.predictedKl()));
        return best;
    }

    @Test
    void matchesExhaustiveSearchAndFitsTheBudget() {
        // tensors of at most 8 rows of 1024 columns: budgets below 2^16 bytes, one unit a byte
        Random rnd = new Random(5);
        for (int trial = 0; trial < 40; trial++) {
            List<TensorSensitivity> ts = tensors(rnd, 1 + rnd.nextInt(6), 8);
            long min = 0, max = 0;
            for (TensorSensitivity t : ts) {
                min += t.costs().getFirst().bytes();
                max += t.costs().getLast().bytes();
            }
            long budget = min + (long) (rnd.nextDouble() * (max - min));
            TypeAllocator.Allocation a = TypeAllocator.allocate(ts, budget);
            assertTrue(a.bytes() <= budget, "fits");
            long sum = 0;
            double kl = 0;
            for (TensorSensitivity t : ts) {
                TypeCost c = t.cost(a.types().get(t.name()));
                sum += c.bytes();
                kl += c.predictedKl();
            }
            assertEquals(sum, a.bytes());
            assertEquals(kl, a.predictedKl(), 1e-12 * Math.max(1, kl));
            double exact = bruteForce(ts, budget, 0, 0, 0);
            // budgets under UNITS bytes are solved in whole bytes: exactly optimal
            assertEquals(exact, a.predictedKl(), 1e-12 * Math.max(1, exact), "optimal");
        }
    }

    @Test
    void largeModelsLandWithinAPerMilleOfTheBudget() {
        List<TensorSensitivity> ts = tensors(new Random(9), 300, 2048);
        long min = 0, max = 0;
        for (TensorSensitivity t : ts) {
            min += t.costs().getFirst().bytes();
            max += t.costs().getLast().bytes();
        }
        long budget = (min + max) / 2;
        TypeAllocator.Allocation a = TypeAllocator.allocate(ts, budget);
        assertTrue(a.bytes() <= budget && a.bytes() >= budget * 0.99, a.bytes() + " of " + budget);
        Map<String, GgmlType> all = a.types();
        assertEquals(300, all.size());
    }

    @Test
    void refusesABudgetBelowTheSmallestTypes() {
        List<TensorSensitivity> ts = tensors(new Random(1), 3, 8);
        long min = ts.stream().mapToLong(t -> t.costs().getFirst().bytes()).sum();
        CalqException e = assertThrows(CalqException.class, () -> TypeAllocator.allocate(ts, min - 1));
        assertTrue(e.getMessage().contains("smallest types need " + min), e.getMessage());
    }
}
