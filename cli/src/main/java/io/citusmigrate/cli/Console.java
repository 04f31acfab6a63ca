package io.citusmigrate.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import picocli.CommandLine;

import java.io.PrintWriter;

/** --verbose (which Main's error handler looks for) and the command's own writers (JSON printed on them too), shared by every subcommand. */
class Console {
    @CommandLine.Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    /** The command this is mixed into: its writers are the ones tests and `demo` replace. */
    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** The value as indented JSON on the command's output. */
    void printJson(Object value) throws JsonProcessingException {
        out().println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(value));
        out().flush();
    }
}
