package dev.calq.calibration.runner;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * How the runner may use memory and disk.
 *
 * @param memoryBudget bytes the run may hold (hidden states, one layer's weights and activations, the method's state);
 *                     hidden states that do not fit spill to a memory-mapped scratch file
 * @param workDir      where checkpoints (and scratch files) go; null disables checkpoints
 * @param resume       continue from the last finished layer in workDir
 * @param runKey       identifies the run's model, data and options; a checkpoint of another run is refused
 * @param log          progress and messages (stderr for the CLI)
 */
public record RunnerOptions(long memoryBudget, Path workDir, boolean resume, String runKey, PrintStream log) {
    /**
     * The default budget: 60% of the maximum heap, or what scripts/heap.sh sized the heap for when that is more (it
     * gives 1.5x the run's estimate plus 512 MiB, so the estimate itself fits and the hidden states do not spill).
     */
    public static long defaultBudget() {
        long max = Runtime.getRuntime().maxMemory();
        return Math.max((long) (max * 0.6), (max - (512L << 20)) * 2 / 3);
    }

    public static RunnerOptions inMemory(PrintStream log) {
        return new RunnerOptions(defaultBudget(), null, false, "", log);
    }
}
