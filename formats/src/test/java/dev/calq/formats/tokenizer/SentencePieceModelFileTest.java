package dev.calq.formats.tokenizer;

import dev.calq.formats.CalqException;
import dev.calq.formats.SharedData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class SentencePieceModelFileTest {
    private static final Path SRC = Path.of("test.model");

    @Test
    void readsTheLlama2Vocabulary() {
        Assumptions.assumeTrue(SharedData.available(), SharedData.MISSING);
        var m = SentencePieceModelFile.read(SharedData.tinyLlama().resolve("tokenizer.model"));
        assertEquals(32000, m.vocabSize());
        assertEquals(SentencePieceModelFile.ModelType.BPE, m.modelType());
        assertTrue(m.byteFallback());
        assertTrue(m.addDummyPrefix());
        assertFalse(m.removeExtraWhitespaces());
        assertEquals(0, m.unkId());
        assertEquals(1, m.bosId());
        assertEquals(2, m.eosId());
        assertEquals(-1, m.padId());
        assertEquals(new Piece("<unk>", 0f, Piece.Type.UNKNOWN), m.piece(0));
        assertEquals(Piece.Type.CONTROL, m.piece(1).type());
        assertEquals("</s>", m.piece(2).text());
        assertEquals(new Piece("<0x00>", 0f, Piece.Type.BYTE), m.piece(3));
        assertEquals("<0xFF>", m.piece(258).text());
        assertEquals("\u2581\u2581", m.piece(259).text()); // the two-space piece that " \n" encodes to
        assertEquals("\u2581", m.piece(29871).text());
        assertEquals("\u2581The", m.piece(450).text());
        // BPE scores fall with the merge rank; the whitespace-only pieces sit at -1e9.
        assertEquals(-1.0f, m.piece(260).score());
        assertTrue(m.piece(260).score() > m.piece(450).score());
        assertEquals(-1e9f, m.piece(259).score());
    }

    @Test
    void appliesProtoDefaultsAndSkipsUnknownFields() {
        var model = new ProtoBytes()
                .message(1, ProtoBytes.piece("<unk>", 0f, 2))
                .message(1, new ProtoBytes().string(1, "a")) // score and type absent: 0 and NORMAL
                .message(1, ProtoBytes.piece("\u2581b", -1.5f, 1).fixed64(9, 42L))
                .varint(77, 5) // unknown top-level field
                .message(2, new ProtoBytes().varint(3, 2).varint(43, -1L).varint(35, 1).string(1, "corpus.txt"))
                .message(3, new ProtoBytes().string(1, "identity").varint(4, 0))
                .toByteArray();
        var m = SentencePieceModelFile.parse(model, SRC);
        assertEquals(3, m.vocabSize());
        assertEquals(new Piece("a", 0f, Piece.Type.NORMAL), m.piece(1));
        assertEquals(new Piece("\u2581b", -1.5f, Piece.Type.NORMAL), m.piece(2));
        assertEquals(SentencePieceModelFile.ModelType.BPE, m.modelType());
        assertEquals("identity", m.normalizerName());
        assertTrue(m.addDummyPrefix());
        assertFalse(m.removeExtraWhitespaces());
        assertTrue(m.escapeWhitespaces());
        assertTrue(m.byteFallback());
        assertEquals(-1, m.padId());
        assertEquals(1, m.bosId()); // default, though only 3 pieces: bos 1 is in range
    }

    @Test
    void defaultModelTypeIsUnigram() {
        var m = SentencePieceModelFile.parse(new ProtoBytes().message(1, ProtoBytes.piece("<unk>", 0, 2))
                .message(1, ProtoBytes.piece("<s>", 0, 3)).message(1, ProtoBytes.piece("</s>", 0, 3)).toByteArray(), SRC);
        assertEquals(SentencePieceModelFile.ModelType.UNIGRAM, m.modelType());
        assertFalse(m.byteFallback());
    }

    @Test
    void truncatedFileIsAClearError() {
        byte[] good = new ProtoBytes().message(1, ProtoBytes.piece("<unk>", 0, 2)).message(1, ProtoBytes.piece("hello", -1, 1)).toByteArray();
        var e = assertThrows(CalqException.class, () -> SentencePieceModelFile.parse(Arrays.copyOf(good, good.length - 3), SRC));
        assertTrue(e.getMessage().startsWith("test.model: not a valid SentencePiece model"), e.getMessage());
    }

    @Test
    void rejectsBadPieceTypeAndEmptyVocabularyAndOutOfRangeIds() {
        assertThrows(CalqException.class, () -> SentencePieceModelFile.parse(new ProtoBytes().message(1, ProtoBytes.piece("x", 0, 9)).toByteArray(), SRC));
        var empty = assertThrows(CalqException.class, () -> SentencePieceModelFile.parse(new byte[0], SRC));
        assertTrue(empty.getMessage().contains("no pieces"), empty.getMessage());
        var ids = assertThrows(CalqException.class, () -> SentencePieceModelFile.parse(new ProtoBytes()
                .message(1, ProtoBytes.piece("<unk>", 0, 2)).message(1, ProtoBytes.piece("<s>", 0, 3))
                .message(2, new ProtoBytes().varint(42, 7)).toByteArray(), SRC));
        assertTrue(ids.getMessage().contains("eos_id 7"), ids.getMessage());
        // Text that is not protobuf at all (a JSON file passed by mistake).
        assertThrows(CalqException.class, () -> SentencePieceModelFile.parse("{\"model\": 1}".getBytes(), SRC));
    }

    @Test
    void missingFileNamesTheFile() {
        var e = assertThrows(CalqException.class, () -> SentencePieceModelFile.read(Path.of("/nonexistent/tokenizer.model")));
        assertEquals("/nonexistent/tokenizer.model: no such file", e.getMessage());
    }
}
