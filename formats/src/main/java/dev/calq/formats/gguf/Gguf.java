package dev.calq.formats.gguf;

/** Constants of the GGUF container shared by the reader and the writer. */
public final class Gguf {
    private Gguf() {}

    /** "GGUF" as a little-endian uint32. */
    public static final int MAGIC = 0x46554747;
    public static final int VERSION = 3;
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String KEY_ALIGNMENT = "general.alignment";
    /** ggml keeps at most 4 dims and names shorter than 64 bytes. */
    public static final int MAX_DIMS = 4;
    public static final int MAX_NAME_BYTES = 63;

    public static long pad(long offset, long alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }
}
