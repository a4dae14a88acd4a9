package dev.calq.gptq;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.model.LlamaModel;
import dev.calq.calibration.model.Projection;
import dev.calq.calibration.quant.GridConfig;
import dev.calq.formats.quantized.QuantizedLinear;
import dev.calq.calibration.quant.Rtn;

/** RTN needs no data: without --calibration every projection is rounded directly (no error table). */
public final class RtnWithoutCalibration {
    private RtnWithoutCalibration() {}

    public static void quantizeAll(LlamaModel model, GridConfig cfg, GptqMethod sink) {
        for (int l = 0; l < model.numLayers(); l++)
            for (InputSite site : InputSite.values())
                for (Projection p : site.projections()) {
                    QuantizedLinear q = Rtn.quantize(p.weightName(l), model.weight(l, p), model.outFeatures(p), model.inFeatures(p), cfg, sink.grid());
                    sink.quantized().put(p.weightName(l), q);
                }
    }
}
