package dev.calq.formats;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * calq's one thread pool, used by the kernels (matmuls, attention, Gram and Hessian products), the ggml codecs and
 * the AWQ searches: a fixed pool sized to the cores, or to N with the one setting -Dcalq.threads=N (e.g.
 * {@code CALQ_JAVA_OPTS=-Dcalq.threads=2 ./calq ...}), and a parallel for over [0, n) in chunks.
 * The calling thread works too. A forRange called from inside a body runs serially, so kernels may be nested
 * (e.g. attention heads in parallel, each calling a matmul) without deadlock or oversubscription.
 */
public final class Parallel {
    /** The body of a parallel for: handles indices [from, to). */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    private static final int THREADS = Math.max(1, Integer.getInteger("calq.threads", Runtime.getRuntime().availableProcessors()));
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> Boolean.FALSE);
    private static final ExecutorService POOL = THREADS == 1 ? null : Executors.newFixedThreadPool(THREADS - 1, r -> {
        Thread t = new Thread(r, "calq-kernel");
        t.setDaemon(true);
        return t;
    });

    private Parallel() {}

    public static int threads() { return THREADS; }

    /**
     * Runs body over disjoint ranges covering [0, n), each at most {@code grain} long, on all cores.
     * Exceptions from the body are rethrown in the caller.
     */
    public static void forRange(int n, int grain, Range body) {
        if (n <= 0) return;
        if (grain < 1) grain = 1;
        int chunks = (int) (((long) n + grain - 1) / grain);
        int workers = Math.min(THREADS, chunks);
        if (workers <= 1 || INSIDE.get()) {
            for (int from = 0; from < n; from += grain) body.run(from, Math.min(n, from + grain));
            return;
        }
        AtomicInteger next = new AtomicInteger();
        final int g = grain;
        Runnable task = () -> {
            boolean outer = INSIDE.get();
            INSIDE.set(Boolean.TRUE);
            try {
                for (int c; (c = next.getAndIncrement()) < chunks; ) {
                    int from = c * g;
                    body.run(from, (int) Math.min(n, (long) from + g));
                }
            } finally {
                INSIDE.set(outer);
            }
        };
        @SuppressWarnings("unchecked")
        Future<?>[] futures = new Future<?>[workers - 1];
        for (int i = 0; i < futures.length; i++) futures[i] = POOL.submit(task);
        Throwable failure = null;
        try {
            task.run();
        } catch (RuntimeException | Error e) {
            failure = e;
            next.set(chunks); // stop the others early
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) failure = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = e;
            }
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error er) throw er;
        if (failure != null) throw new RuntimeException(failure);
    }
}
