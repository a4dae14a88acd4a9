package dev.calq.calibration.runner;

import dev.calq.datasets.CalibrationSpec;
import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.formats.model.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What every layer-by-layer quantize job shares: the model folder, the output, the calibration text, where
 * checkpoints go and how much memory the run may hold.
 *
 * @param model         the Hugging Face model folder
 * @param output        the output folder or file
 * @param calibration   the calibration text and sampling (its source may be null: RTN without data)
 * @param workDir       checkpoint folder (null: OUTPUT.calq-work beside the output)
 * @param memoryBudget  bytes the run may hold (0: {@link RunnerOptions#defaultBudget()})
 * @param resume        continue a killed run from its last finished layer
 * @param overwrite     replace existing outputs
 * @param imatrixOutput also save the importance matrix of the pass's activations here (null: not)
 */
public record PassOptions(Path model, Path output, CalibrationSpec calibration, Path workDir, long memoryBudget, boolean resume,
                          boolean overwrite, Path imatrixOutput) {

    /** Whether an existing output may be replaced: --overwrite, or --resume finishing what a killed run began. */
    public boolean replace() { return overwrite || resume; }

    public Path checkpointDir() {
        if (workDir != null) return workDir;
        Path abs = output.toAbsolutePath();
        return abs.resolveSibling(abs.getFileName() + ".calq-work");
    }

    /** Removes the checkpoint folder once every output is written. */
    public void deleteCheckpoints() {
        Path dir = checkpointDir();
        if (Files.isDirectory(dir)) AtomicOutput.discard(dir);
    }

    public long budget() { return memoryBudget > 0 ? memoryBudget : RunnerOptions.defaultBudget(); }

    /**
     * Every output is written from a Hugging Face folder (config.json, side files): refuse anything else before the
     * model is loaded and calibrated, not when the writer finally needs the folder.
     */
    public void requireHfFolder() {
        if (!Files.isDirectory(model))
            throw CalqException.file(model, Files.exists(model) ? "is a file; quantize reads a Hugging Face model folder (config.json and safetensors)" : "not found");
        ModelConfig.load(model);
    }

    /** Refuses an output that exists (unless replaced) or would hit an input; {@code more} are the inputs besides model and calibration. */
    public void checkOutput(Path out, Path... more) {
        Path[] inputs = new Path[2 + more.length];
        inputs[0] = model;
        inputs[1] = calibration.path();
        System.arraycopy(more, 0, inputs, 2, more.length);
        AtomicOutput.checkTarget(out, replace(), inputs);
    }

    /** Checks every output before any work: the main one, {@code more} (GGUF files beside it) and --imatrix-output. */
    public void checkOutputs(java.util.List<Path> more) {
        java.util.List<Path> all = new java.util.ArrayList<>(more);
        all.addFirst(output);
        if (imatrixOutput != null) all.add(imatrixOutput);
        AtomicOutput.checkDistinct(all);
        checkOutput(output);
        for (Path p : more) checkOutput(p, output);
        if (imatrixOutput != null) checkOutput(imatrixOutput, output);
    }
}
