package dev.calq.formats.bnb;

/** Lookup in a table of code values (bitsandbytes' 4-bit types and 8-bit dynamic map). */
public final class CodeTables {
    private CodeTables() {}

    /** The index of the value nearest to {@code x}, the lowest index on ties (torch.argmin's choice). */
    public static int nearest(float[] table, float x) {
        int best = 0;
        float bestD = Math.abs(x - table[0]);
        for (int k = 1; k < table.length; k++) {
            float d = Math.abs(x - table[k]);
            if (d < bestD) {
                bestD = d;
                best = k;
            }
        }
        return best;
    }
}
