package dev.calq.calibration.model;

import dev.calq.calibration.kernels.VectorOps;

/** The SwiGLU feed-forward block: down(silu(gate(x)) * up(x)). */
public final class Mlp {
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
        VectorOps.siluMul(g, u, g);
        return g;
    }

    /** Returns [rows x hidden]; the observer (may be null) sees the gate/up input and the down_proj input. */
    public float[] forward(float[] normed, int rows, LinearInputObserver observer) {
        return forward(normed, rows, observer, null);
    }

    /** As {@link #forward(float[], int, LinearInputObserver)}, but stops (returning null) once the observer has seen {@code last} (null: never stops). */
    public float[] forward(float[] normed, int rows, LinearInputObserver observer, InputSite last) {
        if (observer != null) observer.observe(layer, InputSite.MLP_IN, normed, rows, gate.inFeatures());
        if (last == InputSite.MLP_IN) return null;
        float[] act = activation(normed, rows);
        if (observer != null) observer.observe(layer, InputSite.MLP_OUT, act, rows, down.inFeatures());
        if (last == InputSite.MLP_OUT) return null;
        float[] out = new float[rows * down.outFeatures()];
        down.apply(act, rows, out);
        return out;
    }
}
