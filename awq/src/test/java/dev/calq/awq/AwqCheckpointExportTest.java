package dev.calq.awq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.calq.calibration.model.Projection;
import dev.calq.calibration.quant.GridConfig;
import dev.calq.formats.quantized.QuantizedLinear;
import dev.calq.formats.awq.AwqCheckpoint;
import dev.calq.formats.awq.AwqCheckpointWriter;
import dev.calq.formats.awq.AwqQuantizationConfig;
import dev.calq.formats.gptq.GptqCheckpoint;
import dev.calq.formats.safetensors.SafetensorsModel;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.OverlayTensorSource;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.gptq.GptqCheckpointWriter;
import dev.calq.formats.gptq.GptqQuantizationConfig;
import dev.calq.calibration.quant.Rtn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AWQ's results written as an AWQ GEMM and as a GPTQ checkpoint: the scaled weights, norms and biases are what lands. */
class AwqCheckpointExportTest {
    private static final GridConfig CFG = GridConfig.defaults().withGroupSize(16).withSym(false);

    @TempDir Path tmp;

    private Path sourceFolder(SyntheticBlock b) throws Exception {
        Path dir = tmp.resolve("src");
        try (SafetensorsWriter w = SafetensorsWriter.folder(dir, SafetensorsWriter.PT_METADATA, Long.MAX_VALUE)) {
            for (Projection p : Projection.values())
                w.add(Tensor.ofFloats(p.weightName(0), b.weight(p).clone(), b.outFeatures(p), b.inFeatures(p)));
            w.add(Tensor.ofFloats(Projection.V.biasName(0), b.bias(Projection.V).clone(), b.outFeatures(Projection.V)));
            w.add(Tensor.ofFloats("model.layers.0.input_layernorm.weight", b.norm1.clone(), b.hidden));
            w.add(Tensor.ofFloats("model.layers.0.post_attention_layernorm.weight", b.norm2.clone(), b.hidden));
            w.finish();
        }
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\"}");
        return dir;
    }

    @Test
    void bothFormatsHoldTheScaledLayer() throws Exception {
        SyntheticBlock block = new SyntheticBlock(32, 4, 2, 8, 64, true, 81);
        Path src = sourceFolder(block);
        LayerInputs cache = Fixtures.capture(block, 2, 10, 20, 82);
        AwqLayerSearch.run(block, cache, new GridQuantizer(CFG), AwqConfig.DEFAULT.withGqaOutputScaling(true));
        Map<Projection, QuantizedLinear> q = new EnumMap<>(Projection.class);
        for (Projection p : Projection.values()) q.put(p, Rtn.quantize(block.weight(p), block.outFeatures(p), block.inFeatures(p), CFG));

        Path awqOut = tmp.resolve("awq"), gptqOut = tmp.resolve("gptq");
        try (SafetensorsModel source = SafetensorsModel.open(src)) {
            AwqCheckpointWriter aw = new AwqCheckpointWriter(src, source, new AwqQuantizationConfig(4, 16, true));
            for (Projection p : Projection.values()) {
                String prefix = p.weightName(0).substring(0, p.weightName(0).length() - ".weight".length());
                aw.add(AwqExport.toAwqLinear(prefix, q.get(p), block.bias(p)));
            }
            for (Tensor t : AwqExport.scaledTensors(0, block, false)) aw.replace(t);
            aw.write(awqOut, false, SafetensorsWriter.DEFAULT_SHARD_BYTES);

            OverlayTensorSource scaled = new OverlayTensorSource(source);
            for (Tensor t : AwqExport.scaledTensors(0, block, true)) scaled.replace(t);
            Map<String, QuantizedLinear> byName = new LinkedHashMap<>();
            for (Projection p : Projection.values()) byName.put(p.weightName(0), q.get(p));
            GptqCheckpointWriter.write(src, scaled, byName,
                    new GptqQuantizationConfig(CFG.bits(), CFG.groupSize(), false, CFG.sym(), 0.01, false, true, GptqQuantizationConfig.V1), gptqOut, false);
        }
        float[] vBias16 = block.bias(Projection.V).clone();
        for (int i = 0; i < vBias16.length; i++) vBias16[i] = Float.float16ToFloat(Float.floatToFloat16(vBias16[i]));
        try (AwqCheckpoint a = AwqCheckpoint.open(awqOut); GptqCheckpoint g = GptqCheckpoint.open(gptqOut);
             SafetensorsModel source = SafetensorsModel.open(src)) {
            for (Projection p : Projection.values()) {
                assertArrayEquals(q.get(p).dequantize(), a.get(p.weightName(0)).toFloatArray(), p.name());
                assertArrayEquals(q.get(p).dequantize(), g.get(p.weightName(0)).toFloatArray(), p.name());
            }
            for (var s : new String[] {"input_layernorm", "post_attention_layernorm"}) {
                String name = "model.layers.0." + s + ".weight";
                float[] want = s.startsWith("input") ? block.norm1 : block.norm2;
                assertArrayEquals(want, a.get(name).toFloatArray(), s);
                assertArrayEquals(want, g.get(name).toFloatArray(), s);
                assertFalse(java.util.Arrays.equals(want, source.get(name).toFloatArray()), s + " was scaled");
            }
            assertArrayEquals(vBias16, a.get(Projection.V.biasName(0)).toFloatArray());
            assertArrayEquals(block.bias(Projection.V), g.get(Projection.V.biasName(0)).toFloatArray());
            assertFalse(java.util.Arrays.equals(block.bias(Projection.V), source.get(Projection.V.biasName(0)).toFloatArray()));
            assertEquals(7, a.quantizedModules().size());
        }
    }
}
