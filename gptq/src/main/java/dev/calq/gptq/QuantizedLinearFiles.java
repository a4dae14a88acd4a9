package dev.calq.gptq;

import dev.calq.calibration.model.Projection;
import dev.calq.formats.quantized.QuantizedLinear;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A finished layer's quantized projections and errors in a checkpoint folder (for --resume); exact round trip. */
final class QuantizedLinearFiles {
    private static final String FILE = "gptq-layer.bin";

    record Loaded(Map<String, QuantizedLinear> layers, List<GptqMethod.LayerError> errors) {}

    private QuantizedLinearFiles() {}

    static void save(Path dir, Map<String, QuantizedLinear> layers, List<GptqMethod.LayerError> errors) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(dir.resolve(FILE))))) {
            out.writeInt(layers.size());
            for (Map.Entry<String, QuantizedLinear> e : layers.entrySet()) {
                QuantizedLinear q = e.getValue();
                out.writeUTF(e.getKey());
                out.writeInt(q.out());
                out.writeInt(q.in());
                out.writeInt(q.bits());
                out.writeInt(q.groupSize());
                out.writeBoolean(q.sym());
                writeInts(out, q.codes());
                out.writeInt(q.scales().length);
                for (float s : q.scales()) out.writeFloat(s);
                writeInts(out, q.zeros());
                writeInts(out, q.gIdx());
                out.writeInt(q.codebook() == null ? -1 : q.codebook().length);
                if (q.codebook() != null) for (float c : q.codebook()) out.writeFloat(c);
            }
            out.writeInt(errors.size());
            for (GptqMethod.LayerError e : errors) {
                out.writeInt(e.layer());
                out.writeUTF(e.projection().name());
                out.writeDouble(e.gptq());
                out.writeDouble(e.rtn());
                out.writeDouble(e.dampUsed());
                out.writeInt(e.retries());
            }
        }
    }

    static Loaded load(Path dir) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(dir.resolve(FILE))))) {
            Map<String, QuantizedLinear> layers = new LinkedHashMap<>();
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                int out = in.readInt(), inF = in.readInt(), bits = in.readInt(), gs = in.readInt();
                boolean sym = in.readBoolean();
                int[] codes = readInts(in);
                float[] scales = new float[in.readInt()];
                for (int k = 0; k < scales.length; k++) scales[k] = in.readFloat();
                int[] zeros = readInts(in);
                int[] gIdx = readInts(in);
                int cbLen = in.readInt();
                float[] codebook = cbLen < 0 ? null : new float[cbLen];
                for (int k = 0; k < cbLen; k++) codebook[k] = in.readFloat();
                layers.put(name, new QuantizedLinear(out, inF, bits, gs, sym, codes, scales, zeros, gIdx, codebook));
            }
            List<GptqMethod.LayerError> errors = new ArrayList<>();
            int m = in.readInt();
            for (int i = 0; i < m; i++)
                errors.add(new GptqMethod.LayerError(in.readInt(), Projection.valueOf(in.readUTF()), in.readDouble(), in.readDouble(),
                        in.readDouble(), in.readInt()));
            return new Loaded(layers, errors);
        }
    }

    private static void writeInts(DataOutputStream out, int[] v) throws IOException {
        out.writeInt(v.length);
        for (int x : v) out.writeInt(x);
    }

    private static int[] readInts(DataInputStream in) throws IOException {
        int[] v = new int[in.readInt()];
        for (int i = 0; i < v.length; i++) v[i] = in.readInt();
        return v;
    }
}
