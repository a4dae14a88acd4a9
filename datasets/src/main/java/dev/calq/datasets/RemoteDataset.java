package dev.calq.datasets;

import dev.calq.formats.AtomicOutput;
import dev.calq.formats.CalqException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The named calibration sets that GPTQModel/AutoGPTQ and AutoAWQ users expect, at the public addresses those
 * tools read them from. A name is downloaded once into the cache ({@code $CALQ_CACHE}, else
 * {@code $XDG_CACHE_HOME/calq}, else {@code ~/.cache/calq}, under {@code datasets/}) and then read as a local
 * {@link CalibrationSource}. Offline, the download fails within the timeout with a message that says to pass a
 * local file instead; it never hangs (connect and first-response timeouts, and a stall watchdog on the body).
 */
public enum RemoteDataset {
    /** WikiText-2 raw, train split (GPTQ's "wikitext2"), from the zip llama.cpp's get-wikitext-2.sh fetches. */
    WIKITEXT2("https://huggingface.co/datasets/ggml-org/ci/resolve/main/wikitext-2-raw-v1.zip",
            "wikitext-2-raw/wiki.train.raw", "wiki.train.raw", CalibrationSource.Kind.WIKITEXT,
            "wikitext2", "wikitext-2", "wikitext"),
    /** The first shard of allenai/c4 "en" train, as GPTQ's datautils get_c4 reads it (JSON Lines, gzip). */
    C4("https://huggingface.co/datasets/allenai/c4/resolve/main/en/c4-train.00000-of-01024.json.gz",
            null, "c4-train.00000-of-01024.json.gz", CalibrationSource.Kind.JSONL,
            "c4", "allenai/c4"),
    /** AutoAWQ's default "pileval": mit-han-lab/pile-val-backup, validation (JSON Lines, zstd). */
    PILE_VAL("https://huggingface.co/datasets/mit-han-lab/pile-val-backup/resolve/main/val.jsonl.zst",
            null, "val.jsonl.zst", CalibrationSource.Kind.JSONL,
            "pile-val", "pileval", "pile", "mit-han-lab/pile-val-backup");

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

    public final URI url;
    private final String zipEntry;
    private final String fileName;
    private final CalibrationSource.Kind kind;
    private final List<String> names;

    RemoteDataset(String url, String zipEntry, String fileName, CalibrationSource.Kind kind, String... names) {
        this.url = URI.create(url);
        this.zipEntry = zipEntry;
        this.fileName = fileName;
        this.kind = kind;
        this.names = List.of(names);
    }

    /** The dataset a {@code --calibration} name stands for (case-insensitive), if any. */
    public static Optional<RemoteDataset> byName(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(d -> d.names.contains(s)).findFirst();
    }

    /** The accepted names, for messages. */
    public static String names() {
        return Arrays.stream(values()).map(d -> d.names.get(0)).collect(Collectors.joining(", "));
    }

    public String displayName() { return names.get(0); }

    public static Path defaultCacheDir() {
        String calq = System.getenv("CALQ_CACHE");
        if (calq != null && !calq.isBlank()) return Path.of(calq, "datasets");
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("calq").resolve("datasets");
    }

    /** The local copy, downloading it first when the cache has none. */
    public CalibrationSource fetch(Path cacheDir, Duration timeout) { return fetch(cacheDir, timeout, url); }

    CalibrationSource fetch(Path cacheDir, Duration timeout, URI from) {
        Path target = cacheDir.resolve(displayName()).resolve(fileName);
        if (!Files.isRegularFile(target)) download(from, target, timeout);
        return new CalibrationSource(kind, target, CalibrationSource.DEFAULT_TEXT_FIELD);
    }

    private void download(URI from, Path target, Duration timeout) {
        Path temp = null;
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(timeout)
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
            HttpRequest request = HttpRequest.newBuilder(from).timeout(timeout).GET().build();
            System.err.println("calq: downloading " + displayName() + " from " + from);
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) throw new IOException("HTTP " + response.statusCode());
                Files.createDirectories(target.getParent());
                temp = AtomicOutput.tempSibling(target);
                try (InputStream watched = new StallWatchdog(body, timeout.multipliedBy(2));
                     OutputStream out = Files.newOutputStream(temp)) {
                    if (zipEntry == null) watched.transferTo(out);
                    else extractEntry(watched, out);
                }
            }
            AtomicOutput.commit(temp, target, true);
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            if (temp != null) try { Files.deleteIfExists(temp); } catch (IOException ignored) { }
            throw new CalqException(displayName() + ": cannot download " + from + " (" + reason(e) + "); offline? fetch "
                    + fileName + " on a connected machine and pass the local file with --calibration");
        }
    }

    /** The exception's class and the first message found along its causes. */
    private static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) return e.getClass().getSimpleName() + ": " + t.getMessage();
        }
        return e.getClass().getSimpleName();
    }

    private void extractEntry(InputStream zip, OutputStream out) throws IOException {
        try (ZipInputStream z = new ZipInputStream(zip)) {
            for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
                if (e.getName().equals(zipEntry)) { z.transferTo(out); return; }
            }
        }
        throw new IOException("the archive has no " + zipEntry);
    }

    /** Closes the body when no byte arrives for {@code limit}, so a stalled connection ends the read with an error. */
    private static final class StallWatchdog extends java.io.FilterInputStream {
        private final AtomicLong lastProgress = new AtomicLong(System.nanoTime());
        private final Thread watcher;
        private volatile boolean done, stalled;

        StallWatchdog(InputStream in, Duration limit) {
            super(in);
            watcher = Thread.ofPlatform().daemon().name("calq-download-watchdog").start(() -> {
                while (!done) {
                    try { Thread.sleep(Math.min(1000, limit.toMillis())); } catch (InterruptedException e) { return; }
                    if (System.nanoTime() - lastProgress.get() > limit.toNanos()) {
                        stalled = true;
                        try { in.close(); } catch (IOException ignored) { }
                        return;
                    }
                }
            });
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n;
            try {
                n = super.read(buf, off, len);
            } catch (IOException e) {
                if (stalled) throw new IOException("the download stalled");
                throw e;
            }
            if (stalled) throw new IOException("the download stalled");
            if (n > 0) lastProgress.set(System.nanoTime());
            return n;
        }

        @Override
        public void close() throws IOException {
            done = true;
            watcher.interrupt();
            super.close();
        }
    }
}
