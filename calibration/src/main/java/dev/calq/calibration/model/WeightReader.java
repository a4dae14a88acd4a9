package dev.calq.calibration.model;

import dev.calq.formats.CalqException;
import dev.calq.formats.tensor.DType;
import dev.calq.formats.tensor.Tensor;
import dev.calq.formats.tensor.TensorSource;
import java.util.Arrays;

/**
 * Fetches a model's tensors by Hugging Face name and checks each against the shape the config implies, so that
 * a checkpoint that does not match its config.json fails at load time with one line naming the tensor.
 */
final class WeightReader {
    private final TensorSource source;
    private final String origin;

    WeightReader(TensorSource source, String origin) {
        this.source = source;
        this.origin = origin;
    }

    boolean contains(String name) { return source.contains(name); }

    /** The tensor, which must exist, be a float type and have exactly {@code shape}. */
    Tensor tensor(String name, long... shape) {
        if (!source.contains(name))
            throw new CalqException(origin + ": tensor " + name + " is missing (the config.json expects it)");
        Tensor t = source.get(name);
        if (t.dtype() != DType.F32 && t.dtype() != DType.F16 && t.dtype() != DType.BF16)
            throw new CalqException(origin + ": tensor " + name + " has type " + t.dtype() + "; expected F32, F16 or BF16");
        if (!Arrays.equals(t.shape(), shape))
            throw new CalqException(origin + ": tensor " + name + " has shape " + Arrays.toString(t.shape())
                    + " but config.json implies " + Arrays.toString(shape));
        dev.calq.formats.tensor.Finite.check(t, origin);
        // The scan read every page of a mapped tensor; give them back (a pass reads them again from the page cache),
        // or RSS starts at the whole model before the first layer runs.
        dev.calq.formats.tensor.MappedPages.release(t.data());
        return t;
    }

    float[] floats(String name, long... shape) { return tensor(name, shape).toFloatArray(); }

    /** A bias if the checkpoint has one (checked against {@code length}), else null. */
    float[] optionalBias(String name, int length) {
        return source.contains(name) ? floats(name, length) : null;
    }

    String origin() { return origin; }
}
