package dev.calq.imatrix;

import static org.junit.jupiter.api.Assertions.*;

import dev.calq.calibration.model.InputSite;
import dev.calq.calibration.runner.LayerMethod;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImatrixAlongsideTest {
    /** A method with two stages that records what it is asked. */
    static final class Recording implements LayerMethod {
        final List<String> calls = new ArrayList<>();

        @Override public List<Set<InputSite>> stages() {
            return List.of(EnumSet.of(InputSite.ATTN_IN, InputSite.ATTN_OUT), EnumSet.of(InputSite.MLP_IN, InputSite.MLP_OUT));
        }

        @Override public dev.calq.calibration.model.LinearInputObserver observer(int layer, Set<InputSite> stage) {
            return (l, site, x, t, d) -> calls.add("obs " + site);
        }

        @Override public boolean update(int layer, Set<InputSite> stage) {
            calls.add("update " + stage.size());
            return true;
        }
    }

    @Test
    void observesEachSiteOnceInItsStageDelegatesEverythingAndSurvivesSaveAndLoad(@TempDir Path dir) throws Exception {
        Recording method = new Recording();
        ImatrixAlongside a = new ImatrixAlongside(method);
        float[] x = {1, 2, 3, 4, 5, 6};
        for (Set<InputSite> stage : a.stages()) {
            var obs = a.observer(0, stage);
            for (InputSite site : InputSite.values()) obs.observe(0, site, x, 2, 3); // a full layer pass per stage
            assertTrue(a.update(0, stage));
        }
        assertEquals(10, method.calls.size(), "the method sees every observation and update");
        ActivationStats q = a.imatrix().stats(0, InputSite.ATTN_IN);
        assertEquals(2, q.count(), "counted once, not once per stage");
        assertArrayEquals(new double[] {1 + 16, 4 + 25, 9 + 36}, q.sumSq(), 0);

        a.saveLayer(0, dir);
        ImatrixAlongside b = new ImatrixAlongside(new Recording());
        b.loadLayer(0, dir);
        for (InputSite site : InputSite.values()) {
            assertEquals(a.imatrix().stats(0, site).count(), b.imatrix().stats(0, site).count());
            assertArrayEquals(a.imatrix().stats(0, site).sumSq(), b.imatrix().stats(0, site).sumSq(), 0);
            assertArrayEquals(a.imatrix().stats(0, site).sum(), b.imatrix().stats(0, site).sum(), 0);
        }
    }
}
