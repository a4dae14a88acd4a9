package dev.calq.calibration.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The SwiGLU feed-forward block: down(silu(gate(x)) * up(x)). */
public final class Mlp {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private final int layer;
    private final Linear gate, up, down;

    public Mlp(int layer, Linear gate, Linear up, Linear down) {
        this.layer = layer;
        this.gate = gate;
        this.up = up;
        this.down = down;
    }

    public Linear gate() { return gate; }

    public Linear up() { return up; }

    public Linear down() { return down; }

    /** The input of down_proj, silu(gate(x)) * up(x), [rows x intermediate]. */
    public float[] activation(float[] normed, int rows) {
        int inter = gate.outFeatures();
        float[] g = new float[rows * inter];
        float[] u = new float[rows * inter];
        gate.apply(normed, rows, g);
        up.apply(normed, rows, u);
        siluMul(g, u);
        return g;
    }

    /** Returns [rows x hidden]; the observer (may be null) sees the gate/up input and the down_proj input. */
    public float[] forward(float[] normed, int rows, LinearInputObserver observer) {
        if (observer != null) observer.observe(layer, InputSite.MLP_IN, normed, rows, gate.inFeatures());
        float[] act = activation(normed, rows);
        if (observer != null) observer.observe(layer, InputSite.MLP_OUT, act, rows, down.inFeatures());
        float[] out = new float[rows * down.outFeatures()];
        down.apply(act, rows, out);
        return out;
    }

    /** g[i] = silu(g[i]) * u[i], silu(x) = x / (1 + exp(-x)). */
    static void siluMul(float[] g, float[] u) {
        int lanes = F.length(), i = 0;
        for (; i + lanes <= g.length; i += lanes) {
            FloatVector x = FloatVector.fromArray(F, g, i);
            FloatVector sig = x.neg().lanewise(VectorOperators.EXP).add(1f);
            x.div(sig).mul(FloatVector.fromArray(F, u, i)).intoArray(g, i);
        }
        for (; i < g.length; i++) g[i] = (float) (g[i] / (1 + Math.exp(-g[i]))) * u[i];
    }
}
