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
     * The default budget: 60% of the maximum heap, or the estimate the launcher sized the heap for (scripts/heap.sh
     * passes it as -Dcalq.heap.estimate, the heap being 1.5x it plus 512 MiB) when that is more and the heap holds it.
     */
    public static long defaultBudget() {
        long max = Runtime.getRuntime().maxMemory();
        long budget = (long) (max * 0.6);
        Long sized = Long.getLong("calq.heap.estimate");
        if (sized != null && sized <= max) budget = Math.max(budget, sized);
        return budget;
    }

    public static RunnerOptions inMemory(PrintStream log) {
        return new RunnerOptions(defaultBudget(), null, false, "", log);
    }
}
