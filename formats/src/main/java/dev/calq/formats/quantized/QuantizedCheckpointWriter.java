package dev.calq.formats.quantized;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;
import dev.calq.formats.safetensors.SafetensorsWriter;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The format-independent part of writing a quantized Hugging Face checkpoint (GPTQ, AWQ): every tensor of the
 * source is copied unchanged except the replaced ones, whose replacement tensors (qweight, qzeros, scales, ...) are
 * produced on demand; config.json gets a "quantization_config"; tokenizer and generation files are copied; the
 * weights are sharded with an index above the size limit. Everything is written into a temporary sibling folder
 * that is renamed onto the output only when complete, so a failure never leaves a half-written checkpoint.
 */
public final class QuantizedCheckpointWriter {
    /** Files beside the weights that a loader of the quantized model still needs. */
    static final List<String> COPIED_PREFIXES = List.of("tokenizer", "special_tokens_map", "added_tokens", "vocab.",
            "merges.txt", "generation_config.json", "chat_template", "preprocessor_config.json");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private QuantizedCheckpointWriter() {}

    /**
     * What to write. {@code replacements} maps a source tensor name (e.g. "model.layers.0.mlp.up_proj.weight") to
     * the tensors written instead of it; {@code extraJsonFiles} are further files written as JSON (e.g.
     * quantize_config.json).
     */
    public record Plan(Path modelDir, TensorSource source, Map<String, Supplier<List<Tensor>>> replacements,
                       ObjectNode quantizationConfig, Map<String, JsonNode> extraJsonFiles, long maxShardBytes) {}

    /** Writes {@code plan} into {@code outDir}; refuses to overwrite an existing output unless {@code overwrite}. */
    public static void write(Plan plan, Path outDir, boolean overwrite) {
        AtomicOutput.checkTarget(outDir, overwrite, plan.modelDir());
        for (String name : plan.replacements().keySet())
            if (!plan.source().contains(name)) throw CalqException.file(plan.modelDir(), "has no tensor " + name + " to quantize");
        Path temp = AtomicOutput.tempSibling(outDir);
        try {
            Files.createDirectories(temp);
            AtomicOutput.markAsOutput(temp);
            writeConfig(plan, temp);
            copySideFiles(plan.modelDir(), temp);
            for (var e : plan.extraJsonFiles().entrySet()) JSON.writeValue(temp.resolve(e.getKey()).toFile(), e.getValue());
            writeWeights(plan, temp);
            AtomicOutput.commit(temp, outDir, overwrite);
        } catch (IOException e) {
            AtomicOutput.discard(temp);
            throw CalqException.file(outDir, "cannot write the checkpoint: " + e.getMessage());
        } catch (RuntimeException e) {
            AtomicOutput.discard(temp);
            throw e;
        }
    }

    private static void writeConfig(Plan plan, Path temp) throws IOException {
        Path src = plan.modelDir().resolve("config.json");
        if (!Files.isRegularFile(src)) throw CalqException.file(src, "not found (a Hugging Face model folder needs config.json)");
        JsonNode cfg;
        try {
            cfg = new ObjectMapper().readTree(src.toFile());
        } catch (IOException e) {
            throw CalqException.file(src, "is not valid JSON: " + e.getMessage());
        }
        if (!(cfg instanceof ObjectNode obj)) throw CalqException.file(src, "is not a JSON object");
        obj.set("quantization_config", plan.quantizationConfig());
        JSON.writeValue(temp.resolve("config.json").toFile(), obj);
    }

    private static void copySideFiles(Path modelDir, Path temp) throws IOException {
        try (Stream<Path> files = Files.list(modelDir)) {
            for (Path p : files.sorted().toList()) {
                String name = p.getFileName().toString();
                if (!Files.isRegularFile(p)) continue;
                if (COPIED_PREFIXES.stream().anyMatch(name::startsWith)) {
                    Path copy = Files.copy(p, temp.resolve(name));
                    copy.toFile().setWritable(true, true); // the copy keeps a read-only source's mode otherwise
                }
            }
        }
    }

    private static void writeWeights(Plan plan, Path temp) {
        // Source order (sorted for determinism), each replaced tensor's pieces in place of it.
        Set<String> names = new TreeSet<>(plan.source().names());
        try (SafetensorsWriter w = SafetensorsWriter.folder(temp, SafetensorsWriter.PT_METADATA, plan.maxShardBytes())) {
            for (String name : names) {
                Supplier<List<Tensor>> rep = plan.replacements().get(name);
                if (rep == null) {
                    w.add(plan.source().get(name));
                    continue;
                }
                for (Tensor t : rep.get()) w.add(t);
            }
            w.finish();
        }
    }
}
