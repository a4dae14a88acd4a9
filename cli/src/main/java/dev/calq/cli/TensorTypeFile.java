package dev.calq.cli;

import dev.calq.formats.CalqException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** llama-quantize's --tensor-type-file: REGEX=TYPE overrides separated by any whitespace, in order. */
final class TensorTypeFile {
    private TensorTypeFile() {}

    static List<String> read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CalqException(file + ": cannot read the tensor-type file: " + e.getMessage());
        }
        List<String> out = new ArrayList<>();
        for (String s : text.trim().split("\\s+")) {
            if (s.isEmpty()) continue;
            if (s.indexOf('=') <= 0) throw new CalqException(file + ": '" + s + "' is not REGEX=TYPE");
            out.add(s);
        }
        return out;
    }
}
