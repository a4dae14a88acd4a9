package dev.calq.formats.tokenizer;

/**
 * One vocabulary entry of a SentencePiece model: its text (spaces appear as U+2581), its score (the log
 * probability for UNIGRAM; for BPE, higher scores merge first) and its type.
 */
public record Piece(String text, float score, Type type) {
    /** The piece types of sentencepiece_model.proto, with their wire numbers. */
    public enum Type {
        NORMAL(1), UNKNOWN(2), CONTROL(3), USER_DEFINED(4), UNUSED(5), BYTE(6);

        /** The enum value stored in the protobuf file. */
        public final int wireValue;

        Type(int wireValue) { this.wireValue = wireValue; }

        /** The type for a wire value, or null when the value is not one of the six. */
        public static Type fromWire(int value) {
            for (Type t : values()) if (t.wireValue == value) return t;
            return null;
        }
    }
}
