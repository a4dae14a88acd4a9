package dev.calq.awq;

import dev.calq.calibration.model.Projection;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * AWQ for one decoder layer, in the references' order: search the scales of all four groups on the layer as it came
 * (each group's search sees the unscaled weights and inputs), fold them all in, then run the clip search on the scaled
 * weights and scaled cached inputs. Afterwards the block holds the scaled, clipped float weights and the scaled norms:
 * quantize its seven projections with the shared quantizer and write them, with the norms, to the checkpoint.
 */
public final class AwqLayerSearch {
    private AwqLayerSearch() {}

    /** What the search chose for one layer, and how long it took. */
    public record Report(int layer, List<ScaleChoice> scales, List<ClipSearch.ClipResult> clips, double scaleSeconds,
                         double clipSeconds, long cachedBytes) {
        /** The chosen ratio per group (id: no scaling won) with its error against plain rounding's, and the times. */
        public String line() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "layer %d: scales %.1fs, clip %.1fs;", layer, scaleSeconds, clipSeconds));
            for (ScaleChoice s : scales)
                sb.append(String.format(Locale.ROOT, " %s %s (%.3g vs %.3g)", s.group(),
                        s.identity() ? "id" : String.format(Locale.ROOT, "r=%.2f", s.ratio()), s.error(), s.identityError()));
            return sb.toString();
        }
    }

    public static Report run(AwqBlock block, LayerInputs inputs, WeightQuantizer quantizer, AwqConfig config) {
        long t0 = System.nanoTime();
        List<ScaleChoice> choices = new ArrayList<>();
        for (ScalingGroup g : ScalingGroup.values()) {
            if (!inputs.has(g.site())) throw new IllegalStateException("layer " + inputs.layer() + ": no inputs cached for " + g.site());
            ScaleChoice c = ScaleSearch.search(block, inputs, g, quantizer, config);
            if (c != null) choices.add(c);
        }
        for (ScaleChoice c : choices) ScaleFolding.apply(block, inputs, c);
        long t1 = System.nanoTime();
        List<ClipSearch.ClipResult> clips = new ArrayList<>();
        if (config.clip()) {
            for (Projection p : ClipSearch.CLIPPED) clips.add(ClipSearch.clip(block, inputs, p, quantizer, config));
        }
        long t2 = System.nanoTime();
        return new Report(inputs.layer(), choices, clips, (t1 - t0) / 1e9, (t2 - t1) / 1e9, inputs.bytes());
    }
}
