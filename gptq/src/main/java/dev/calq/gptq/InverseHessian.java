package dev.calq.gptq;

import dev.calq.formats.CalqException;
import dev.calq.formats.Parallel;
import java.util.Arrays;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What GPTQ needs from a Hessian, computed once per input site and shared by the projections reading it:
 * the dead input channels, the act-order permutation, and U, the upper Cholesky factor of (H + damp*I)^-1
 * (in permuted order), as float32 for the quantization loop.
 *
 * <p>Instead of the reference's three steps (Cholesky of H, cholesky_inverse, Cholesky of the inverse) we factor
 * the reversed matrix J H J = L L^T (J reverses the order), so H = V V^T with V = J L J upper triangular and
 * H^-1 = V^-T V^-1: U = V^-1 = J L^-1 J. One Cholesky and one triangular inversion, both blocked in float64
 * ({@link BlockedCholesky}, {@link TriangularInverse}: EJML on the small diagonal blocks, calq's vectorised kernel
 * for the rest), the same U.
 *
 * @param perm      quantization order of the input columns (identity without act-order)
 * @param dead      input channels that no calibration token used (zero diagonal)
 * @param upper     U [n x n] row-major, permuted order
 * @param dampUsed  the damping fraction that made the factorisation succeed
 * @param retries   how many times the damping had to be raised
 */
public record InverseHessian(int n, int[] perm, boolean[] dead, float[] upper, double dampUsed, int retries) {
    /** Raising the damping tenfold at most this many times before giving up. */
    public static final int MAX_RETRIES = 3;
    private static final System.Logger LOG = System.getLogger("dev.calq.gptq");

    /** Prepares {@code h} ([n x n], full symmetric, not modified); {@code name} labels messages. */
    public static InverseHessian prepare(String name, double[] h, int n, GptqConfig cfg) {
        if (h.length != (long) n * n) throw new IllegalArgumentException(name + ": Hessian has " + h.length + " entries, expected " + n + "^2");
        int bad = firstNonFinite(h, n);
        if (bad >= 0)
            throw new CalqException(name + ": the Hessian has a non-finite entry at (" + bad / n + ", " + bad % n + "); the calibration activations overflowed");
        boolean[] dead = new boolean[n];
        double[] diag = new double[n];
        for (int i = 0; i < n; i++) {
            diag[i] = h[i * n + i];
            if (diag[i] == 0) {
                dead[i] = true;
                diag[i] = 1;
            }
        }
        int[] perm = new int[n];
        Arrays.setAll(perm, i -> i);
        if (cfg.actOrder()) {
            // Decreasing diagonal, ties by index (stable), so the order is deterministic.
            Integer[] boxed = Arrays.stream(perm).boxed().toArray(Integer[]::new);
            Arrays.sort(boxed, Comparator.comparingDouble((Integer i) -> -diag[i]));
            for (int i = 0; i < n; i++) perm[i] = boxed[i];
        }
        double mean = 0;
        for (double d : diag) mean += d;
        mean /= n;

        double fraction = cfg.damp();
        for (int attempt = 0; ; attempt++) {
            float[] u = factor(h, n, perm, diag, fraction * mean);
            if (u != null) {
                if (attempt > 0)
                    LOG.log(System.Logger.Level.WARNING, name + ": Hessian not positive definite with damp " + cfg.damp()
                            + "; succeeded with damp " + fraction + " after " + attempt + " retr" + (attempt == 1 ? "y" : "ies"));
                return new InverseHessian(n, perm, dead, u, fraction, attempt);
            }
            if (attempt == MAX_RETRIES)
                throw new CalqException(name + ": the Hessian is not positive definite even with damp " + fraction
                        + " (" + MAX_RETRIES + " retries from " + cfg.damp() + "); the calibration data is degenerate or broken");
            fraction = fraction == 0 ? 0.01 : fraction * 10;
        }
    }

    /** U for the permuted, damped H, or null when the Cholesky factorisation fails. */
    private static float[] factor(double[] h, int n, int[] perm, double[] diag, double damp) {
        // Reversed, permuted and damped copy: R[a][b] = H[perm[n-1-a]][perm[n-1-b]].
        double[] rd = new double[n * n];
        Parallel.forRange(n, ROWS, (from, to) -> {
            for (int a = from; a < to; a++) {
                int pa = perm[n - 1 - a];
                for (int b = 0; b <= a; b++) rd[a * n + b] = h[pa * n + perm[n - 1 - b]]; // the lower triangle is all that is read
                rd[a * n + a] = diag[pa] + damp;
            }
        });
        if (!BlockedCholesky.factorLower(rd, n)) return null;
        TriangularInverse.invertLowerInPlace(rd, n, BlockedCholesky.BLOCK);
        double[] ld = rd;
        float[] u = new float[n * n];
        AtomicBoolean finite = new AtomicBoolean(true);
        Parallel.forRange(n, ROWS, (from, to) -> {
            for (int i = from; i < to && finite.get(); i++) {
                for (int j = i; j < n; j++) {
                    double v = ld[(n - 1 - i) * n + (n - 1 - j)];
                    if (!Double.isFinite(v)) finite.set(false);
                    u[i * n + j] = (float) v;
                }
            }
        });
        return finite.get() ? u : null;
    }

    /** Rows a task of the copies above takes. */
    private static final int ROWS = 64;

    /** The flat index of the first non-finite entry of {@code h}, or -1; rows are scanned in parallel. */
    private static int firstNonFinite(double[] h, int n) {
        AtomicInteger first = new AtomicInteger(Integer.MAX_VALUE);
        Parallel.forRange(n, ROWS, (from, to) -> {
            for (int i = from * n; i < to * n; i++) {
                if (!Double.isFinite(h[i])) {
                    first.accumulateAndGet(i, Math::min);
                    return;
                }
            }
        });
        return first.get() == Integer.MAX_VALUE ? -1 : first.get();
    }
}
