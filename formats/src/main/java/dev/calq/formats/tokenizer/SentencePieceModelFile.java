package dev.calq.formats.tokenizer;

import dev.calq.formats.CalqException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A SentencePiece {@code tokenizer.model}: the serialised {@code sentencepiece.ModelProto} that Llama-2, Mistral
 * and many other models ship. We read the vocabulary (piece, score, type) and the few trainer and normalizer
 * settings that decide how text is encoded; everything else in the file is skipped.
 *
 * <p>Field numbers (sentencepiece_model.proto): ModelProto 1 = pieces (piece 1, score 2 as float, type 3),
 * 2 = trainer_spec (model_type 3, treat_whitespace_as_suffix 24, byte_fallback 35, unk/bos/eos/pad id 40..43),
 * 3 = normalizer_spec (name 1, add_dummy_prefix 3, remove_extra_whitespaces 4, escape_whitespaces 5).
 * Absent fields take the proto2 defaults written in that file. The piece type numbers are the same as GGUF's
 * {@code tokenizer.ggml.token_type} values.
 */
public record SentencePieceModelFile(
        List<Piece> pieces,
        ModelType modelType,
        String normalizerName,
        boolean addDummyPrefix,
        boolean removeExtraWhitespaces,
        boolean escapeWhitespaces,
        boolean treatWhitespaceAsSuffix,
        boolean byteFallback,
        int unkId,
        int bosId,
        int eosId,
        int padId) {

    /** TrainerSpec.ModelType: which segmentation algorithm the vocabulary was trained for. */
    public enum ModelType {
        UNIGRAM(1), BPE(2), WORD(3), CHAR(4);

        public final int wireValue;

        ModelType(int wireValue) { this.wireValue = wireValue; }

        static ModelType fromWire(int value) {
            for (ModelType t : values()) if (t.wireValue == value) return t;
            return null;
        }
    }

    public SentencePieceModelFile {
        pieces = List.copyOf(pieces);
    }

    public int vocabSize() { return pieces.size(); }

    public Piece piece(int id) { return pieces.get(id); }

    /** Reads and checks a tokenizer.model file; any fault is a {@link CalqException} naming the file. */
    public static SentencePieceModelFile read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw CalqException.file(file, "no such file");
        } catch (IOException e) {
            throw CalqException.file(file, "cannot read: " + e.getMessage());
        }
        return parse(bytes, file);
    }

    /** Decodes the bytes of a tokenizer.model; {@code source} names it in error messages. */
    public static SentencePieceModelFile parse(byte[] bytes, Path source) {
        try {
            return decode(bytes);
        } catch (ProtobufReader.MalformedException e) {
            throw CalqException.file(source, "not a valid SentencePiece model (" + e.getMessage() + ")");
        }
    }

    private static SentencePieceModelFile decode(byte[] bytes) {
        var b = new Builder();
        var r = new ProtobufReader(bytes, 0, bytes.length);
        while (r.hasMore()) {
            int tag = r.readTag();
            int field = tag >>> 3, wire = tag & 7;
            switch (field) {
                case 1 -> b.pieces.add(readPiece(expect(r, wire, ProtobufReader.LENGTH_DELIMITED, "piece").readMessage(), b.pieces.size()));
                case 2 -> readTrainerSpec(expect(r, wire, ProtobufReader.LENGTH_DELIMITED, "trainer_spec").readMessage(), b);
                case 3 -> readNormalizerSpec(expect(r, wire, ProtobufReader.LENGTH_DELIMITED, "normalizer_spec").readMessage(), b);
                default -> r.skip(wire);
            }
        }
        return b.build();
    }

    private static Piece readPiece(ProtobufReader r, int index) {
        String text = null;
        float score = 0f;
        Piece.Type type = Piece.Type.NORMAL;
        while (r.hasMore()) {
            int tag = r.readTag();
            int field = tag >>> 3, wire = tag & 7;
            switch (field) {
                case 1 -> text = expect(r, wire, ProtobufReader.LENGTH_DELIMITED, "piece text").readString();
                case 2 -> score = expect(r, wire, ProtobufReader.FIXED32, "piece score").readFloat();
                case 3 -> {
                    int v = expect(r, wire, ProtobufReader.VARINT, "piece type").readInt32();
                    type = Piece.Type.fromWire(v);
                    if (type == null) throw new ProtobufReader.MalformedException("piece " + index + " has unknown type " + v);
                }
                default -> r.skip(wire);
            }
        }
        if (text == null || text.isEmpty()) throw new ProtobufReader.MalformedException("piece " + index + " has no text");
        return new Piece(text, score, type);
    }

    private static void readTrainerSpec(ProtobufReader r, Builder b) {
        while (r.hasMore()) {
            int tag = r.readTag();
            int field = tag >>> 3, wire = tag & 7;
            switch (field) {
                case 3 -> {
                    int v = expect(r, wire, ProtobufReader.VARINT, "model_type").readInt32();
                    b.modelType = ModelType.fromWire(v);
                    if (b.modelType == null) throw new ProtobufReader.MalformedException("unknown model_type " + v);
                }
                case 24 -> b.treatWhitespaceAsSuffix = expect(r, wire, ProtobufReader.VARINT, "treat_whitespace_as_suffix").readBool();
                case 35 -> b.byteFallback = expect(r, wire, ProtobufReader.VARINT, "byte_fallback").readBool();
                case 40 -> b.unkId = expect(r, wire, ProtobufReader.VARINT, "unk_id").readInt32();
                case 41 -> b.bosId = expect(r, wire, ProtobufReader.VARINT, "bos_id").readInt32();
                case 42 -> b.eosId = expect(r, wire, ProtobufReader.VARINT, "eos_id").readInt32();
                case 43 -> b.padId = expect(r, wire, ProtobufReader.VARINT, "pad_id").readInt32();
                default -> r.skip(wire);
            }
        }
    }

    private static void readNormalizerSpec(ProtobufReader r, Builder b) {
        while (r.hasMore()) {
            int tag = r.readTag();
            int field = tag >>> 3, wire = tag & 7;
            switch (field) {
                case 1 -> b.normalizerName = expect(r, wire, ProtobufReader.LENGTH_DELIMITED, "normalizer name").readString();
                case 3 -> b.addDummyPrefix = expect(r, wire, ProtobufReader.VARINT, "add_dummy_prefix").readBool();
                case 4 -> b.removeExtraWhitespaces = expect(r, wire, ProtobufReader.VARINT, "remove_extra_whitespaces").readBool();
                case 5 -> b.escapeWhitespaces = expect(r, wire, ProtobufReader.VARINT, "escape_whitespaces").readBool();
                default -> r.skip(wire);
            }
        }
    }

    private static ProtobufReader expect(ProtobufReader r, int wire, int wanted, String what) {
        if (wire != wanted) throw new ProtobufReader.MalformedException(what + " has wire type " + wire + ", expected " + wanted);
        return r;
    }

    /** Accumulates fields with the proto2 defaults of sentencepiece_model.proto. */
    private static final class Builder {
        final List<Piece> pieces = new ArrayList<>();
        ModelType modelType = ModelType.UNIGRAM;
        String normalizerName = "";
        boolean addDummyPrefix = true, removeExtraWhitespaces = true, escapeWhitespaces = true;
        boolean treatWhitespaceAsSuffix = false, byteFallback = false;
        int unkId = 0, bosId = 1, eosId = 2, padId = -1;

        SentencePieceModelFile build() {
            if (pieces.isEmpty()) throw new ProtobufReader.MalformedException("no pieces");
            checkId("unk_id", unkId, false);
            checkId("bos_id", bosId, true);
            checkId("eos_id", eosId, true);
            checkId("pad_id", padId, true);
            return new SentencePieceModelFile(pieces, modelType, normalizerName, addDummyPrefix, removeExtraWhitespaces,
                    escapeWhitespaces, treatWhitespaceAsSuffix, byteFallback, unkId, bosId, eosId, padId);
        }

        private void checkId(String name, int id, boolean mayBeUnused) {
            if ((id == -1 && mayBeUnused) || (id >= 0 && id < pieces.size())) return;
            throw new ProtobufReader.MalformedException(name + " " + id + " is outside the vocabulary of " + pieces.size());
        }
    }
}
