package dev.calq.formats.tensor;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Drops the resident pages of a memory-mapped tensor once a job has read it for the last time, so that streaming a
 * model tensor by tensor (convert) keeps its RSS near one tensor instead of growing to the whole file. The pages stay
 * in the OS page cache and a later read faults them back in, so this changes memory use, never results. Linux
 * madvise(MADV_DONTNEED) through the FFM linker; elsewhere, or for heap segments, it does nothing.
 */
public final class MappedPages {
    private static final int MADV_DONTNEED = 4;
    private static final long PAGE = 4096;
    private static final MethodHandle MADVISE = lookup();

    private MappedPages() {}

    private static MethodHandle lookup() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) return null;
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("madvise").map(a -> linker.downcallHandle(a,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null; // no native access: keep the pages, which is only a memory cost
        }
    }

    /** Releases the whole pages inside {@code segment} when it is a native (mapped) segment; true when it did. */
    public static boolean release(MemorySegment segment) {
        if (MADVISE == null || !segment.isNative() || segment.byteSize() == 0) return false;
        long start = (segment.address() + PAGE - 1) & -PAGE, end = (segment.address() + segment.byteSize()) & -PAGE;
        if (end <= start) return false;
        try {
            return (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, MADV_DONTNEED) == 0;
        } catch (Throwable e) {
            return false;
        }
    }
}
