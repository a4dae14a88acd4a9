package dev.calq.calibration.runner;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

class ProgressTest {
    @Test
    void theRateIsCalibrationTokensThroughTheWholeModelPerSecond() {
        Progress p = new Progress(new PrintStream(new ByteArrayOutputStream()), 16, 65_536);
        assertEquals(65_536 / 100.0, p.rate(16, 100), 1e-9, "the whole run: tokens / seconds, as the closing line says");
        assertEquals(65_536 / 100.0, p.rate(8, 50), 1e-9, "half the layers in half the time: the same rate");
        assertEquals(50, Progress.eta(8, 16, 50), 1e-9);
        assertEquals(0, Progress.eta(0, 16, 50));
        assertEquals("1m05s", Progress.formatSeconds(65));
    }

    @Test
    void inALogItPrintsOneLinePerLayerAndNoneForAQuickPass() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(bytes, true), 2, 30);
        for (int s = 1; s <= 3; s++) p.advance(0, "attn_in", 1, 5, s, 3, 10, s / 15.0, 2);
        p.layerDone(0, 1.5, 1, 2);
        String text = bytes.toString();
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.startsWith("layer 1/2 done in 1.5s"), text);
        assertTrue(text.contains("tok/s, ETA"), text);
    }
}
