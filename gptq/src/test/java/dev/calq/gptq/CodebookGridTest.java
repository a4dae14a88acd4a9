package dev.calq.gptq;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.quant.CodebookGrid;
import dev.calq.calibration.quant.Rtn;
import dev.calq.calibration.quant.GridConfig;
import dev.calq.formats.quantized.QuantizedLinear;
import dev.calq.formats.bnb.Bnb4BitLayer;
import dev.calq.formats.bnb.Bnb4BitType;
import dev.calq.formats.tensor.DType;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** GPTQ and RTN onto bitsandbytes' NF4/FP4 code tables through {@link CodebookGrid}. */
class CodebookGridTest {
    static final GptqConfig NF4_BLOCKS = new GptqConfig(new GridConfig(4, 64, true, false), false, false, 0.01, 128, false);

    @Test
    void rtnOnTheTableIsBitsandbytesQuantize4bit() {
        Random rnd = new Random(31);
        int out = 24, in = 192;
        float[] w = TestData.gaussian(rnd, out * in, 0.03);
        for (Bnb4BitType t : Bnb4BitType.values()) {
            QuantizedLinear q = Rtn.quantize("w", w, out, in, NF4_BLOCKS.grid(), new CodebookGrid(t.code()));
            Bnb4BitLayer ref = Bnb4BitLayer.quantize(w, out, in, t, DType.F32);
            assertArrayEquals(ref.codes(), q.codes(), t.toString());
            for (int r = 0; r < out; r++)
                for (int g = 0; g < in / 64; g++) assertEquals(ref.absmax()[r * (in / 64) + g], q.scales()[g * out + r]);
            assertArrayEquals(ref.dequantize(), q.dequantize(), t.toString());
        }
    }

    @Test
    void codebookLayersDequantizeThroughTheTable() {
        float[] table = Bnb4BitType.NF4.code();
        QuantizedLinear q = new QuantizedLinear(1, 2, 4, -1, true, new int[] {0, 15}, new float[] {0.5f}, new int[] {0}, new int[] {0, 0}, table);
        assertArrayEquals(new float[] {-0.5f, 0.5f}, q.dequantize());
    }

    @Test
    void gptqOntoNf4LowersTheOutputErrorBelowPlainNf4() {
        Random rnd = new Random(32);
        int out = 64, in = 256, tokens = 600;
        float[] w = TestData.gaussian(rnd, out * in, 0.05);
        float[] x = TestData.correlated(rnd, tokens, in);
        double[] h = TestData.hessian(x, tokens, in);
        CodebookGrid grid = new CodebookGrid(Bnb4BitType.NF4.code());
        QuantizedLinear rtn = Rtn.quantize("w", w, out, in, NF4_BLOCKS.grid(), grid);
        QuantizedLinear gptq = GptqQuantizer.quantize("w", w, out, in, InverseHessian.prepare("h", h, in, NF4_BLOCKS), NF4_BLOCKS, grid).quantized();
        assertNotNull(gptq.codebook());
        for (int c : gptq.codes()) assertTrue(c >= 0 && c < 16);
        double eRtn = TestData.outputError(w, rtn.dequantize(), out, in, x, tokens);
        double eGptq = TestData.outputError(w, gptq.dequantize(), out, in, x, tokens);
        assertTrue(eGptq < 0.8 * eRtn, "GPTQ " + eGptq + " vs RTN " + eRtn);
        // Each block's scale is the absmax of the weights as updated when its block started, so |value| <= scale holds.
        float[] dq = gptq.dequantize();
        for (int r = 0; r < out; r++)
            for (int c = 0; c < in; c++) assertTrue(Math.abs(dq[r * in + c]) <= gptq.scales()[(c / 64) * out + r] + 1e-7f);
    }
}
