package dev.calq.cli;

import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.LoadedModel;
import dev.calq.calibration.model.ModelLoader;
import dev.calq.calibration.model.Projection;
import dev.calq.formats.CalqException;
import dev.calq.formats.bnb.Bnb4BitLayer;
import dev.calq.formats.bnb.Bnb4BitType;
import dev.calq.formats.bnb.BnbQuantizationConfig;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.DType;
import dev.calq.gptq.BnbCheckpointWriter;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code quantize --format nf4}: every projection rounded to the nearest NF4 (or FP4) code with its 64-block's
 * absmax, as bitsandbytes' quantize_4bit does, and written as a pre-quantized bitsandbytes checkpoint.
 */
final class BnbQuantize {
    private BnbQuantize() {}

    static Bnb4BitType type(String name) {
        Bnb4BitType t = Bnb4BitType.of(name);
        if (t == null) throw new CalqException("--bnb-type " + name + " is not known (nf4 or fp4)");
        return t;
    }

    static int plain(Path model, Path output, Bnb4BitType type, boolean doubleQuant, boolean overwrite, PrintStream log) {
        long start = System.nanoTime();
        try (LoadedModel loaded = ModelLoader.load(model)) {
            LlamaModel llama = loaded.model();
            Map<String, Bnb4BitLayer> layers = new LinkedHashMap<>();
            DType dtype = null;
            for (int l = 0; l < llama.numLayers(); l++)
                for (Projection p : Projection.values()) {
                    String name = p.weightName(l);
                    dtype = BnbCheckpointWriter.dtypeOf(loaded.weights(), name);
                    layers.put(name, Bnb4BitLayer.quantize(llama.weight(l, p), llama.outFeatures(p), llama.inFeatures(p), type, dtype));
                }
            BnbCheckpointWriter.write(model, loaded.weights(), layers, new BnbQuantizationConfig(type, doubleQuant, computeDtype(dtype)),
                    SafetensorsWriter.DEFAULT_SHARD_BYTES, output, overwrite);
        }
        System.out.printf(Locale.ROOT, "wrote %s (bitsandbytes %s, blocks of 64, %s) in %.1fs%n", output, type.jsonName(),
                doubleQuant ? "double-quantized absmax" : "float32 absmax", (System.nanoTime() - start) / 1e9);
        return 0;
    }

    static String computeDtype(DType d) {
        return d == DType.F16 ? "float16" : d == DType.F32 ? "float32" : "bfloat16";
    }
}
