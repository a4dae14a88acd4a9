package dev.calq.bench;

import dev.calq.awq.AwqConfig;
import dev.calq.awq.AwqScaling;
import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.calibration.quant.GridConfig;
import dev.calq.calibration.runner.CalibrationRunner;
import dev.calq.calibration.runner.ChainedMethod;
import dev.calq.calibration.runner.LayerMethod;
import dev.calq.calibration.runner.RunnerOptions;
import dev.calq.formats.quantized.GridCheckpointFormat;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.gptq.GptqConfig;
import dev.calq.gptq.GptqMethod;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The quantize job's heap-holding part as a separate JVM can run it under a chosen -Xmx: GPTQ (or RTN) through the
 * calibration runner on random token windows, then the GPTQ checkpoint written, as {@code calq quantize} does.
 * Arguments: MODEL OUTPUT gptq|rtn|awq+gptq BITS GROUP TRUE_SEQUENTIAL NSAMPLES SEQLEN; "estimate" as OUTPUT prints the
 * runner's estimate (hidden states plus the rest, bytes) and exits.
 */
public final class HeapProbe {
    private HeapProbe() {}

    public static void main(String[] args) {
        Path model = Path.of(args[0]);
        GptqMethod.Algorithm algo = args[2].equals("rtn") ? GptqMethod.Algorithm.RTN : GptqMethod.Algorithm.GPTQ;
        GptqConfig cfg = new GptqConfig(new GridConfig(Integer.parseInt(args[3]), Integer.parseInt(args[4]), true, false),
                false, false, 0.01, 128, Boolean.parseBoolean(args[5]));
        int nsamples = Integer.parseInt(args[6]), seqlen = Integer.parseInt(args[7]);
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        try (LoadedModel loaded = ModelLoader.load(model)) {
            LlamaModel llama = loaded.model();
            List<int[]> samples = samples(nsamples, seqlen, llama.vocabSize());
            GptqMethod method = new GptqMethod(llama, cfg, algo, false, quiet);
            // awq+gptq: AWQ's scales (its default 8192 tokens) chained before GPTQ, as quantize --method awq+gptq runs them
            LayerMethod run = args[2].equals("awq+gptq")
                    ? new ChainedMethod(new AwqScaling(llama, cfg.grid(), AwqConfig.DEFAULT, 8192), method) : method;
            // No budget check and no spilling: what is measured is the live heap itself.
            CalibrationRunner runner = new CalibrationRunner(llama, samples, run, new RunnerOptions(Long.MAX_VALUE, null, false, "", quiet));
            if (args[1].equals("estimate")) {
                var e = runner.estimate();
                System.out.println(e.hiddenBytes() + e.fixedBytes());
                return;
            }
            CalibrationRunner.Result r = runner.run();
            if (Boolean.getBoolean("calq.probe.verbose")) System.err.print(CalibrationRunner.timingTable(r));
            GridCheckpointFormat.GPTQ.write(model, loaded.weights(), method.quantized(), cfg.checkpointConfig(),
                    SafetensorsWriter.DEFAULT_SHARD_BYTES, Path.of(args[1]), false);
        }
        System.out.println("done");
    }

    static List<int[]> samples(int n, int tokens, int vocab) {
        Random rnd = new Random(1);
        List<int[]> out = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            int[] t = new int[tokens];
            for (int i = 0; i < tokens; i++) t[i] = rnd.nextInt(vocab);
            out.add(t);
        }
        return out;
    }
}
