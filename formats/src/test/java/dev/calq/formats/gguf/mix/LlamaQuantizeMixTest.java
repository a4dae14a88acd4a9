package dev.calq.formats.gguf.mix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.calq.formats.SharedData;
import dev.calq.formats.gguf.llama.GgufConverter;
import dev.calq.formats.gguf.quant.GgmlType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** calq's per-tensor choice against llama-quantize's recorded one (see resources/llama-quantize-mixes/README.md). */
class LlamaQuantizeMixTest {
    /** One recorded model: hyperparameters, tensors in llama-quantize's order, and its cases. */
    record Recording(String arch, int layers, int heads, int kvHeads, Map<String, long[]> tensors, List<Case> cases) {}

    /** One llama-quantize run. */
    record Case(String mix, boolean imatrix, boolean needsImatrix, List<String> args, List<String> types) {
        MixOptions options() {
            List<String> tensorTypes = new ArrayList<>();
            boolean pure = false;
            String output = null, embedding = null;
            for (int i = 0; i < args.size(); i++) {
                switch (args.get(i)) {
                    case "--pure" -> pure = true;
                    case "--output-tensor-type" -> output = args.get(++i);
                    case "--token-embedding-type" -> embedding = args.get(++i);
                    case "--tensor-type" -> tensorTypes.add(args.get(++i));
                    default -> throw new IllegalArgumentException("unexpected recorded option " + args.get(i));
                }
            }
            return MixOptions.parse(tensorTypes, pure, output, embedding);
        }

        @Override public String toString() { return mix + (imatrix ? " imatrix " : " ") + String.join(" ", args); }
    }

    static Recording read(String resource) {
        try (InputStream in = LlamaQuantizeMixTest.class.getResourceAsStream("/llama-quantize-mixes/" + resource);
             BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8))) {
            String[] hp = null;
            Map<String, long[]> tensors = new LinkedHashMap<>();
            List<Case> cases = new ArrayList<>();
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("#")) continue;
                String[] f = line.split("\t");
                switch (f[0]) {
                    case "hparams" -> hp = f;
                    case "tensor" -> tensors.put(f[1], Arrays.stream(f[2].split(",")).mapToLong(Long::parseLong).toArray());
                    case "case" -> cases.add(new Case(f[1], f[2].equals("1"), f[3].equals("1"),
                            f[4].equals("-") ? List.of() : List.of(f[4].split(" ")), List.of(f[5].split(","))));
                    default -> throw new IllegalStateException(resource + ": bad line " + line);
                }
            }
            return new Recording(hp[1], Integer.parseInt(hp[2]), Integer.parseInt(hp[3]), Integer.parseInt(hp[4]), tensors, cases);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** calq's types for one case, in the recording's tensor order. */
    static List<String> choose(Recording rec, Case c, List<Boolean> needsImatrix) {
        MixContext ctx = MixContext.forTensors(rec.tensors().keySet(), rec.arch(), rec.layers(), rec.heads(), rec.kvHeads(), c.imatrix());
        QuantMix mix = QuantMix.forName(c.mix());
        MixChooser chooser = new MixChooser(mix, ctx, c.options());
        List<String> out = new ArrayList<>();
        rec.tensors().forEach((name, ne) -> {
            GgmlType t = chooser.typeFor(name, ne);
            out.add(t.ggmlName());
            if (MixChooser.quantizable(name, ne) && MixChooser.requiresImatrix(name, t, mix)) needsImatrix.set(0, true);
        });
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tinyllama.tsv.gz", "gqa8-80l-tied.tsv.gz", "odd-24l.tsv.gz", "mha-40l.tsv.gz"})
    void everyMixChoosesWhatLlamaQuantizeChose(String resource) {
        Recording rec = read(resource);
        assertTrue(rec.cases().size() >= 2 * QuantMix.values().length, "every mix recorded, with and without an imatrix");
        List<String> names = new ArrayList<>(rec.tensors().keySet());
        for (Case c : rec.cases()) {
            List<Boolean> needs = new ArrayList<>(List.of(false));
            List<String> got = choose(rec, c, needs);
            for (int i = 0; i < names.size(); i++)
                assertEquals(c.types().get(i), got.get(i), resource + " " + c + ": " + names.get(i));
            if (!c.imatrix()) assertEquals(c.needsImatrix(), needs.getFirst(), resource + " " + c + ": needs an importance matrix");
        }
    }

    @Test
    void theSharedModelIsPlannedAsLlamaQuantizePlannedIt() {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        Recording rec = read("tinyllama.tsv.gz");
        List<String> names = new ArrayList<>(rec.tensors().keySet());
        Path model = SharedData.tinyLlama();
        // one full dry run (tokenizer metadata and all), then each case through the chooser calq builds for the folder
        GgufConverter.Result plan = GgufConverter.dryRun(model, Path.of("unused.gguf"), GgufConverter.mixChooser(model, QuantMix.IQ3_XS, MixOptions.NONE, true));
        assertEquals(names.size(), plan.tensors().size());
        for (Case c : rec.cases()) {
            MixChooser chooser = GgufConverter.mixChooser(model, QuantMix.forName(c.mix()), c.options(), c.imatrix());
            for (GgufConverter.ConvertedTensor t : plan.tensors()) {
                String expected = c.types().get(names.indexOf(t.name()));
                assertEquals(expected, chooser.typeFor(t.name(), t.ne()).ggmlName(), c + ": " + t.name());
                if (c.mix().equals("IQ3_XS") && c.imatrix() && c.args().isEmpty()) assertEquals(expected, t.type().ggmlName(), t.name());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tinyllama.tsv.gz"})
    void everyCalqMixIsRecorded(String resource) {
        List<String> recorded = read(resource).cases().stream().map(Case::mix).distinct().toList();
        for (QuantMix m : QuantMix.values()) assertTrue(recorded.contains(m.name()), m + " has llama-quantize data");
    }
}
