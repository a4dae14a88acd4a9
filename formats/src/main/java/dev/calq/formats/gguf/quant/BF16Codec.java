package dev.calq.formats.gguf.quant;

/** BF16: the top 16 bits of a float32, rounded to nearest even (NaNs kept, made quiet), as ggml does. */
final class BF16Codec extends HalfCodec {
    BF16Codec() { super(GgmlType.BF16); }

    @Override
    short toHalf(float v) { return QuantMath.floatToBf16(v); }

    @Override
    float fromHalf(short h) { return QuantMath.bf16ToFloat(h); }
}
