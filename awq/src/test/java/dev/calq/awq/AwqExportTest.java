package dev.calq.awq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.calq.calibration.quant.QuantGrid;
import dev.calq.formats.quantized.QuantizedLinear;
import dev.calq.formats.CalqException;
import dev.calq.formats.awq.AwqLinear;
import dev.calq.formats.tensor.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AwqExportTest {
    private static QuantizedLinear random(int out, int in, int gs, int[] gIdx, Random rnd) {
        int groups = in / gs;
        int[] codes = new int[out * in], zeros = new int[groups * out];
        float[] scales = new float[groups * out];
        for (int i = 0; i < codes.length; i++) codes[i] = rnd.nextInt(16);
        for (int i = 0; i < zeros.length; i++) { zeros[i] = rnd.nextInt(16); scales[i] = QuantGrid.toHalf(rnd.nextFloat() * 0.1f); }
        return new QuantizedLinear(out, in, 4, gs, false, codes, scales, zeros, gIdx);
    }

    @Test
    void awqLinearStandsForTheSameWeights() {
        Random rnd = new Random(51);
        int out = 16, in = 24, gs = 8;
        int[] gIdx = new int[in];
        for (int c = 0; c < in; c++) gIdx[c] = c / gs;
        QuantizedLinear q = random(out, in, gs, gIdx, rnd);
        AwqLinear a = AwqExport.toAwqLinear("model.layers.0.mlp.up_proj", q, null);
        assertArrayEquals(q.dequantize(), a.dequantize());
        gIdx[0] = 1;
        QuantizedLinear actOrder = random(out, in, gs, gIdx, rnd);
        assertThrows(CalqException.class, () -> AwqExport.toAwqLinear("p", actOrder, null));
    }

    @Test
    void scaledTensorsCarryTheBlockNormsAndRowScaledBiases() {
        SyntheticBlock b = new SyntheticBlock(16, 2, 2, 8, 24, true, 52);
        List<Tensor> t = AwqExport.scaledTensors(3, b, true);
        assertEquals(List.of("model.layers.3.input_layernorm.weight", "model.layers.3.post_attention_layernorm.weight",
                "model.layers.3.self_attn.v_proj.bias"), t.stream().map(Tensor::name).toList());
        assertArrayEquals(b.norm1, t.get(0).toFloatArray());
        assertArrayEquals(b.bias(dev.calq.calibration.model.Projection.V), t.get(2).toFloatArray());
        assertEquals(2, AwqExport.scaledTensors(3, b, false).size());
    }
}
