package dev.calq.formats.gguf.quant;

import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;
import dev.calq.formats.Parallel;

/** Entry point: the codec of each supported ggml type, and whole-tensor quantization spread over all cores. */
public final class Quantizers {
    private static final Map<GgmlType, QuantCodec> CODECS = new EnumMap<>(GgmlType.class);

    static {
        for (QuantCodec c : new QuantCodec[] {
                new F32Codec(), new F16Codec(), new BF16Codec(), new Q8_0Codec(), new Q4_0Codec(), new Q4_1Codec(),
                new Q5_0Codec(), new Q5_1Codec(), new Q2_KCodec(), new Q3_KCodec(), new Q4_KCodec(), new Q5_KCodec(),
                new Q6_KCodec(), new IQ4_NLCodec(), new IQ4_XSCodec(), new IQ2_XXSCodec(), new IQ3_XXSCodec(), new IQ2_XSCodec(), new IQ2_SCodec(), new IQ3_SCodec(), new IQ1_SCodec(), new IQ1_MCodec()}) {
            CODECS.put(c.type(), c);
        }
    }

    /** Rows handed to one task: big enough to amortise scheduling, small enough to balance two cores. */
    private static final int MIN_ELEMENTS_PER_TASK = 1 << 16;

    private Quantizers() {}

    /** Whether calq can encode and decode this type. */
    public static boolean supports(GgmlType type) { return CODECS.containsKey(type); }

    /** Whether the type's quantizer cannot run without importance weights (ggml asserts on them). */
    public static boolean needsImportance(GgmlType type) {
        return type == GgmlType.IQ2_XXS || type == GgmlType.IQ2_XS || type == GgmlType.IQ1_S;
    }

    /** Whether llama-quantize refuses to write the type without an importance matrix (tensor_requires_imatrix). */
    public static boolean refusedWithoutImportance(GgmlType type) {
        return switch (type) {
            case IQ3_XXS, IQ2_XXS, IQ2_XS, IQ2_S, IQ1_M, IQ1_S -> true;
            default -> false;
        };
    }

    /** The codec of a type; throws IllegalArgumentException for types calq does not encode. */
    public static QuantCodec codec(GgmlType type) {
        QuantCodec c = CODECS.get(type);
        if (c == null) throw new IllegalArgumentException("calq cannot encode ggml type " + type.ggmlName());
        return c;
    }

    /** Whether GPTQ can run inside this type (its codec is split into scale choice and coding under fixed scales). */
    public static boolean hasBlockGrid(GgmlType type) { return CODECS.get(type) instanceof BlockGrid; }

    /** The scale-choice / fixed-grid seam of a block type; throws IllegalArgumentException for types without one. */
    public static BlockGrid blockGrid(GgmlType type) {
        if (CODECS.get(type) instanceof BlockGrid g) return g;
        throw new IllegalArgumentException("GPTQ cannot run inside ggml type " + type.ggmlName());
    }

    /** The codebook of each IQ1-IQ3 type; its grid (and the search tables) are built on first use. */
    private static final Map<GgmlType, IqGrid.Book> BOOKS = Map.of(GgmlType.IQ2_XXS, IqGrid.Book.IQ2XXS, GgmlType.IQ2_XS, IqGrid.Book.IQ2XS,
            GgmlType.IQ2_S, IqGrid.Book.IQ2S, GgmlType.IQ3_XXS, IqGrid.Book.IQ3XXS, GgmlType.IQ3_S, IqGrid.Book.IQ3S,
            GgmlType.IQ1_S, IqGrid.Book.IQ1S, GgmlType.IQ1_M, IqGrid.Book.IQ1S);
    private static final Map<GgmlType, PointGrid> CODEBOOKS = new EnumMap<>(GgmlType.class);

    /** Whether vector GPTQ can run inside this type (a codebook type whose grid points span several weights). */
    public static boolean hasPointGrid(GgmlType type) { return BOOKS.containsKey(type); }

    /** The header-choice / point-choice seam of a codebook type; throws IllegalArgumentException for other types. */
    public static synchronized PointGrid pointGrid(GgmlType type) {
        IqGrid.Book book = BOOKS.get(type);
        if (book == null) throw new IllegalArgumentException("vector GPTQ cannot run inside ggml type " + type.ggmlName());
        return CODEBOOKS.computeIfAbsent(type, t -> new IqPointGrid(t, (RowCodec) CODECS.get(t), book));
    }

    /**
     * Quantizes {@code nrows} rows of {@code ne0} floats into {@code dst} at {@code dstOff}, rows spread over calq's
     * one thread pool ({@link Parallel}). {@code importance} is null or one weight per column (length ne0).
     */
    public static void quantize(GgmlType type, float[] data, int nrows, int ne0, float[] importance, MemorySegment dst, long dstOff) {
        if ((long) nrows * ne0 > data.length) {
            throw new IllegalArgumentException(nrows + " rows of " + ne0 + " need more than the " + data.length + " floats given");
        }
        QuantCodec codec = codec(type);
        long rowBytes = type.rowBytes(ne0);
        int rowsPerTask = Math.max(1, MIN_ELEMENTS_PER_TASK / Math.max(1, ne0));
        int tasks = (nrows + rowsPerTask - 1) / rowsPerTask;
        Parallel.forRange(tasks, 1, (from, to) -> {
            for (int t = from; t < to; t++) {
                int r0 = t * rowsPerTask;
                int n = Math.min(rowsPerTask, nrows - r0);
                codec.quantize(data, r0 * ne0, n, ne0, importance, dst, dstOff + r0 * rowBytes);
            }
        });
    }

    /** Quantizes a whole tensor into a new byte array of {@code nrows * rowBytes(ne0)} bytes. */
    public static byte[] quantize(GgmlType type, float[] data, int nrows, int ne0, float[] importance) {
        byte[] out = new byte[Math.toIntExact(nrows * type.rowBytes(ne0))];
        quantize(type, data, nrows, ne0, importance, MemorySegment.ofArray(out), 0);
        return out;
    }

    /** Dequantizes {@code nrows} rows of {@code ne0} elements of {@code type} into a new float array. */
    public static float[] dequantize(GgmlType type, MemorySegment src, long srcOff, int nrows, int ne0) {
        float[] out = new float[Math.multiplyExact(nrows, ne0)];
        codec(type).dequantize(src, srcOff, nrows, ne0, out, 0);
        return out;
    }

    /** Dequantizes a byte array holding {@code nrows} rows of {@code ne0} elements. */
    public static float[] dequantize(GgmlType type, byte[] src, int nrows, int ne0) {
        return dequantize(type, MemorySegment.ofArray(src), 0, nrows, ne0);
    }

}
