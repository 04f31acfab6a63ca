package io.citusmigrate.cli;

import picocli.CommandLine;

/**
 * `--json`, which `plan` and `status` take: what the command reports, as JSON and nothing else.
 * Its description differs by command: Help.properties holds it under the command's name.
 */
final class JsonOption {
    @CommandLine.Option(names = "--json", descriptionKey = "json", description = "print it as JSON")
    boolean on;
}
