package dev.calq.formats.gguf.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.calq.formats.gguf.mix.MixChooser;
import dev.calq.formats.gguf.mix.QuantMix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GgufConverter.dryRun plans exactly what convert writes, and writes nothing. */
class GgufDryRunTest {
    @TempDir Path dir;

    @Test
    void dryRunMatchesTheWrittenFile() throws Exception {
        for (boolean tied : new boolean[] {false, true}) {
            Path hf = dir.resolve("hf-" + tied);
            TinyHfModel.write(hf, "LlamaForCausalLM", tied);
            for (QuantMix mix : List.of(QuantMix.Q4_K_M, QuantMix.Q8_0, QuantMix.IQ4_XS, QuantMix.F16)) {
                Path out = dir.resolve(mix + "-" + tied + ".gguf");
                MixChooser planChooser = GgufConverter.mixChooser(hf, mix, List.of(), false);
                GgufConverter.Result plan = GgufConverter.dryRun(hf, out, planChooser);
                assertFalse(Files.exists(out));
                GgufConverter.Result written = GgufConverter.convert(hf, out, GgufConverter.mixChooser(hf, mix, List.of(), false), null, false);
                assertEquals(Files.size(out), plan.fileBytes(), mix + " tied=" + tied);
                assertEquals(written.fileBytes(), plan.fileBytes());
                assertEquals(written.tensors().size(), plan.tensors().size());
                for (int i = 0; i < plan.tensors().size(); i++) {
                    assertEquals(written.tensors().get(i).name(), plan.tensors().get(i).name());
                    assertEquals(written.tensors().get(i).type(), plan.tensors().get(i).type());
                    assertEquals(written.tensors().get(i).bytes(), plan.tensors().get(i).bytes());
                }
            }
        }
    }
}
