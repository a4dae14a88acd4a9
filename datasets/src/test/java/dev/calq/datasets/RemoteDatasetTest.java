package dev.calq.datasets;

import com.sun.net.httpserver.HttpServer;
import dev.calq.formats.CalqException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.*;

class RemoteDatasetTest {
    @TempDir Path cache;

    @Test
    void namesResolveToTheToolsAddresses() {
        assertEquals(Optional.of(RemoteDataset.WIKITEXT2), RemoteDataset.byName("WikiText2"));
        assertEquals(Optional.of(RemoteDataset.C4), RemoteDataset.byName("allenai/c4"));
        assertEquals(Optional.of(RemoteDataset.PILE_VAL), RemoteDataset.byName("pileval"));
        assertEquals(Optional.empty(), RemoteDataset.byName("my-notes.txt"));
        assertEquals("https://huggingface.co/datasets/mit-han-lab/pile-val-backup/resolve/main/val.jsonl.zst", RemoteDataset.PILE_VAL.url.toString());
    }

    @Test
    @Timeout(60)
    void offlineFailsFastWithAHint() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); } // nothing listens there now
        URI dead = URI.create("http://127.0.0.1:" + port + "/wikitext-2-raw-v1.zip");
        var e = assertThrows(CalqException.class, () -> RemoteDataset.WIKITEXT2.fetch(cache, Duration.ofSeconds(2), dead));
        assertTrue(e.getMessage().startsWith("wikitext2: cannot download " + dead + " ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("offline? fetch wiki.train.raw on a connected machine and pass the local file with --calibration"), e.getMessage());
        try (var files = Files.list(cache)) {
            assertEquals(0, files.count(), "nothing is left in the cache");
        }
    }

    @Test
    @Timeout(60)
    void aServerThatNeverAnswersTimesOut() throws Exception {
        var release = new java.util.concurrent.CountDownLatch(1);
        var handlers = java.util.concurrent.Executors.newCachedThreadPool();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(handlers);
        server.createContext("/", ex -> {
            try { release.await(); } catch (InterruptedException ignored) { }
            ex.close();
        });
        server.start();
        try {
            URI slow = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/c4.json.gz");
            var e = assertThrows(CalqException.class, () -> RemoteDataset.C4.fetch(cache, Duration.ofSeconds(1), slow));
            assertTrue(e.getMessage().startsWith("c4: cannot download"), e.getMessage());
            assertTrue(e.getMessage().contains("Timeout"), e.getMessage());
        } finally {
            release.countDown();
            server.stop(0);
            handlers.shutdownNow();
        }
    }

    @Test
    @Timeout(60)
    void downloadsAJsonLinesShardAsIs() throws Exception {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (var o = new java.util.zip.GZIPOutputStream(gz)) {
            o.write("{\"text\": \"Beginners BBQ Class.\", \"url\": \"u\"}\n{\"text\": \"Discussion.\"}\n".getBytes(StandardCharsets.UTF_8));
        }
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            ex.sendResponseHeaders(200, gz.size());
            try (OutputStream o = ex.getResponseBody()) { o.write(gz.toByteArray()); }
        });
        server.start();
        try {
            URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/en/c4-train.00000-of-01024.json.gz");
            CalibrationSource s = RemoteDataset.C4.fetch(cache, Duration.ofSeconds(5), url);
            assertEquals(CalibrationSource.Kind.JSONL, s.kind());
            assertEquals(cache.resolve("c4/c4-train.00000-of-01024.json.gz"), s.path());
            assertEquals(List.of("Beginners BBQ Class.", "Discussion."), s.documents());
        } finally {
            server.stop(0);
        }
    }

    @Test
    @Timeout(60)
    void downloadsExtractsAndThenUsesTheCache() throws Exception {
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            z.putNextEntry(new ZipEntry("wikitext-2-raw/wiki.test.raw"));
            z.write(" \n = Test = \n".getBytes(StandardCharsets.UTF_8));
            z.putNextEntry(new ZipEntry("wikitext-2-raw/wiki.train.raw"));
            z.write(" \n = Train = \n \n Some text . \n".getBytes(StandardCharsets.UTF_8));
        }
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            if (!ex.getRequestURI().getPath().endsWith(".zip")) { ex.sendResponseHeaders(404, -1); ex.close(); return; }
            ex.sendResponseHeaders(200, zip.size());
            try (OutputStream o = ex.getResponseBody()) { o.write(zip.toByteArray()); }
        });
        server.start();
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
        try {
            var missing = assertThrows(CalqException.class, () -> RemoteDataset.WIKITEXT2.fetch(cache, Duration.ofSeconds(5), base.resolve("gone.bin")));
            assertTrue(missing.getMessage().contains("(IOException: HTTP 404)"), missing.getMessage());

            CalibrationSource s = RemoteDataset.WIKITEXT2.fetch(cache, Duration.ofSeconds(5), base.resolve("wikitext-2-raw-v1.zip"));
            assertEquals(CalibrationSource.Kind.WIKITEXT, s.kind());
            assertEquals(cache.resolve("wikitext2/wiki.train.raw"), s.path());
            assertEquals(List.of(" = Train = ", " Some text . "), s.documents());
        } finally {
            server.stop(0);
        }
        // The server is gone: the cached copy is used without a download.
        CalibrationSource again = RemoteDataset.WIKITEXT2.fetch(cache, Duration.ofSeconds(1), base.resolve("wikitext-2-raw-v1.zip"));
        assertEquals(" \n = Train = \n \n Some text . \n", again.text());
    }
}
