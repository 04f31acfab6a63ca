package io.citusmigrate.demo;

import java.io.IOException;
import java.io.Writer;

/** Writes to two places: the console, and a buffer the demo watches. */
final class Tee extends Writer {
    private final Writer a;
    private final Writer b;

    Tee(Writer a, Writer b) {
        this.a = a;
        this.b = b;
    }

    @Override
    public synchronized void write(char[] buf, int off, int len) throws IOException {
        a.write(buf, off, len);
        b.write(buf, off, len);
    }

    @Override
    public void flush() throws IOException {
        a.flush();
        b.flush();
    }

    @Override
    public void close() throws IOException {
        flush();
    }
}
