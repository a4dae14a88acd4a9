package dev.calq.formats.gguf.quant;

/** F16: IEEE half floats, rounded to nearest even as ggml's fp32-to-fp16 conversion does. */
final class F16Codec extends HalfCodec {
    F16Codec() { super(GgmlType.F16); }

    @Override
    short toHalf(float v) { return Float.floatToFloat16(v); }

    @Override
    float fromHalf(short h) { return Float.float16ToFloat(h); }
}
