package io.citusmigrate.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One run of the command line in this JVM: its exit code and what it printed. */
record Run(int code, String out, String err) {
    static Run of(String... args) {
        return of(new StringWriter(), args);
    }

    /** With {@code out} readable while the command runs (a live migration prints as it goes). */
    static Run of(StringWriter out, String... args) {
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }
}
