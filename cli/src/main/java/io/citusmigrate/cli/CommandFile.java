package io.citusmigrate.cli;

import io.citusmigrate.load.LoadCommand;
import picocli.CommandLine;

import java.nio.file.Path;

/**
 * The FILE every subcommand but `demo` takes, with --verbose and the writers. Its description
 * differs by command: Help.properties holds it under the command's name.
 */
class CommandFile extends Console {
    @CommandLine.Parameters(paramLabel = "FILE", descriptionKey = "file", description = "the command file")
    Path file;

    /** The command file parsed, its warnings said. */
    LoadCommand load() {
        return Session.load(file, err());
    }

    /** The command file, the source catalog and the plan. */
    Session session() {
        return Session.open(load());
    }
}
